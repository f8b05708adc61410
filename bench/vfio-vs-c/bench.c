/*
 * The C side of bench/vfio-vs-c.sh: the same VFIO calls the managed side makes through
 * Vfio.Userspace, made directly with ioctl(2) and mmap(2) on linux/vfio.h.
 *
 *   bench-c ADDRESS [--map N] [--mmio N] [--passes P] [--warmup W] [--offset OFF]
 *
 * Opens the container, the device's group and the device (type1v2 IOMMU), maps one 4 KiB
 * anonymous page (touched first) and times N VFIO_IOMMU_MAP_DMA + VFIO_IOMMU_UNMAP_DMA pairs of
 * it at one IOVA; mmaps BAR0 and times N volatile 32-bit reads of the register at OFF (default
 * 0x00, edu's identification register). W untimed passes (at least 0.5 s of them), then P timed
 * passes of each; one line per timed pass:
 *
 *   RESULT side=c what=map_unmap pass=1 ops=N ns=T
 *   RESULT side=c what=mmio_read32 pass=1 ops=N ns=T
 *
 * Build: gcc -O2 -Wall -o bench-c bench.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <linux/vfio.h>
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
        fprintf(stderr, "usage: bench-c ADDRESS [--map N] [--mmio N] [--passes P] [--warmup W] [--offset OFF]\n");
        return 2;
    }
    const char *address = argv[1];
    long maps = 5000, reads = 200000, passes = 5, warmup = 1;
    unsigned long offset = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--map")) maps = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--mmio")) reads = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--passes")) passes = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--offset")) offset = strtoul(argv[i + 1], NULL, 0);
        else { fprintf(stderr, "bench-c: unknown option %s\n", argv[i]); return 2; }
    }

    int container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    if (container < 0) die("open /dev/vfio/vfio");
    if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) die("VFIO_GET_API_VERSION");
    char path[64];
    snprintf(path, sizeof path, "/dev/vfio/%d", group_of(address));
    int group = open(path, O_RDWR | O_CLOEXEC);
    if (group < 0) die(path);
    struct vfio_group_status status = { .argsz = sizeof status };
    if (ioctl(group, VFIO_GROUP_GET_STATUS, &status)) die("VFIO_GROUP_GET_STATUS");
    if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) { errno = EPERM; die("group not viable"); }
    if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container)) die("VFIO_GROUP_SET_CONTAINER");
    if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) die("VFIO_SET_IOMMU");
    int device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, address);
    if (device < 0) die("VFIO_GROUP_GET_DEVICE_FD");

    struct vfio_region_info bar = { .argsz = sizeof bar, .index = VFIO_PCI_BAR0_REGION_INDEX };
    if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &bar)) die("VFIO_DEVICE_GET_REGION_INFO");
    if (!(bar.flags & VFIO_REGION_INFO_FLAG_MMAP) || offset + 4 > bar.size) { errno = EINVAL; die("BAR0 not mmap-able or too small"); }
    void *regs = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, device, (off_t)bar.offset);
    if (regs == MAP_FAILED) die("mmap BAR0");
    volatile uint32_t *reg = (volatile uint32_t *)((char *)regs + offset);

    void *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) die("mmap page");
    memset(page, 0x5a, PAGE);

    printf("INFO side=c register=0x%lx value=0x%08" PRIx32 " bar0_size=%llu\n", offset, *reg, (unsigned long long)bar.size);
    /* Warm-up: W passes, and at least half a second (the managed side needs it for its JIT). */
    uint64_t warm_start = now_ns();
    for (long p = 0; p < warmup || now_ns() - warm_start < 500000000ULL; p++) {
        map_unmap(container, page, maps);
        mmio_reads(reg, reads);
    }
    for (long p = 1; p <= passes; p++) {
        uint64_t t = map_unmap(container, page, maps);
        printf("RESULT side=c what=map_unmap pass=%ld ops=%ld ns=%" PRIu64 "\n", p, maps, t);
        t = mmio_reads(reg, reads);
        printf("RESULT side=c what=mmio_read32 pass=%ld ops=%ld ns=%" PRIu64 "\n", p, reads, t);
        fflush(stdout);
    }

    munmap(page, PAGE);
    munmap(regs, bar.size);
    close(device);
    ioctl(group, VFIO_GROUP_UNSET_CONTAINER, &container);
    close(container);
    close(group);
    return 0;
}
