namespace SatsMotion.Video.Images;

/// <summary>An image we will not animate; the message is safe to show to the caller.</summary>
public sealed class ImageRejectedException(string message) : Exception(message);
