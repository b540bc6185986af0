using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Serverless.Auth.Http;

/// <summary>Every error answer, as RFC 9457 problem+json. Titles are stable; details say what to do.</summary>
internal static class Problems
{
    public static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request is malformed.", detail: detail);

    public static ProblemHttpResult UnsupportedMediaType() =>
        TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type.",
            detail: "Send the body as JSON with 'Content-Type: application/json'.");

    public static ProblemHttpResult TooLarge(int maxBytes) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request body is too large.",
            detail: $"The body must be at most {maxBytes} bytes.");

    public static ProblemHttpResult EmailTaken() =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The email address is already registered.",
            detail: "Log in instead, or sign up with another email address.");

    /// <summary>An email change whose new address another account took before its link was used: nothing changed.</summary>
    public static ProblemHttpResult NewEmailTaken() =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The new email address has an account by now.",
            detail: "Nothing changed. Ask for the change again with another address.",
            extensions: new Dictionary<string, object?> { ["code"] = "email_taken" });

    public static ProblemHttpResult LoginFailed() =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Login failed.",
            detail: "The email address or password is incorrect.");

    public static ProblemHttpResult NotAuthenticated() =>
        TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not authenticated.",
            detail: "No valid session: log in again.");

    public static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflicting change.", detail: detail);

    public static ProblemHttpResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found.", detail: detail);

    public static ProblemHttpResult Forbidden(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused.", detail: detail,
            extensions: new Dictionary<string, object?> { ["code"] = "origin_not_allowed" });

    /// <summary>The right password, but the address is not confirmed yet (<c>Auth__Email__RequireConfirmed</c>); <c>code</c> tells it from the origin check's 403.</summary>
    public static ProblemHttpResult EmailNotConfirmed() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Email address not confirmed.",
            detail: "Open the link in the confirmation mail first, or ask for a new one (POST /api/auth/email/resend).",
            extensions: new Dictionary<string, object?> { ["code"] = "email_not_confirmed" });

    /// <summary>The right credentials for an account an admin disabled: only someone who could sign in learns it.</summary>
    public static ProblemHttpResult AccountDisabled() =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "The account is disabled.",
            detail: "This account cannot sign in. Contact the service's support.",
            extensions: new Dictionary<string, object?> { ["code"] = "account_disabled" });

    /// <summary>One answer for every unusable mail link: unknown, expired, superseded or used (which one is nobody's business).</summary>
    public static ProblemHttpResult InvalidMailToken() =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The link is invalid or has expired.",
            detail: "Links in our mails work once and expire. Ask for a new mail.",
            extensions: new Dictionary<string, object?> { ["code"] = "invalid_token" });

    /// <summary>
    /// 429 or 503 with the wait in whole seconds (rounded up, at least 1), as Retry-After and as the
    /// body's <c>retryAfter</c>: Azure's platform CORS cannot expose headers, so a cross-origin page reads the body.
    /// </summary>
    public static ProblemHttpResult RetryLater(HttpResponse response, int statusCode, TimeSpan retryAfter, string title, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: statusCode, title: title, detail: detail, extensions: new Dictionary<string, object?> { ["retryAfter"] = seconds });
    }

    public static ProblemHttpResult TooManyRequests(HttpResponse response, TimeSpan retryAfter, string detail) =>
        RetryLater(response, StatusCodes.Status429TooManyRequests, retryAfter, "Too many attempts.", detail);

    public static ProblemHttpResult Unavailable(HttpResponse response, TimeSpan retryAfter, string detail) =>
        RetryLater(response, StatusCodes.Status503ServiceUnavailable, retryAfter, "The service is temporarily unavailable.", detail);

    /// <summary>400 with one field's error (the shape every validation problem has).</summary>
    public static ProblemHttpResult Invalid(string field, string message) =>
        TypedResults.Problem(ValidationDetails(new Dictionary<string, string[]> { [field] = [message] }));

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: ValidationTitle);

    public static HttpValidationProblemDetails ValidationDetails(IDictionary<string, string[]> errors) =>
        new(errors) { Status = StatusCodes.Status400BadRequest, Title = ValidationTitle };

    private const string ValidationTitle = "One or more fields are invalid.";
}
