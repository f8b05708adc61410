using System.Globalization;

namespace Vfio.Samples.Nvme;

/// <summary>The CAP register decoded (NVMe base specification, "Offset 0h: CAP").</summary>
internal readonly record struct ControllerCapabilities(ulong Raw)
{
    /// <summary>Maximum queue entries supported (MQES is 0's based: the register holds one less).</summary>
    public int MaxQueueEntries => (int)(Raw & 0xffff) + 1;

    /// <summary>CQR: queues must be physically contiguous.</summary>
    public bool ContiguousQueuesRequired => (Raw & (1UL << 16)) != 0;

    /// <summary>TO: worst-case time for CSTS.RDY to follow CC.EN, in 500 ms units.</summary>
    public TimeSpan ReadyTimeout => TimeSpan.FromMilliseconds(((Raw >> 24) & 0xff) * 500.0);

    /// <summary>DSTRD: doorbell stride is 4 &lt;&lt; DSTRD bytes.</summary>
    public int DoorbellStride => 4 << (int)((Raw >> 32) & 0xf);

    /// <summary>CSS bit 0: the NVM command set is supported.</summary>
    public bool SupportsNvmCommandSet => (Raw & (1UL << 37)) != 0;

    /// <summary>MPSMIN: the smallest memory page size, 2 ^ (12 + MPSMIN).</summary>
    public int MinPageSize => 1 << (12 + (int)((Raw >> 48) & 0xf));

    /// <summary>MPSMAX: the largest memory page size, 2 ^ (12 + MPSMAX).</summary>
    public int MaxPageSize => 1 << (12 + (int)((Raw >> 52) & 0xf));

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"CAP 0x{Raw:x16}: MQES {MaxQueueEntries} entries, {(ContiguousQueuesRequired ? "contiguous queues required, " : "")}TO {ReadyTimeout.TotalSeconds:0.#} s, doorbell stride {DoorbellStride} B, pages {MinPageSize / 1024}-{MaxPageSize / 1024} KiB, NVM command set {(SupportsNvmCommandSet ? "yes" : "no")}");
}
