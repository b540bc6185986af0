using Microsoft.Extensions.DependencyInjection;
using Serverless.Auth.Email;
using Serverless.Auth.Storage;

namespace Serverless.Auth.Tests.Infrastructure;

public static class BackgroundWork
{
    /// <summary>
    /// Removes the mail sender and the clean-up from a host (they work outside any request): for tests that
    /// count or hook the storage requests of the requests alone.
    /// </summary>
    public static void RemoveMailAndCleanup(this IServiceCollection services)
    {
        foreach (var background in services.Where(d => d.ImplementationType == typeof(MailQueueService) || d.ImplementationType == typeof(StorageCleanupService)).ToList())
        {
            services.Remove(background);
        }
    }
}
