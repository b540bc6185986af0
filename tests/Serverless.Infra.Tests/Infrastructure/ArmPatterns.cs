using System.Text.RegularExpressions;

namespace Serverless.Infra.Tests.Infrastructure;

/// <summary>How a snapshot spells the resources the tests look for.</summary>
public static partial class ArmPatterns
{
    /// <summary>A role assignment's id: its scope, the scope its guid name was made from, and the role definition id.</summary>
    [GeneratedRegex(@"^\[extensionResourceId\('(?<scope>[^']+)', 'Microsoft\.Authorization/roleAssignments', guid\('(?<nameScope>[^']+)', .+, '(?<role>[0-9a-f-]{36})'\)\)\]$")]
    public static partial Regex RoleAssignmentId();

    /// <summary>A versionless SecretUri reference as the snapshot evaluates it (the vault URI comes from the vault at deployment).</summary>
    [GeneratedRegex(@"^\[format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\)', format\('\{0\}secrets/\{1\}', reference\('/subscriptions/[^']+/providers/Microsoft\.KeyVault/vaults/(?<vault>[a-z0-9-]+)', '[0-9-]+'\)\.vaultUri, '(?<secret>[a-z0-9-]+)'\)\)\]$")]
    public static partial Regex KeyVaultReference();
}
