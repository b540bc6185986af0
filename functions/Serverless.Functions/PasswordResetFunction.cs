using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class PasswordResetFunction
{
    [Function("PasswordReset")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.PasswordReset)] HttpRequest request) =>
        AuthApi.PasswordReset.InvokeAsync(request.HttpContext);
}
