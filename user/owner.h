/* SPDX-License-Identifier: GPL-2.0 */
/* Who owns a zPCI function: the process that opened its vfio device (the open event's pid and comm, or, for a
 * device open before zpcitrace started, the process that holds the device's vfio file), its executable, and the
 * libvirt domain it runs, from QEMU's "-name guest=NAME" or its systemd scope machine-qemu\x2dN\x2dNAME.scope. */
#ifndef ZPCITRACE_OWNER_H
#define ZPCITRACE_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ZT_OWNER_COMM_LEN 16

struct zt_owner {
	int32_t pid;                  /* 0: no owner known */
	char comm[ZT_OWNER_COMM_LEN]; /* as the kernel names the task (printed escaped) */
	char exe[256];                /* /proc/PID/exe; "" where it could not be read */
	char domain[128];             /* the libvirt domain; "" where the process names none */
};

/* the owner pid opened a function as (comm from the event): its executable and domain from proc (normally
 * "/proc"); what cannot be read stays "" */
void zt_owner_read(const char *proc, int pid, const char *comm, struct zt_owner *o);
/* who holds which vfio file open (/dev/vfio/N, /dev/vfio/devices/vfioX), the lowest pid of each: one walk of
 * proc's fds, for every function a read of the queues names (taken_ns: when, the caller's to set) */
struct zt_vfio_holder {
	char file[64];
	int pid;
};
struct zt_vfio_holders {
	struct zt_vfio_holder *v;
	size_t n;
	uint64_t taken_ns;
};
/* 0, or -ENOMEM (what was found so far stays) */
int zt_vfio_holders_scan(const char *proc, struct zt_vfio_holders *h);
void zt_vfio_holders_free(struct zt_vfio_holders *h);
/* the process holding the vfio device of the PCI function pci ("0001:00:00.0") open, among h: its group's
 * /dev/vfio/N (sys/bus/pci/devices/PCI/iommu_group) or its /dev/vfio/devices/vfioX (sys/bus/pci/devices/PCI/
 * vfio-dev). 0 and o filled, or -1 when no process holds it */
int zt_owner_find(const char *proc, const char *sys, const struct zt_vfio_holders *h, const char *pci,
		  struct zt_owner *o);

/* one line: prefix, then "pid N, COMM (EXE), libvirt domain NAME", escaped for a terminal; or that none is known */
void zt_owner_text(const struct zt_owner *o, const char *prefix, FILE *out);
/* the domain in QEMU's arguments (argv: NUL-separated, len bytes): "-name guest=NAME,..." (",," is a comma),
 * or the older "-name NAME". 0, or -1 when none */
int zt_owner_domain_from_argv(const char *argv, size_t len, char *out, size_t outlen);
/* the domain in a /proc/PID/cgroup text: a path element machine-qemu\x2dN\x2dNAME.scope (systemd's escapes
 * undone). 0, or -1 when none */
int zt_owner_domain_from_cgroup(const char *cgroup, char *out, size_t outlen);

#endif
