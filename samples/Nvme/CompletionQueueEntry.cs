using System.Runtime.InteropServices;

namespace Vfio.Samples.Nvme;

/// <summary>
/// A 16-byte completion queue entry (NVMe base specification, "Common Completion Queue Entry"):
/// DW0 command specific, DW2 SQ head pointer 15:0 and SQ identifier 31:16, DW3 command identifier
/// 15:0, phase tag bit 16 and status field 31:17.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal readonly struct CompletionQueueEntry
{
    [FieldOffset(0)] public readonly uint Result;
    [FieldOffset(4)] public readonly uint Reserved;
    [FieldOffset(8)] public readonly ushort SqHead;
    [FieldOffset(10)] public readonly ushort SqId;
    [FieldOffset(12)] public readonly ushort CommandId;
    /// <summary>Phase tag (bit 0) and the status field (bits 15:1).</summary>
    [FieldOffset(14)] public readonly ushort StatusAndPhase;

    public bool Phase => (StatusAndPhase & 1) != 0;

    public NvmeStatus Status => new((ushort)(StatusAndPhase >> 1));
}
