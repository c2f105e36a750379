namespace MiniBSD.Hal;

/// <summary>
/// The emulated machine was asked for something it does not implement (an encoding, a register value
/// such as a 16 KiB granule). This is a loud failure of the caller's assumptions, never a user error.
/// </summary>
public sealed class UnsupportedFeatureException : Exception
{
    public UnsupportedFeatureException(string message) : base(message) { }
    public UnsupportedFeatureException(string message, Exception inner) : base(message, inner) { }
    public UnsupportedFeatureException() { }
}
