namespace Vfio.Execution.State;

/// <summary>A PF's stored VF token and when it was stored (the token shows nothing unless revealed).</summary>
public sealed record StoredVfToken(PciAddress Pf, VfToken Token, DateTime SetUtc);
