// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>
#include "snapshot.h"
#include "text.h"

bool zt_capture_gaps_damaged(const struct zt_capture_gaps *g)
{
	return (!g->live && (g->cut || g->cut_bytes)) || g->skipped_lines || g->unwritten || g->shrank ||
	       g->count_mismatch || g->missing_files;
}

void zt_fn_pci_name(const struct zt_fn *f, char *buf, size_t len)
{
	zt_pci_name(f->has_pci, f->pci_domain, f->pci_bus, f->pci_devfn, buf, len);
}

static void read_attr(const char *pci, const char *attr, char *buf, size_t len)
{
	char path[128], raw[64] = "";
	FILE *f;

	snprintf(buf, len, "-");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", pci, attr);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(raw, (int)sizeof(raw), f)) {
		raw[strcspn(raw, "\n")] = 0;
		if (raw[0]) /* the kernel's text, printed as it is by every output */
			zt_text_escape(raw, strlen(raw), buf, len);
	}
	fclose(f);
}

void zt_ident_sysfs(void *ctx, const struct zt_fn *f, struct zt_ident *id)
{
	(void)ctx;
	char pci[32];

	zt_fn_pci_name(f, pci, sizeof(pci));
	read_attr(pci, "uid", id->uid, sizeof(id->uid));
	read_attr(pci, "pchid", id->pchid, sizeof(id->pchid));
}

void zt_snapshot_ident(const struct zt_snapshot *s, const struct zt_fn *f, struct zt_ident *id)
{
	strcpy(id->uid, "-");
	strcpy(id->pchid, "-");
	if (s->ident && f->has_pci)
		s->ident(s->ident_ctx, f, id);
}
