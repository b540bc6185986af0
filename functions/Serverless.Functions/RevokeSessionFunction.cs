using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class RevokeSessionFunction
{
    [Function("RevokeSession")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.RevokeSession)] HttpRequest request) =>
        AuthApi.RevokeSession.InvokeAsync(request.HttpContext);
}
