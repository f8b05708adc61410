namespace Vfio.Userspace;

/// <summary>One mmap-able window of a region (offset relative to the region start).</summary>
public readonly record struct VfioSparseMmapArea(ulong Offset, ulong Size);
