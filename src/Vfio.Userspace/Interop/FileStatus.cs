namespace Vfio.Userspace.Interop;

/// <summary>Owner and mode of a file, from statx (its layout is the same on every architecture).</summary>
internal readonly record struct FileStatus(uint Uid, uint Gid, uint Mode)
{
    /// <summary>The status of <paramref name="path"/>, or null when it cannot be read.</summary>
    public static unsafe FileStatus? Of(string path)
    {
        // struct statx: stx_mask u32 @0, stx_blksize u32 @4, stx_attributes u64 @8, stx_nlink u32 @16,
        // stx_uid u32 @20, stx_gid u32 @24, stx_mode u16 @28; 256 bytes in all (linux/stat.h).
        byte* buffer = stackalloc byte[256];
        if (Libc.Statx(Libc.AT_FDCWD, path, 0, Libc.STATX_BASIC_STATS, buffer) != 0) return null;
        return new FileStatus(*(uint*)(buffer + 20), *(uint*)(buffer + 24), *(ushort*)(buffer + 28));
    }
}
