using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class DeleteAccountFunction
{
    [Function("DeleteAccount")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.DeleteAccount)] HttpRequest request) =>
        AuthApi.DeleteAccount.InvokeAsync(request.HttpContext);
}
