using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class VerifyFunction
{
    [Function("Verify")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = AuthRoutes.Verify)] HttpRequest request) =>
        AuthApi.Verify.InvokeAsync(request.HttpContext);
}
