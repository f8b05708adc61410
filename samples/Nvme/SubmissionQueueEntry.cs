using System.Runtime.InteropServices;

namespace Vfio.Samples.Nvme;

/// <summary>
/// A 64-byte submission queue entry (NVMe base specification, "Common Command Format"):
/// CDW0 (opcode 7:0, fused 9:8, PSDT 15:14 = 0 for PRPs, command identifier 31:16), NSID,
/// metadata pointer, the data pointer as PRP entry 1 and 2, and command dwords 10-15.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct SubmissionQueueEntry
{
    [FieldOffset(0)] public byte Opcode;
    [FieldOffset(1)] public byte Flags;
    [FieldOffset(2)] public ushort CommandId;
    [FieldOffset(4)] public uint NamespaceId;
    [FieldOffset(8)] public uint Cdw2;
    [FieldOffset(12)] public uint Cdw3;
    [FieldOffset(16)] public ulong MetadataPointer;
    [FieldOffset(24)] public ulong Prp1;
    [FieldOffset(32)] public ulong Prp2;
    [FieldOffset(40)] public uint Cdw10;
    [FieldOffset(44)] public uint Cdw11;
    [FieldOffset(48)] public uint Cdw12;
    [FieldOffset(52)] public uint Cdw13;
    [FieldOffset(56)] public uint Cdw14;
    [FieldOffset(60)] public uint Cdw15;
}
