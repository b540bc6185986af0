using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class EmailResendFunction
{
    [Function("EmailResend")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = AuthRoutes.EmailResend)] HttpRequest request) =>
        AuthApi.EmailResend.InvokeAsync(request.HttpContext);
}
