namespace Vfio.Host.Model;

/// <summary>
/// A process holding a VFIO device file descriptor: an <c>anon_inode:[vfio-device]</c> fd from
/// <c>VFIO_GROUP_GET_DEVICE_FD</c>, or an open <c>/dev/vfio/devices/vfioN</c> (iommufd cdev).
/// <see cref="Device"/> is the PCI device when the kernel names it: the cdev's sysfs link, or the
/// <c>vfio-device-syspath:</c> line of the fd's fdinfo (6.17 and later); on older kernels an
/// anonymous device fd does not say which device it is (seen on 6.1 and 6.12: fdinfo has only
/// pos, flags, mnt_id and ino).
/// </summary>
public readonly record struct VfioDeviceFd(ProcessRef Process, PciAddress? Device);
