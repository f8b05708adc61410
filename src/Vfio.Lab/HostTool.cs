namespace Vfio.Lab;

/// <summary>A host program the lab needs and the Debian package that provides it.</summary>
/// <param name="Command">Program name looked up on PATH (and the sbin directories), or an absolute path.</param>
/// <param name="Package">Debian package to install when it is missing.</param>
/// <param name="Purpose">Why the lab needs it (shown in errors).</param>
/// <param name="MustBeStatic">True when the file must be a static ELF executable (busybox in the initramfs).</param>
public sealed record HostTool(string Command, string Package, string Purpose, bool MustBeStatic = false);
