using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class SessionsFunction
{
    [Function("Sessions")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = AuthRoutes.Sessions)] HttpRequest request) =>
        AuthApi.Sessions.InvokeAsync(request.HttpContext);
}
