/*
 * The C side of bench/vfio-vs-c.sh: the same VFIO calls the managed side makes through
 * Vfio.Userspace, made directly with ioctl(2) and mmap(2) on linux/vfio.h.
 *
 *   bench-c ADDRESS [--backend container|iommufd] [--map N] [--mmio N] [--passes P] [--warmup W] [--offset OFF]
 *
 * Container (the default): opens the container, the device's group and the device (type1v2
 * IOMMU) and times N VFIO_IOMMU_MAP_DMA + VFIO_IOMMU_UNMAP_DMA pairs of one 4 KiB anonymous page
 * (touched first) at one IOVA. iommufd: opens /dev/iommu, allocates an IOAS, opens the device's
 * cdev, binds and attaches it, and times N IOMMU_IOAS_MAP (fixed IOVA) + IOMMU_IOAS_UNMAP pairs
 * (needs linux/iommufd.h with the cdev bind: compile with -I of a 6.6+ kernel's uapi headers). Then mmaps BAR0 and times N volatile 32-bit reads of the register at OFF (default
 * 0x00, edu's identification register). W untimed passes (at least 0.5 s of them), then P timed
 * passes of each; one line per timed pass:
 *
 *   RESULT side=c what=map_unmap pass=1 ops=N ns=T
 *   RESULT side=c what=mmio_read32 pass=1 ops=N ns=T
 *
 * Build: gcc -O2 -Wall -o bench-c bench.c   (-I KERNEL/usr/include for the iommufd backend)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <linux/vfio.h>
#if __has_include(<linux/iommufd.h>)
#include <linux/iommufd.h>
#endif
#if defined(IOMMU_IOAS_MAP) && defined(VFIO_DEVICE_BIND_IOMMUFD)
#define HAVE_IOMMUFD 1
#include <dirent.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
/* The IOVA the managed side's allocator hands out first (it skips page 0): the same for both. */
#define IOVA 0x1000UL

static volatile uint32_t sink;

static void die(const char *what)
{
    fprintf(stderr, "bench-c: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int group_of(const char *address)
{
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof link, "/sys/bus/pci/devices/%s/iommu_group", address);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n < 0) die(link);
    target[n] = 0;
    return atoi(basename(target));
}

static uint64_t map_unmap(int container, void *page, long n)
{
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof map,
        .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .vaddr = (uintptr_t)page,
        .iova = IOVA,
        .size = PAGE,
    };
    struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof unmap, .iova = IOVA };
    uint64_t start = now_ns();
    for (long i = 0; i < n; i++) {
        if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) die("VFIO_IOMMU_MAP_DMA");
        unmap.size = PAGE; /* the kernel writes back the size it unmapped */
        if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap)) die("VFIO_IOMMU_UNMAP_DMA");
    }
    return now_ns() - start;
}

#ifdef HAVE_IOMMUFD
static uint64_t map_unmap_ioas(int iommufd, uint32_t ioas, void *page, long n)
{
    struct iommu_ioas_map map = {
        .size = sizeof map,
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        .ioas_id = ioas,
        .user_va = (uintptr_t)page,
        .length = PAGE,
        .iova = IOVA,
    };
    struct iommu_ioas_unmap unmap = { .size = sizeof unmap, .ioas_id = ioas, .iova = IOVA };
    uint64_t start = now_ns();
    for (long i = 0; i < n; i++) {
        if (ioctl(iommufd, IOMMU_IOAS_MAP, &map)) die("IOMMU_IOAS_MAP");
        unmap.length = PAGE; /* the kernel writes back the length it unmapped */
        if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap)) die("IOMMU_IOAS_UNMAP");
    }
    return now_ns() - start;
}

/* The device's cdev: /dev/vfio/devices/ + the one entry of its vfio-dev/ directory in sysfs. */
static int open_cdev(const char *address)
{
    char dir[PATH_MAX], node[PATH_MAX];
    snprintf(dir, sizeof dir, "/sys/bus/pci/devices/%s/vfio-dev", address);
    DIR *d = opendir(dir);
    if (!d) die(dir);
    struct dirent *e;
    node[0] = 0;
    while ((e = readdir(d)))
        if (!strncmp(e->d_name, "vfio", 4)) snprintf(node, sizeof node, "/dev/vfio/devices/%s", e->d_name);
    closedir(d);
    if (!node[0]) { errno = ENOENT; die("no vfio-dev entry"); }
    int fd = open(node, O_RDWR | O_CLOEXEC);
    if (fd < 0) die(node);
    return fd;
}
#endif

static uint64_t mmio_reads(volatile uint32_t *reg, long n)
{
    uint32_t acc = 0;
    uint64_t start = now_ns();
    for (long i = 0; i < n; i++) acc ^= *reg;
    uint64_t t = now_ns() - start;
    sink = acc;
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-c ADDRESS [--backend container|iommufd] [--map N] [--mmio N] [--passes P] [--warmup W] [--offset OFF]\n");
        return 2;
    }
    const char *address = argv[1];
    long maps = 5000, reads = 200000, passes = 5, warmup = 1;
    unsigned long offset = 0;
    int iommufd_backend = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--backend")) {
            if (!strcmp(argv[i + 1], "iommufd")) iommufd_backend = 1;
            else if (strcmp(argv[i + 1], "container")) { fprintf(stderr, "bench-c: --backend container|iommufd\n"); return 2; }
        }
        else if (!strcmp(argv[i], "--map")) maps = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--mmio")) reads = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--passes")) passes = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--offset")) offset = strtoul(argv[i + 1], NULL, 0);
        else { fprintf(stderr, "bench-c: unknown option %s\n", argv[i]); return 2; }
    }

    int container = -1, group = -1, device = -1, iommufd = -1;
    uint32_t ioas = 0;
    if (iommufd_backend) {
#ifdef HAVE_IOMMUFD
        iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
        if (iommufd < 0) die("open /dev/iommu");
        struct iommu_ioas_alloc alloc = { .size = sizeof alloc };
        if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc)) die("IOMMU_IOAS_ALLOC");
        ioas = alloc.out_ioas_id;
        device = open_cdev(address);
        struct vfio_device_bind_iommufd bind = { .argsz = sizeof bind, .iommufd = iommufd };
        if (ioctl(device, VFIO_DEVICE_BIND_IOMMUFD, &bind)) die("VFIO_DEVICE_BIND_IOMMUFD");
        struct vfio_device_attach_iommufd_pt attach = { .argsz = sizeof attach, .pt_id = ioas };
        if (ioctl(device, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach)) die("VFIO_DEVICE_ATTACH_IOMMUFD_PT");
#else
        fprintf(stderr, "bench-c: built without linux/iommufd.h and the cdev bind: compile with -I of a 6.6+ kernel's uapi headers\n");
        return 2;
#endif
    } else {
        container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
        if (container < 0) die("open /dev/vfio/vfio");
        if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) die("VFIO_GET_API_VERSION");
        char path[64];
        snprintf(path, sizeof path, "/dev/vfio/%d", group_of(address));
        group = open(path, O_RDWR | O_CLOEXEC);
        if (group < 0) die(path);
        struct vfio_group_status status = { .argsz = sizeof status };
        if (ioctl(group, VFIO_GROUP_GET_STATUS, &status)) die("VFIO_GROUP_GET_STATUS");
        if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) { errno = EPERM; die("group not viable"); }
        if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container)) die("VFIO_GROUP_SET_CONTAINER");
        if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) die("VFIO_SET_IOMMU");
        device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, address);
        if (device < 0) die("VFIO_GROUP_GET_DEVICE_FD");
    }

    struct vfio_region_info bar = { .argsz = sizeof bar, .index = VFIO_PCI_BAR0_REGION_INDEX };
    if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &bar)) die("VFIO_DEVICE_GET_REGION_INFO");
    if (!(bar.flags & VFIO_REGION_INFO_FLAG_MMAP) || offset + 4 > bar.size) { errno = EINVAL; die("BAR0 not mmap-able or too small"); }
    void *regs = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, (off_t)bar.offset);
    if (regs == MAP_FAILED) die("mmap BAR0");
    volatile uint32_t *reg = (volatile uint32_t *)((char *)regs + offset);

    void *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) die("mmap page");
    memset(page, 0x5a, PAGE);

#ifdef HAVE_IOMMUFD
#define TIMED_MAP_UNMAP() (iommufd_backend ? map_unmap_ioas(iommufd, ioas, page, maps) : map_unmap(container, page, maps))
#else
#define TIMED_MAP_UNMAP() map_unmap(container, page, maps)
#endif
    printf("INFO side=c backend=%s register=0x%lx value=0x%08" PRIx32 " bar0_size=%llu\n", iommufd_backend ? "iommufd" : "container", offset, *reg, (unsigned long long)bar.size);
    /* Warm-up: W passes, and at least half a second (the managed side needs it for its JIT). */
    uint64_t warm_start = now_ns();
    for (long p = 0; p < warmup || now_ns() - warm_start < 500000000ULL; p++) {
        TIMED_MAP_UNMAP();
        mmio_reads(reg, reads);
    }
    for (long p = 1; p <= passes; p++) {
        uint64_t t = TIMED_MAP_UNMAP();
        printf("RESULT side=c what=map_unmap pass=%ld ops=%ld ns=%" PRIu64 "\n", p, maps, t);
        t = mmio_reads(reg, reads);
        printf("RESULT side=c what=mmio_read32 pass=%ld ops=%ld ns=%" PRIu64 "\n", p, reads, t);
        fflush(stdout);
    }

    munmap(page, PAGE);
    munmap(regs, bar.size);
    close(device);
    if (iommufd_backend) {
        close(iommufd); /* frees the IOAS with it */
    } else {
        ioctl(group, VFIO_GROUP_UNSET_CONTAINER, &container);
        close(container);
        close(group);
    }
    (void)ioas;
    return 0;
}
