namespace Serverless.Auth.Http;

/// <summary>
/// The base path the auth routes are served under in this host: <see cref="AuthRoutes.DefaultBasePath"/>, or the one
/// given to <see cref="AuthApi.MapAuthApi"/>. What depends on it (the refresh and device cookies' Path, the discovery
/// document's <c>jwks_uri</c>) reads it here, so it is fixed once read: mapping elsewhere afterwards would leave
/// cookies already issued on the old path, and is refused.
/// </summary>
internal sealed class AuthMount
{
    private readonly Lock gate = new();
    private string basePath = AuthRoutes.DefaultBasePath;
    private bool fixedNow;
    private bool mapped;

    public string BasePath
    {
        get
        {
            lock (gate)
            {
                fixedNow = true;
                return basePath;
            }
        }
    }

    /// <summary>Validates and normalizes a base path: absolute, not the root (the refresh cookie must not go to every path), no query.</summary>
    public static string Normalize(string basePath)
    {
        ArgumentNullException.ThrowIfNull(basePath);
        var trimmed = basePath.Trim().TrimEnd('/');
        if (!trimmed.StartsWith('/') || trimmed.Length < 2 || trimmed.StartsWith("//", StringComparison.Ordinal)
            || trimmed.IndexOfAny(['?', '#', '{', '}', '*', '\\', ' ']) >= 0)
        {
            throw new ArgumentException(
                $"The auth routes' base path must be an absolute path below the root such as \"/api/auth\" or \"/identity\" (no query, no route parameters); got \"{basePath}\". The refresh cookie is sent to this path only.",
                nameof(basePath));
        }

        return trimmed;
    }

    public void MountAt(string path)
    {
        lock (gate)
        {
            if (mapped && path != basePath)
            {
                throw new InvalidOperationException($"The auth routes are mapped under {basePath} already; map them once (MapAuthApi), under one base path.");
            }

            if (fixedNow && path != basePath)
            {
                throw new InvalidOperationException($"The auth routes' base path was read as {basePath} (a cookie or the discovery document was built) before MapAuthApi(\"{path}\") ran: call MapAuthApi before the app starts serving.");
            }

            basePath = path;
            mapped = true;
        }
    }
}
