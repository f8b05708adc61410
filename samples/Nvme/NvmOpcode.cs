namespace Vfio.Samples.Nvme;

/// <summary>The NVM command set opcodes this driver uses (NVM Command Set Specification).</summary>
internal enum NvmOpcode : byte
{
    Flush = 0x00,
    Write = 0x01,
    Read = 0x02,
}
