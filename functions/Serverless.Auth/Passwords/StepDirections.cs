namespace Serverless.Auth.Passwords;

/// <summary>
/// The ways one character can trivially follow another, as bits: a step can go several ways at once (<c>e</c> to
/// <c>d</c> is the previous letter and the key below), and a run keeps its heading while its steps share one.
/// </summary>
[Flags]
internal enum StepDirections
{
    None = 0,

    /// <summary>The same character, or the same key shifted or not.</summary>
    Same = 1 << 0,

    /// <summary>The next digit or letter (9 to 0 and z to a wrap around).</summary>
    Next = 1 << 1,

    /// <summary>The previous digit or letter.</summary>
    Previous = 1 << 2,

    KeyLeft = 1 << 3,
    KeyRight = 1 << 4,
    KeyUpLeft = 1 << 5,
    KeyUpRight = 1 << 6,
    KeyDownLeft = 1 << 7,
    KeyDownRight = 1 << 8,
}
