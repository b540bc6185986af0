using System.Reflection;
using Serverless.Auth.Email;
using Serverless.Auth.Oidc;
using Serverless.Auth.Passwords;
using Serverless.Auth.Storage;
using Serverless.Auth.Tokens;
using Serverless.Testing;
using Serverless.Testing.Docs;

namespace Serverless.Auth.Tests.Docs;

/// <summary>
/// docs/settings.md and docs/endpoints.md hold generated tables (between <c>generated:begin</c> / <c>generated:end</c>
/// markers): they must equal a fresh generation. <c>npm run docs</c> runs this class with <c>UPDATE_DOCS=1</c>, which
/// writes the fresh tables first.
/// </summary>
public sealed class GeneratedDocsTests
{
    [Fact]
    public void SettingsTableIsCurrent() =>
        AssertCurrent(Path.Combine("docs", "settings.md"), "settings", SettingsDocument.Generate());

    [Fact]
    public void EndpointsTableIsCurrent() =>
        AssertCurrent(Path.Combine("docs", "endpoints.md"), "endpoints",
            EndpointsDocument.Generate(File.ReadAllText(RepoPaths.Combine("functions", "openapi.json"))));

    [Fact]
    public void EverySettingOfAnOptionsClassHasADescription()
    {
        var docs = new SettingsDocument.XmlDocs(typeof(JwtOptions).Assembly);
        var types = SettingsDocument.OptionsTypes();
        var undocumented = types
            .SelectMany(type => SettingsDocument.SettingsOf(type, type.Name, docs))
            .Where(setting => string.IsNullOrWhiteSpace(setting.Description))
            .Select(setting => setting.Name)
            .ToList();

        Assert.True(undocumented.Count == 0,
            $"Settings without a description (give the property an XML <summary>; it becomes docs/settings.md's description): {string.Join(", ", undocumented)}");
        // The discovery finds the options classes, the ones the hosts bind and the dictionary's entries.
        Assert.Contains(typeof(JwtOptions), types);
        Assert.Contains(typeof(MailQueueOptions), types);
        Assert.Contains(typeof(Serverless.Auth.Http.RequestOriginOptions), types);
        Assert.True(types.Count >= 17, $"Only {types.Count} options classes found.");
    }

    [Fact]
    public void TheTableNamesEachSettingAsTheBinderReadsIt()
    {
        var settings = SettingsDocument.Groups().SelectMany(group => group.Settings).ToDictionary(setting => setting.Name, StringComparer.Ordinal);

        // Section + property, the flat names, and the per-provider entries of the dictionary.
        Assert.Equal("— (required)", settings["Auth__Jwt__Issuer"].Default);
        Assert.Equal("`900`", settings["Auth__Jwt__LifetimeSeconds"].Default);
        Assert.Equal("—", settings["Auth__Jwt__LifetimeMinutes"].Default);
        Assert.Equal("empty", settings["Auth__Cookie__Domain"].Default);
        Assert.Equal("`auth-email`", settings[StorageOptions.EmailQueueSetting].Default);
        Assert.Equal("`openid email profile`", settings["Auth__Oidc__Providers__<name>__Scopes"].Default);
        Assert.Equal("`StartTls`", settings["Auth__Email__UseTls"].Default);
        Assert.Equal("`00:00:30`", settings["AzureFunctionsJobHost__extensions__queues__VisibilityTimeout"].Default);
        Assert.Equal("`Lax`", settings["Auth__Cookie__SameSite"].Default);
        Assert.Contains("Auth__AllowedOrigins", settings.Keys);

        // A default the machine computes is described, never this machine's value.
        Assert.Equal("processor count", settings["Auth__Argon2__MaxConcurrentHashes"].Default);

        // Internal properties are no settings; every setting of the outside list is there.
        Assert.DoesNotContain(settings.Keys, name => name.EndsWith("MailQueueRequired", StringComparison.Ordinal) || name.EndsWith("PipelineObserver", StringComparison.Ordinal));
        Assert.All(SettingsOutsideOptions.All, outside => Assert.Contains(outside.Name, settings.Keys));

        // A reference to another setting reads as that setting's name.
        Assert.Contains("`Auth__Storage__TableServiceUri`", settings["Auth__Storage__ConnectionString"].Description, StringComparison.Ordinal);
        Assert.Contains("`Auth__Oidc__Providers__<name>__ClientSecret`", settings["Auth__Oidc__Providers__<name>__ClientId"].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryDefaultComesFromTheCodeWhereTheCodeHasIt()
    {
        // The defaults the attribute states by hand are the ones a new instance cannot show: computed, null or required.
        var hand = SettingsDocument.OptionsTypes()
            .SelectMany(type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(property => (type, property)))
            .Where(pair => pair.property.GetCustomAttribute<SettingAttribute>()?.Default is not null)
            .Select(pair => (pair.type, pair.property, value: pair.property.GetValue(Activator.CreateInstance(pair.type))))
            .Where(pair => pair.value is not null && pair.value is not "")
            .Select(pair => $"{pair.type.Name}.{pair.property.Name}")
            .ToList();

        Assert.Equal([$"{nameof(Argon2Options)}.{nameof(Argon2Options.MaxConcurrentHashes)}"], hand);
        Assert.Equal($"`{JwtOptions.DefaultLifetimeSeconds}`", typeof(JwtOptions).GetProperty(nameof(JwtOptions.LifetimeSeconds))!.GetCustomAttribute<SettingAttribute>()!.Default);
        Assert.Equal($"`{OidcProvider.DefaultScopes}`", typeof(OidcProviderOptions).GetProperty(nameof(OidcProviderOptions.Scopes))!.GetCustomAttribute<SettingAttribute>()!.Default);
    }

    [Fact]
    public void GeneratedBlockReplacesOnlyTheTextBetweenItsMarkers()
    {
        const string Document = "# Title\n\nprose\n\n<!-- generated:begin x -->\nold\n<!-- generated:end x -->\n\nmore prose\n";

        Assert.Equal("# Title\n\nprose\n\n<!-- generated:begin x -->\nnew\n<!-- generated:end x -->\n\nmore prose\n", Markdown.ReplaceGenerated(Document, "x", "new\n"));
        Assert.Throws<InvalidOperationException>(() => Markdown.ReplaceGenerated("# no markers\n", "x", "new"));
    }

    private static void AssertCurrent(string relativePath, string block, string generated)
    {
        var path = RepoPaths.Combine(relativePath);
        var committed = File.ReadAllText(path).ReplaceLineEndings("\n");
        var fresh = Markdown.ReplaceGenerated(committed, block, generated);
        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1" && fresh != committed)
        {
            File.WriteAllText(path, fresh);
            committed = fresh;
        }

        Assert.True(fresh == committed, $"{relativePath.Replace('\\', '/')} is stale: run npm run docs (it regenerates the tables between the generated markers) and commit it.");
    }
}
