using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class LoginFunction
{
    [Function("Login")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.Login)] HttpRequest request) =>
        AuthApi.Login.InvokeAsync(request.HttpContext);
}
