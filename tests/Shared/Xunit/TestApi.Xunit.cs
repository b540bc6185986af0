namespace Serverless.Testing;

/// <summary>In the xunit projects, requests made by the helpers stop with the test that makes them.</summary>
public sealed partial class TestApi
{
    private static partial CancellationToken RequestCancellation => TestContext.Current.CancellationToken;
}
