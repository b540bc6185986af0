using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class LogoutAllFunction
{
    [Function("LogoutAll")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.LogoutAll)] HttpRequest request) =>
        AuthApi.LogoutAll.InvokeAsync(request.HttpContext);
}
