using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Serverless.Auth.Secrets;

/// <summary>
/// <c>Auth__*</c> settings whose value is still the literal <c>@Microsoft.KeyVault(...)</c>: the
/// platform could not resolve the reference (typically the identity's role on the secret had not
/// propagated at first start). Found before any setting is parsed, so the error says what happened.
/// </summary>
internal sealed class UnresolvedKeyVaultReferences
{
    public const string Prefix = "@Microsoft.KeyVault(";

    public IReadOnlyList<string> Settings { get; set; } = [];

    public static bool IsUnresolved(string? value) => value?.TrimStart().StartsWith(Prefix, StringComparison.Ordinal) == true;

    /// <summary>What start-up says about a setting that still holds its reference.</summary>
    public static string Message(string setting) =>
        $"{setting} is an unresolved Key Vault reference (its value still starts with \"{Prefix}\"): "
        + "the platform could not read the Key Vault secret when the app started, usually because the managed identity's role on the secret had not propagated yet. "
        + "Make the platform resolve its Key Vault references again, then restart: az rest --method post --url \"https://management.azure.com/<function app resource id>/config/configreferences/appsettings/refresh?api-version=2022-03-01\" "
        + "and az functionapp restart -g <resource group> -n <app> (docs/deploy-azure.md).";

    public static IReadOnlyList<string> Find(IConfiguration configuration) =>
        [.. configuration.GetSection("Auth").AsEnumerable()
            .Where(setting => IsUnresolved(setting.Value))
            .Select(setting => setting.Key.Replace(":", "__", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];
}

internal sealed class UnresolvedKeyVaultReferencesValidator : IValidateOptions<UnresolvedKeyVaultReferences>
{
    public ValidateOptionsResult Validate(string? name, UnresolvedKeyVaultReferences options) =>
        options.Settings.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(options.Settings.Select(UnresolvedKeyVaultReferences.Message));
}
