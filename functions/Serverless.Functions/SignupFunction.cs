using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class SignupFunction
{
    [Function("Signup")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.Signup)] HttpRequest request) =>
        AuthApi.Signup.InvokeAsync(request.HttpContext);
}
