// SPDX-License-Identifier: GPL-2.0
/* zpci_vmm - acts as the VMM for one zPCI function in the s390x test bed, through vfio-pci, and provokes
 * REAL zPCI error events: it points a virtio-rng-pci (iommu_platform=on) virtqueue at a bad IOVA, and
 * QEMU's zPCI IOMMU raises PEC 0x0004 (unmapped IOVA inside the DMA aperture) or 0x0002 (IOVA below it).
 * It reads errors back with ioctl(VFIO_DEVICE_FEATURE, GET | VFIO_DEVICE_FEATURE_ZPCI_ERROR) in either form a
 * kernel may have, and says which it found ("GT uapi"):
 *   merged  Linux 7.3: feature 13, struct { __aligned_u64 data; } pointing at a 32-byte CCDF, -ENOMSG if empty;
 *   v12     the series' v12 5/7: feature 12, struct { __u8 version, pending_errors; __u16 pec; } written into
 *           the ioctl struct itself, rc 0 with pec 0 if empty.
 *
 * usage: zpci_vmm BDF COMMAND...
 *   open          open container, group and device (starts mediated recovery), register the ERR eventfd
 *   probe         VFIO_DEVICE_FEATURE PROBE|GET for the zPCI error feature
 *   error         provoke one PEC 0x0004 error (resets the function first if an earlier error froze it)
 *   error-low     the same with an IOVA below the DMA aperture: PEC 0x0002
 *   get           one GET; drain: GET until it fails
 *   badget        GET the kernel cannot answer (-EFAULT after the entry was dequeued): merged, a data pointer
 *                 nobody mapped; v12, the ioctl struct at the end of a page whose successor is unmapped
 *   reset         VFIO_DEVICE_RESET (retried on -EAGAIN)
 *   close         close the device (stops mediated recovery; the kernel discards what is still queued)
 *   sleep-MS      sleep MS milliseconds
 *   await         say so (/tmp/vmm-waiting) and wait until /tmp/go exists: the bed starts zpcitrace meanwhile
 *   hold          say so (/tmp/vmm-holding, and /tmp/vmm-holding-BDF) and wait until /tmp/release exists, the
 *                 device kept open: the bed copies an output while errors are queued
 *
 * "-name guest=NAME,..." before BDF is taken and ignored, as libvirt passes it to QEMU: zpcitrace reads the
 * domain from the arguments of the process that opened the device.
 *
 * Ground truth goes to stdout, one "GT <what> key=value..." line per observation; t* values are
 * CLOCK_MONOTONIC nanoseconds (the clock of bpf_ktime_get_ns), taken just before and after each call. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>
#include <linux/vfio_zdev.h>

/* The CCDF as the kernel copies it (arch/s390/include/asm/pci.h struct zpci_ccdf_err), read natively on s390x.
 * Deliberately not zpcitrace's own decoder: the ground truth must not share its bugs. */
struct zpci_ccdf_err {
	uint32_t reserved1;
	uint32_t fh;
	uint32_t fid;
	uint32_t ett : 4, mvn : 12, dmaas : 8, reserved2 : 6, q : 1, rw : 1;
	uint64_t faddr;
	uint32_t reserved3;
	uint16_t reserved4;
	uint16_t pec;
} __attribute__((packed));
_Static_assert(sizeof(struct zpci_ccdf_err) == 32, "CCDF size");

/* Linux 7.3 uAPI; the cross headers are older */
#ifndef VFIO_DEVICE_FEATURE_ZPCI_ERROR
#define VFIO_DEVICE_FEATURE_ZPCI_ERROR 13
struct vfio_device_feature_zpci_err {
	__aligned_u64 data;
};
#endif

/* the series' v12 5/7 */
#define ZPCI_ERROR_V12 12
struct zpci_err_v12 {
	uint8_t version;
	uint8_t pending_errors;
	uint16_t pec;
};

enum uapi { UAPI_UNKNOWN, UAPI_MERGED, UAPI_V12, UAPI_NONE };
static enum uapi uapi;

#define DMA_WINDOW (1 << 16)
/* an address no process has mapped: copy_to_user fails */
#define UNWRITABLE_ADDR 0x10

static const char *bdf;
static int container = -1, group = -1, dev = -1, efd = -1;
static uint64_t bar_off[VFIO_PCI_NUM_REGIONS], cfg_off, iova_lo;
static uint32_t fid, fh;
static int common_bar = -1, notify_bar = -1;
static uint32_t common_off, notify_off, notify_mult;
static int frozen;       /* an error left the function in the error state: reset before the next DMA */
static int err_eventfd;  /* the kernel signals errors on efd */
static int n_provoked;   /* distinct bad IOVAs */

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void gt(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("GT ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

static void die(const char *what)
{
	fprintf(stderr, "zpci_vmm: %s: %s\n", what, strerror(errno));
	gt("fatal what=\"%s\" errno=%d", what, errno);
	exit(1);
}

static uint32_t cfg_read(int off, int size)
{
	uint32_t v = 0;
	if (pread(dev, &v, size, cfg_off + off) != size)
		die("config read");
	/* PCI config space is little-endian; the pread lands in the first bytes of v */
	return size == 1 ? v >> 24 : size == 2 ? le16toh(v >> 16) : le32toh(v);
}

static int cfg_write16(int off, uint16_t v)
{
	uint16_t le = htole16(v);
	return pwrite(dev, &le, 2, cfg_off + off) == 2 ? 0 : -errno;
}

static int bar_write(int bar, uint64_t off, uint64_t v, int size)
{
	uint64_t le = htole64(v);
	return pwrite(dev, &le, size, bar_off[bar] + off) == size ? 0 : -errno;
}

static int64_t bar_read(int bar, uint64_t off, int size)
{
	uint64_t le = 0;
	if (pread(dev, &le, size, bar_off[bar] + off) != size)
		return -errno;
	return (int64_t)le64toh(le);
}

static void read_fid(void)
{
	char path[256], buf[32] = "";
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/function_id", bdf);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		die("read function_id");
	fclose(f);
	fid = (uint32_t)strtoul(buf, NULL, 0);
}

static void find_group(char *out, size_t len)
{
	char path[256], link[256];
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("iommu_group");
	link[n] = 0;
	snprintf(out, len, "/dev/vfio/%s", strrchr(link, '/') + 1);
}

static void read_device_info(void)
{
	char buf[8192] = { 0 };
	struct vfio_device_info *info = (void *)buf;

	info->argsz = sizeof(buf);
	if (ioctl(dev, VFIO_DEVICE_GET_INFO, info))
		die("VFIO_DEVICE_GET_INFO");
	if (!(info->flags & VFIO_DEVICE_FLAGS_CAPS))
		return;
	for (uint32_t off = info->cap_offset; off && off < sizeof(buf);) {
		struct vfio_info_cap_header *h = (void *)(buf + off);
		if (h->id == VFIO_DEVICE_INFO_CAP_ZPCI_BASE) {
			struct vfio_device_info_cap_zpci_base *z = (void *)h;
			iova_lo = z->start_dma;
			fh = z->fh;
		}
		off = h->next;
	}
	for (int i = 0; i < VFIO_PCI_NUM_REGIONS; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };
		if (!ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
			bar_off[i] = ri.offset;
	}
	cfg_off = bar_off[VFIO_PCI_CONFIG_REGION_INDEX];
}

/* Linux < 7.3 offers the error IRQ to PCIe functions only; without it, errors are waited for by time */
static int register_err_eventfd(void)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (void *)buf;

	if (efd < 0)
		efd = eventfd(0, EFD_NONBLOCK);
	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_ERR_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(int));
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}

static void find_virtio_caps(void)
{
	for (int p = cfg_read(0x34, 1) & 0xfc; p; p = cfg_read(p + 1, 1) & 0xfc) {
		if (cfg_read(p, 1) != 0x09) /* vendor-specific: virtio */
			continue;
		int type = cfg_read(p + 3, 1), bar = cfg_read(p + 4, 1);
		uint32_t off = cfg_read(p + 8, 4);
		if (type == 1) { /* common config */
			common_bar = bar;
			common_off = off;
		} else if (type == 2) { /* notify */
			notify_bar = bar;
			notify_off = off;
			notify_mult = cfg_read(p + 16, 4);
		}
	}
	if (common_bar < 0 || notify_bar < 0) {
		errno = ENODEV;
		die("virtio capabilities");
	}
}

static void cmd_open(void)
{
	char grp[64];
	void *buf;

	find_group(grp, sizeof(grp));
	read_fid();
	uint64_t t0 = now_ns();
	if ((container = open("/dev/vfio/vfio", O_RDWR)) < 0)
		die("open /dev/vfio/vfio");
	if ((group = open(grp, O_RDWR)) < 0)
		die("open group");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("VFIO_GROUP_SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) && ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		die("VFIO_SET_IOMMU");
	if ((dev = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf)) < 0)
		die("VFIO_GROUP_GET_DEVICE_FD");
	uint64_t t1 = now_ns();
	read_device_info();
	int err_irq = register_err_eventfd();
	find_virtio_caps();
	buf = mmap(NULL, DMA_WINDOW, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf, .iova = iova_lo, .size = DMA_WINDOW };
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("VFIO_IOMMU_MAP_DMA");
	frozen = 0;
	err_eventfd = !err_irq;
	gt("open bdf=%s fid=0x%08x fh=0x%08x t0=%llu t1=%llu start_dma=0x%llx err_irq=%d pid=%d", bdf, fid, fh,
	   (unsigned long long)t0, (unsigned long long)t1, (unsigned long long)iova_lo, err_irq, (int)getpid());
}

static void cmd_close(void)
{
	uint64_t t0 = now_ns();
	close(dev);
	close(group);
	close(container);
	dev = group = container = -1;
	gt("close fid=0x%08x t0=%llu t1=%llu", fid, (unsigned long long)t0, (unsigned long long)now_ns());
}

/* The form this kernel speaks is found by the first call. A kernel answers a feature it does not have with -ENOTTY
 * before any driver code runs, so the merged form, tried first, leaves no trace on a v12 kernel, and a v12 call is
 * never made on a merged one. */
static void learn_uapi(enum uapi u)
{
	static const char *const name[] = { "unknown", "merged", "v12", "none" };

	if (uapi != UAPI_UNKNOWN)
		return;
	uapi = u;
	gt("uapi form=%s feature=%d", name[u], u == UAPI_MERGED ? VFIO_DEVICE_FEATURE_ZPCI_ERROR : u == UAPI_V12 ? ZPCI_ERROR_V12 : 0);
}

static int in_kernel_form(int (*call)(enum uapi u, void *arg), void *arg)
{
	int rc;

	if (uapi != UAPI_V12) {
		rc = call(UAPI_MERGED, arg);
		if (rc != -ENOTTY || uapi == UAPI_MERGED) {
			learn_uapi(UAPI_MERGED);
			return rc;
		}
	}
	rc = call(UAPI_V12, arg);
	learn_uapi(rc == -ENOTTY ? UAPI_NONE : UAPI_V12);
	return rc;
}

/* a v12 ioctl struct whose payload lies on an unmapped page: the kernel reads the header, dequeues, then fails
 * to write the answer (-EFAULT) */
static struct vfio_device_feature *page_end_header(void)
{
	static struct vfio_device_feature *f;
	long page = sysconf(_SC_PAGESIZE);
	char *p;

	if (f)
		return f;
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || munmap(p + page, page))
		die("mmap/munmap for the unwritable v12 answer");
	f = (void *)(p + page - sizeof(*f));
	return f;
}

struct get_args {
	uint64_t data;          /* merged: where the kernel writes the CCDF */
	struct zpci_err_v12 v12; /* v12: the answer */
	int unwritable;         /* the kernel cannot write the answer */
};

static int get_call(enum uapi u, void *arg)
{
	struct get_args *a = arg;
	uint64_t buf[(sizeof(struct vfio_device_feature) + sizeof(struct vfio_device_feature_zpci_err) + 7) / 8] = { 0 };
	struct vfio_device_feature *f = (void *)buf;
	int rc;

	if (u == UAPI_MERGED) {
		f->argsz = sizeof(buf);
		f->flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_ZPCI_ERROR;
		((struct vfio_device_feature_zpci_err *)f->data)->data = a->unwritable ? UNWRITABLE_ADDR : a->data;
		return ioctl(dev, VFIO_DEVICE_FEATURE, f) ? -errno : 0;
	}
	if (a->unwritable)
		f = page_end_header();
	f->argsz = sizeof(*f) + sizeof(a->v12);
	f->flags = VFIO_DEVICE_FEATURE_GET | ZPCI_ERROR_V12;
	rc = ioctl(dev, VFIO_DEVICE_FEATURE, f) ? -errno : 0;
	if (!a->unwritable)
		memcpy(&a->v12, f->data, sizeof(a->v12));
	return rc;
}

/* one GET; returns its rc, or 1 for v12's empty answer (pec 0), so that drain stops there too */
static int cmd_get(void)
{
	struct zpci_ccdf_err c = { 0 };
	struct get_args a = { .data = (uintptr_t)&c };
	uint64_t t0 = now_ns();
	int rc = in_kernel_form(get_call, &a);
	uint64_t t1 = now_ns();

	if (rc) {
		gt("get rc=%d t0=%llu t1=%llu", rc, (unsigned long long)t0, (unsigned long long)t1);
		return rc;
	}
	if (uapi == UAPI_V12) {
		gt("get rc=0 t0=%llu t1=%llu form=v12 pec=0x%04x pending=%u version=%u", (unsigned long long)t0,
		   (unsigned long long)t1, a.v12.pec, a.v12.pending_errors, a.v12.version);
		return a.v12.pec ? 0 : 1;
	}
	gt("get rc=0 t0=%llu t1=%llu fid=0x%08x fh=0x%08x pec=0x%04x faddr=0x%llx q=%u rw=%u mvn=%u", (unsigned long long)t0,
	   (unsigned long long)t1, c.fid, c.fh, c.pec, (unsigned long long)c.faddr, (unsigned)c.q, (unsigned)c.rw, (unsigned)c.mvn);
	return 0;
}

static void cmd_badget(void)
{
	struct get_args a = { .unwritable = 1 };
	uint64_t t0 = now_ns();
	int rc = in_kernel_form(get_call, &a);

	gt("badget rc=%d t0=%llu t1=%llu", rc, (unsigned long long)t0, (unsigned long long)now_ns());
}

static int probe_call(enum uapi u, void *arg)
{
	struct vfio_device_feature f = { .argsz = sizeof(f), .flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET |
				(u == UAPI_V12 ? ZPCI_ERROR_V12 : VFIO_DEVICE_FEATURE_ZPCI_ERROR) };

	(void)arg;
	return ioctl(dev, VFIO_DEVICE_FEATURE, &f) ? -errno : 0;
}

static void cmd_probe(void)
{
	gt("probe rc=%d", in_kernel_form(probe_call, NULL));
}

static int cmd_reset(void)
{
	uint64_t t0 = now_ns();
	int rc, retries = 0;

	/* -EAGAIN while the kernel's recovery path still holds the device lock; now and then -EIO while the
	 * function's config space is still inaccessible after the error (seen under QEMU TCG): both pass */
	while (((rc = ioctl(dev, VFIO_DEVICE_RESET) ? -errno : 0) == -EAGAIN && retries < 500) ||
	       (rc == -EIO && retries < 20)) {
		retries++;
		usleep(rc == -EIO ? 100000 : 10000);
	}
	if (!rc)
		frozen = 0;
	gt("reset rc=%d retries=%d t0=%llu t1=%llu", rc, retries, (unsigned long long)t0, (unsigned long long)now_ns());
	return rc;
}

/* program virtio queue 0 with its rings at bad_iova and kick it: the device's first DMA faults */
static int kick_bad_dma(uint64_t bad_iova)
{
	int b = common_bar, rc;
	uint64_t c = common_off;

	if ((rc = cfg_write16(4, 0x0006))) /* memory space + bus master */
		return rc;
	if ((rc = bar_write(b, c + 20, 0, 1))) /* device status: reset */
		return rc;
	for (int i = 0; i < 1000; i++) {
		int64_t s = bar_read(b, c + 20, 1);
		if (s < 0)
			return (int)s;
		if (!s)
			break;
		usleep(1000);
	}
	bar_write(b, c + 20, 1, 1);     /* ACKNOWLEDGE */
	bar_write(b, c + 20, 3, 1);     /* DRIVER */
	bar_write(b, c + 0, 1, 4);      /* device feature select 1 */
	uint32_t f1 = (uint32_t)bar_read(b, c + 4, 4);
	bar_write(b, c + 8, 0, 4);      /* driver features 0..31: none */
	bar_write(b, c + 12, 0, 4);
	bar_write(b, c + 8, 1, 4);      /* 32..63: VERSION_1 | ACCESS_PLATFORM */
	bar_write(b, c + 12, f1 & 3, 4);
	bar_write(b, c + 20, 3 | 8, 1); /* FEATURES_OK */
	bar_write(b, c + 22, 0, 2);     /* queue select 0 */
	uint16_t notify_idx = (uint16_t)bar_read(b, c + 30, 2);
	for (int r = 0; r < 3; r++) {   /* desc, avail, used rings */
		uint64_t a = bad_iova + (uint64_t)r * 0x1000;
		bar_write(b, c + 32 + 8 * r, a, 4);
		bar_write(b, c + 36 + 8 * r, a >> 32, 4);
	}
	bar_write(b, c + 28, 1, 2);     /* queue enable */
	bar_write(b, c + 20, 3 | 8 | 4, 1); /* DRIVER_OK */
	return bar_write(notify_bar, notify_off + (uint64_t)notify_idx * notify_mult, 0, 2);
}

static int wait_err_eventfd(int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (!err_eventfd) {
		usleep(300000); /* no error IRQ: give the kernel time to handle the event */
		return 0;
	}
	if (poll(&p, 1, ms) != 1 || read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return (int)v;
}

static void cmd_error(int below_aperture)
{
	uint64_t iova;

	if (frozen && cmd_reset())
		return;
	/* a fresh IOVA per error, so that faddr tells errors apart; the device faults on the avail ring's idx */
	iova = below_aperture ? 0x1000 + (uint64_t)(n_provoked % 8) * 0x10000
			      : iova_lo + (64ull << 20) + (uint64_t)n_provoked * 0x100000;
	n_provoked++;
	uint64_t t0 = now_ns();
	int rc = kick_bad_dma(iova);
	int signals = rc ? 0 : wait_err_eventfd(10000);
	uint64_t t1 = now_ns();
	frozen = 1;
	gt("error kind=%s rc=%d eventfd=%d t0=%llu t1=%llu iova=0x%llx", below_aperture ? "below-aperture" : "unmapped", rc,
	   signals, (unsigned long long)t0, (unsigned long long)t1, (unsigned long long)iova);
}

/* create SAY, then wait (at most 300 s) until the bed creates UNTIL */
static void wait_for_bed(const char *say, const char *until)
{
	int fd = open(say, O_CREAT | O_WRONLY, 0644);

	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 6000 && access(until, F_OK); i++)
		usleep(50000);
}

static void cmd_await(void)
{
	wait_for_bed("/tmp/vmm-waiting", "/tmp/go");
	gt("await t=%llu", (unsigned long long)now_ns());
}

static void cmd_hold(void)
{
	char mine[128];
	int fd;

	snprintf(mine, sizeof(mine), "/tmp/vmm-holding-%s", bdf);
	fd = open(mine, O_CREAT | O_WRONLY, 0644);
	if (fd >= 0)
		close(fd);
	wait_for_bed("/tmp/vmm-holding", "/tmp/release");
	gt("hold t=%llu", (unsigned long long)now_ns());
}

int main(int argc, char **argv)
{
	while (argc > 2 && !strcmp(argv[1], "-name")) { /* libvirt's QEMU argument: ignored */
		argv += 2;
		argc -= 2;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: zpci_vmm [-name guest=NAME,...] BDF COMMAND...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bdf = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *c = argv[i];
		int need_dev = strcmp(c, "open") && strncmp(c, "sleep-", 6) && strcmp(c, "await");
		if (need_dev && dev < 0) {
			fprintf(stderr, "zpci_vmm: '%s' needs an open device\n", c);
			return 2;
		}
		if (!strcmp(c, "open"))
			cmd_open();
		else if (!strcmp(c, "probe"))
			cmd_probe();
		else if (!strcmp(c, "error"))
			cmd_error(0);
		else if (!strcmp(c, "error-low"))
			cmd_error(1);
		else if (!strcmp(c, "get"))
			cmd_get();
		else if (!strcmp(c, "drain")) {
			for (int n = 0; n < 64 && !cmd_get(); n++)
				;
		} else if (!strcmp(c, "badget"))
			cmd_badget();
		else if (!strcmp(c, "reset"))
			cmd_reset();
		else if (!strcmp(c, "close"))
			cmd_close();
		else if (!strncmp(c, "sleep-", 6))
			usleep(atoi(c + 6) * 1000);
		else if (!strcmp(c, "await"))
			cmd_await();
		else if (!strcmp(c, "hold"))
			cmd_hold();
		else {
			fprintf(stderr, "zpci_vmm: unknown command '%s'\n", c);
			return 2;
		}
	}
	gt("done");
	return 0;
}
