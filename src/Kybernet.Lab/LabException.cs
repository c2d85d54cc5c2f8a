namespace Kybernet.Lab;

/// <summary>A lab request that cannot be carried out as asked; the message tells the user what to do instead.</summary>
public sealed class LabException(string message, Exception? inner = null) : Exception(message, inner);
