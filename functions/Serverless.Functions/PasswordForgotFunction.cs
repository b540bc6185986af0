using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class PasswordForgotFunction
{
    [Function("PasswordForgot")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.PasswordForgot)] HttpRequest request) =>
        AuthApi.PasswordForgot.InvokeAsync(request.HttpContext);
}
