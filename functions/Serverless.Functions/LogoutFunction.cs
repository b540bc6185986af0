using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class LogoutFunction
{
    [Function("Logout")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.Logout)] HttpRequest request) =>
        AuthApi.Logout.InvokeAsync(request.HttpContext);
}
