// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "owner.h"
#include "text.h"

/* the first len bytes of a file (NUL-terminated; what it holds may contain NULs): how many, or -1 */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < len - 1) {
		ssize_t r = read(fd, buf + got, len - 1 - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

int zt_owner_domain_from_argv(const char *argv, size_t len, char *out, size_t outlen)
{
	const char *end = argv + len, *v = NULL;
	size_t o = 0;

	for (const char *a = argv; a < end; a += strnlen(a, (size_t)(end - a)) + 1)
		if ((!strcmp(a, "-name") || !strcmp(a, "--name")) && a + strlen(a) + 1 < end) {
			v = a + strlen(a) + 1;
			break;
		}
	if (!v || !outlen)
		return -1;
	/* "guest=NAME,debug-threads=on", or "NAME" (also "NAME,process=..."): QEMU's option syntax, ",," a comma */
	if (!strncmp(v, "guest=", 6))
		v += 6;
	else if (strchr(v, '=') && strchr(v, '=') < (strchr(v, ',') ? strchr(v, ',') : v + strlen(v)))
		return -1; /* "process=...": no name */
	for (const char *p = v; *p && p < end && o + 1 < outlen; p++) {
		if (*p == ',' && p[1] != ',')
			break;
		if (*p == ',')
			p++;
		out[o++] = *p;
	}
	out[o] = '\0';
	return o ? 0 : -1;
}

/* systemd's unit-name escapes: \xNN is the byte NN */
static size_t unescape_unit(const char *s, size_t n, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && isxdigit((unsigned char)s[i + 2]) &&
		    isxdigit((unsigned char)s[i + 3])) {
			char hex[3] = { s[i + 2], s[i + 3], 0 };

			out[o++] = (char)strtoul(hex, NULL, 16);
			i += 3;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

int zt_owner_domain_from_cgroup(const char *cgroup, char *out, size_t outlen)
{
	static const char prefix[] = "machine-qemu", suffix[] = ".scope";

	for (const char *p = strstr(cgroup, prefix); p; p = strstr(p + 1, prefix)) {
		size_t n = strcspn(p, "/\n");
		char unit[256], *name;

		if (n < sizeof(prefix) + sizeof(suffix) || strncmp(p + n - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1))
			continue;
		/* machine-qemu\x2dN\x2dNAME: "qemu-N-NAME" once unescaped */
		unescape_unit(p + 8, n - 8 - (sizeof(suffix) - 1), unit, sizeof(unit));
		if (strncmp(unit, "qemu-", 5) || !isdigit((unsigned char)unit[5]))
			continue;
		name = unit + 5;
		while (isdigit((unsigned char)*name))
			name++;
		if (*name++ != '-' || !*name)
			continue;
		snprintf(out, outlen, "%s", name);
		return 0;
	}
	return -1;
}

void zt_owner_read(const char *proc, int pid, const char *comm, struct zt_owner *o)
{
	char path[PATH_MAX], buf[8192];
	ssize_t n;

	memset(o, 0, sizeof(*o));
	o->pid = pid;
	snprintf(o->comm, sizeof(o->comm), "%s", comm ? comm : "");
	snprintf(path, sizeof(path), "%s/%d/exe", proc, pid);
	n = readlink(path, o->exe, sizeof(o->exe) - 1);
	o->exe[n > 0 ? n : 0] = '\0';
	if (!o->comm[0]) {
		snprintf(path, sizeof(path), "%s/%d/comm", proc, pid);
		if (read_small(path, o->comm, sizeof(o->comm)) > 0)
			o->comm[strcspn(o->comm, "\n")] = '\0';
	}
	snprintf(path, sizeof(path), "%s/%d/cmdline", proc, pid);
	n = read_small(path, buf, sizeof(buf));
	if (n > 0 && !zt_owner_domain_from_argv(buf, (size_t)n, o->domain, sizeof(o->domain)))
		return;
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc, pid);
	if (read_small(path, buf, sizeof(buf)) > 0)
		zt_owner_domain_from_cgroup(buf, o->domain, sizeof(o->domain));
}

/* the files a process holding the function's vfio device has open: "/dev/vfio/N" (its group, the legacy
 * interface) and "/dev/vfio/devices/vfioX" (its cdev, iommufd) */
static int device_files(const char *sys, const char *pci, char files[2][64])
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;
	int k = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/iommu_group", sys, pci);
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		snprintf(files[k++], sizeof(files[0]), "/dev/vfio/%.40s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vfio-dev", sys, pci);
	d = opendir(path);
	for (struct dirent *de; d && k < 2 && (de = readdir(d));)
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(files[k++], sizeof(files[0]), "/dev/vfio/devices/%.40s", de->d_name);
	if (d)
		closedir(d);
	return k;
}

/* a holder of a vfio file, kept when its pid is the lowest so far (libvirt hands QEMU the fds it opened: the
 * first of several) */
static int add_holder(struct zt_vfio_holders *h, const char *file, int pid)
{
	struct zt_vfio_holder *v;

	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->v[i].file, file)) {
			h->v[i].pid = pid < h->v[i].pid ? pid : h->v[i].pid;
			return 0;
		}
	v = realloc(h->v, (h->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->v = v;
	snprintf(v[h->n].file, sizeof(v[0].file), "%s", file);
	v[h->n++].pid = pid;
	return 0;
}

/* the vfio files pid holds open */
static int add_holdings(struct zt_vfio_holders *h, const char *proc, const char *pid_name, int pid)
{
	char path[PATH_MAX], link[PATH_MAX];
	DIR *d;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s/fd", proc, pid_name);
	d = opendir(path);
	for (struct dirent *de; d && !err && (de = readdir(d));) {
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/fd/%s", proc, pid_name, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (!strncmp(link, "/dev/vfio/", 10) && strlen(link) < sizeof(h->v[0].file))
			err = add_holder(h, link, pid);
	}
	if (d)
		closedir(d);
	return err;
}

int zt_vfio_holders_scan(const char *proc, struct zt_vfio_holders *h)
{
	DIR *d = opendir(proc);
	int err = 0;

	h->n = 0;
	for (struct dirent *de; d && !err && (de = readdir(d));) {
		char *end;
		long p = strtol(de->d_name, &end, 10);

		if (!*end && p > 0 && p <= INT32_MAX)
			err = add_holdings(h, proc, de->d_name, (int)p);
	}
	if (d)
		closedir(d);
	return err;
}

void zt_vfio_holders_free(struct zt_vfio_holders *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

int zt_owner_find(const char *proc, const char *sys, const struct zt_vfio_holders *h, const char *pci,
		  struct zt_owner *o)
{
	char files[2][64];
	int nfiles = device_files(sys, pci, files), pid = 0;

	for (size_t i = 0; i < h->n; i++)
		for (int k = 0; k < nfiles; k++)
			if (!strcmp(h->v[i].file, files[k]) && (!pid || h->v[i].pid < pid))
				pid = h->v[i].pid;
	if (!pid)
		return -1;
	zt_owner_read(proc, pid, NULL, o);
	return 0;
}

void zt_owner_text(const struct zt_owner *o, const char *prefix, FILE *out)
{
	char comm[ZT_TEXT_ESCAPED(ZT_OWNER_COMM_LEN)], exe[ZT_TEXT_ESCAPED(256)], domain[ZT_TEXT_ESCAPED(128)];

	if (!o || !o->pid) {
		fprintf(out, "%snot known (no process found holding its vfio device open)\n",
			prefix);
		return;
	}
	zt_text_escape(o->comm, strlen(o->comm), comm, sizeof(comm));
	zt_text_escape(o->exe, strlen(o->exe), exe, sizeof(exe));
	zt_text_escape(o->domain, strlen(o->domain), domain, sizeof(domain));
	fprintf(out, "%spid %d, %s (%s)%s%s\n", prefix, o->pid, comm, exe[0] ? exe : "executable not readable",
		domain[0] ? ", libvirt domain " : "", domain);
}
