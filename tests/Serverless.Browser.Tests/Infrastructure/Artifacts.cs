using Microsoft.Playwright;

namespace Serverless.Browser.Tests.Infrastructure;

/// <summary>Screenshots under the test output folder (bin/.../TestResults/browser, git-ignored), attached to the test result.</summary>
public static class Artifacts
{
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "browser");

    public static async Task<string> ScreenshotAsync(DemoPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, name + ".png");
        var bytes = await page.Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.AddAttachment(name + ".png", bytes, "image/png");
        return path;
    }
}
