using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class OpenIdConfigurationFunction
{
    [Function("OpenIdConfiguration")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = AuthRoutes.OpenIdConfiguration)] HttpRequest request) =>
        AuthApi.OpenIdConfiguration.InvokeAsync(request.HttpContext);
}
