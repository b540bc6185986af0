using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class EmailConfirmFunction
{
    [Function("EmailConfirm")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.EmailConfirm)] HttpRequest request) =>
        AuthApi.EmailConfirm.InvokeAsync(request.HttpContext);
}
