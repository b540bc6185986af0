namespace Serverless.Testing;

/// <summary>The benchmarks have no test framework: requests made by the helpers run to completion.</summary>
public sealed partial class TestApi
{
    private static partial CancellationToken RequestCancellation => CancellationToken.None;
}
