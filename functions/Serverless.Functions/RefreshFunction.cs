using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class RefreshFunction
{
    [Function("Refresh")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.Refresh)] HttpRequest request) =>
        AuthApi.Refresh.InvokeAsync(request.HttpContext);
}
