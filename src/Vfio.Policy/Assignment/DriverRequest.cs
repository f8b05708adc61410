namespace Vfio.Policy.Assignment;

/// <summary>What <c>--driver</c> asked for.</summary>
public sealed record DriverRequest(string Value)
{
    public static DriverRequest Auto { get; } = new("auto");

    /// <summary>The best vfio-pci driver per device, from modules.alias.</summary>
    public bool IsAuto => Value == "auto";

    /// <summary>Parses <c>auto</c>, <c>vfio-pci</c>, <c>pci-stub</c> or a driver name; null when malformed.</summary>
    public static DriverRequest? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Auto;
        var t = text.Trim();
        return t.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') && t.Length <= 64 ? new DriverRequest(t) : null;
    }
}
