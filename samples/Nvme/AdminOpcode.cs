namespace Vfio.Samples.Nvme;

/// <summary>The admin command opcodes this driver uses (NVMe base specification, "Admin Command Set").</summary>
internal enum AdminOpcode : byte
{
    DeleteIoSubmissionQueue = 0x00,
    CreateIoSubmissionQueue = 0x01,
    DeleteIoCompletionQueue = 0x04,
    CreateIoCompletionQueue = 0x05,
    Identify = 0x06,
    SetFeatures = 0x09,
}
