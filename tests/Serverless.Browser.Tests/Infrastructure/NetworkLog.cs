using System.Text.Json;
using Microsoft.Playwright;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>A request as Chromium's network stack saw it, including what the page never sees.</summary>
public sealed class Exchange
{
    public string Method { get; set; } = "";
    public string Url { get; set; } = "";

    /// <summary>DevTools resource type: "Preflight" for CORS preflights, "Fetch" for the page's fetches.</summary>
    public string? Type { get; set; }

    public int? Status { get; set; }
    public Dictionary<string, string> RequestHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, string> ResponseHeaders { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Set-Cookie lines Chromium refused to store, with its reasons (e.g. ThirdPartyPhaseout).</summary>
    public List<(string Line, string[] Reasons)> BlockedSetCookies { get; } = [];

    /// <summary>Why Chromium withheld the response from the page, e.g. MissingAllowOriginHeader.</summary>
    public string? CorsError { get; set; }

    internal bool RawHeadersSeen { get; set; }
    internal bool Finished { get; set; }

    /// <summary>Raw response headers recorded, and either delivered to the page or failed (a CORS refusal fails).</summary>
    public bool ResponseComplete => RawHeadersSeen && Finished;

    public override string ToString() => $"{Method} {Url} [{Type}] -> {Status}{(CorsError is null ? "" : " CORS " + CorsError)}";
}

/// <summary>
/// Records one tab's traffic through a DevTools (CDP) session: Playwright's request events leave out CORS
/// preflights and the browser's cookie decisions; the DevTools Network domain reports both.
/// </summary>
public sealed class NetworkLog
{
    private readonly Dictionary<string, Exchange> byId = [];
    private readonly Lock gate = new();

    private NetworkLog()
    {
    }

    public static async Task<NetworkLog> AttachAsync(IBrowserContext context, IPage page)
    {
        var log = new NetworkLog();
        var cdp = await context.NewCDPSessionAsync(page);
        cdp.Event("Network.requestWillBeSent").OnEvent += (_, e) => log.Update(e, (x, json) =>
        {
            var request = json.GetProperty("request");
            x.Method = request.GetProperty("method").GetString()!;
            x.Url = request.GetProperty("url").GetString()!;
            CopyHeaders(request.GetProperty("headers"), x.RequestHeaders);
        });
        cdp.Event("Network.requestWillBeSentExtraInfo").OnEvent += (_, e) => log.Update(e, (x, json) =>
            CopyHeaders(json.GetProperty("headers"), x.RequestHeaders));
        cdp.Event("Network.responseReceived").OnEvent += (_, e) => log.Update(e, (x, json) =>
        {
            x.Type = json.GetProperty("type").GetString();
            x.Status = json.GetProperty("response").GetProperty("status").GetInt32();
            CopyHeaders(json.GetProperty("response").GetProperty("headers"), x.ResponseHeaders);
            x.Finished = true;
        });
        cdp.Event("Network.loadingFailed").OnEvent += (_, e) => log.Update(e, (x, json) =>
        {
            x.Type ??= json.GetProperty("type").GetString();
            if (json.TryGetProperty("corsErrorStatus", out var cors))
            {
                x.CorsError = cors.GetProperty("corsError").GetString();
            }

            x.Finished = true;
        });
        cdp.Event("Network.responseReceivedExtraInfo").OnEvent += (_, e) => log.Update(e, (x, json) =>
        {
            // The raw headers, Set-Cookie included, and the cookies Chromium decided not to store.
            CopyHeaders(json.GetProperty("headers"), x.ResponseHeaders);
            x.Status ??= json.GetProperty("statusCode").GetInt32();
            if (json.TryGetProperty("blockedCookies", out var blocked))
            {
                foreach (var cookie in blocked.EnumerateArray())
                {
                    var reasons = cookie.GetProperty("blockedReasons").EnumerateArray().Select(r => r.GetString()!).ToArray();
                    x.BlockedSetCookies.Add((cookie.GetProperty("cookieLine").GetString()!, reasons));
                }
            }

            x.RawHeadersSeen = true;
        });
        await cdp.SendAsync("Network.enable");
        return log;
    }

    /// <summary>Waits (bounded) until an exchange matching <paramref name="match"/> has its response recorded.</summary>
    public async Task<Exchange> WaitForAsync(Func<Exchange, bool> match, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            lock (gate)
            {
                var found = byId.Values.LastOrDefault(x => x.ResponseComplete && match(x));
                if (found is not null)
                {
                    return found;
                }

                if (DateTime.UtcNow > deadline)
                {
                    Assert.Fail($"No {what} in the browser's network log: {string.Join("; ", byId.Values)}");
                }
            }

            await Task.Delay(50);
        }
    }

    /// <summary>How many exchanges seen so far match, finished or not.</summary>
    public int Count(Func<Exchange, bool> match)
    {
        lock (gate)
        {
            return byId.Values.Count(match);
        }
    }

    private void Update(JsonElement? payload, Action<Exchange, JsonElement> apply)
    {
        if (payload is not { } json || !json.TryGetProperty("requestId", out var id))
        {
            return;
        }

        lock (gate)
        {
            var key = id.GetString()!;
            if (!byId.TryGetValue(key, out var exchange))
            {
                byId[key] = exchange = new Exchange();
            }

            apply(exchange, json);
        }
    }

    private static void CopyHeaders(JsonElement headers, Dictionary<string, string> into)
    {
        foreach (var header in headers.EnumerateObject())
        {
            into[header.Name] = header.Value.GetString() ?? "";
        }
    }
}
