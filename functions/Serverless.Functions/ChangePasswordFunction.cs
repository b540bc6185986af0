using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class ChangePasswordFunction
{
    [Function("ChangePassword")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.ChangePassword)] HttpRequest request) =>
        AuthApi.ChangePassword.InvokeAsync(request.HttpContext);
}
