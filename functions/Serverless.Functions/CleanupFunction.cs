using Microsoft.Azure.Functions.Worker;
using Serverless.Auth;

namespace Serverless.Functions;

public static class CleanupFunction
{
    [Function("Cleanup")]
    public static Task Run([TimerTrigger(ServerlessAuthExtensions.CleanupSchedule)] TimerInfo timer, FunctionContext context) =>
        context.InstanceServices.RunStorageCleanupAsync(context.CancellationToken);
}
