namespace Vfio.Userspace;

/// <summary>Which pages back a <see cref="DmaBuffer"/>.</summary>
public enum DmaPageSize
{
    /// <summary>2 MiB huge pages when the length is at least 2 MiB and the system has free ones, else 4 KiB pages.</summary>
    Auto,
    /// <summary>Base pages (4 KiB on x86-64).</summary>
    Small,
    /// <summary>2 MiB huge pages (MAP_HUGETLB); fails when none are free (<c>/proc/sys/vm/nr_hugepages</c>).</summary>
    Huge,
}
