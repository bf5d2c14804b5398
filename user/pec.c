// SPDX-License-Identifier: GPL-2.0
/* PEC meanings from z/VM's MRIODPER, QEMU's include/hw/s390x/s390-pci-bus.h (ERR_EVENT_* and HP_EVENT_*) and
 * arch/s390/pci/pci_event.c. The kernel itself only prints the hex code. */
#include <stddef.h>
#include <string.h>
#include "pec.h"
#include "text.h"

struct pec_entry {
	uint16_t pec;
	const char *name;
	const char *description;
};

static const struct pec_entry pecs[] = {
	{ 0x0001, "invalas", "DMA to an address space with no I/O translations registered" },
	{ 0x0002, "oorange", "DMA address out of the registered range" },
	{ 0x0003, "invaltf", "invalid IOTA format" },
	{ 0x0004, "tprote", "IOTA protection exception (unmapped or protected DMA address)" },
	{ 0x0005, "aprote", "address-translation protection exception" },
	{ 0x0006, "keye", "key exception" },
	{ 0x0007, "invalte", "invalid translation-table entry" },
	{ 0x0008, "invaltl", "invalid translation-table length" },
	{ 0x0009, "tt", "translation-table type error" },
	{ 0x000a, "invalms", "invalid MSI" },
	{ 0x000b, "serr", "system error (SERR)" },
	{ 0x0010, "nomsi", "no MSI" },
	{ 0x0011, "invalbv", "invalid bit vector" },
	{ 0x0012, "aibv", "adapter interruption bit vector error" },
	{ 0x0013, "airerr", "adapter interruption error" },
	{ 0x002a, "fmba", "FMB address error (ignored by the kernel)" },
	{ 0x002b, "fmbup", "FMB update error (ignored by the kernel)" },
	{ 0x002c, "fmbpro", "FMB protection error (ignored by the kernel)" },
	{ 0x0030, "cconf", "configuration change (CCONF)" },
	{ 0x003a, "servac", "service action" },
	{ 0x003b, "permerr", "permanent error" },
	{ 0x0040, "recfail", "service action or error recovery failed" },
	{ 0x0301, "to_configured", "function became configured (hot-plug)" },
	{ 0x0302, "to_standby", "reserved to standby" },
	{ 0x0303, "deconf_req", "deconfiguration requested" },
	{ 0x0304, "to_standby_reserved", "configured to standby or reserved" },
	{ 0x0306, "rescan", "no handle or fid stored; rescan" },
	{ 0x0308, "to_reserved", "standby to reserved" },
};

static const struct pec_entry *lookup(uint16_t pec)
{
	for (size_t i = 0; i < sizeof(pecs) / sizeof(pecs[0]); i++)
		if (pecs[i].pec == pec)
			return &pecs[i];
	return NULL;
}

const char *zt_pec_name(uint16_t pec)
{
	const struct pec_entry *e = lookup(pec);
	return e ? e->name : NULL;
}

const char *zt_pec_description(uint16_t pec)
{
	const struct pec_entry *e = lookup(pec);
	return e ? e->description : NULL;
}

const char *zt_pec_label(uint16_t pec, char *buf, size_t len)
{
	/* no printf: every event line with an error carries it (docs/performance.md) */
	const char *name = zt_pec_name(pec);
	char t[64] = "0x";
	size_t n = 6;

	for (int i = 0; i < 4; i++)
		t[2 + i] = zt_hex_digits[pec >> (12 - 4 * i) & 15];
	if (name) {
		size_t m = strnlen(name, sizeof(t) - 8);

		t[n++] = '/';
		memcpy(t + n, name, m);
		n += m;
	}
	if (len) {
		n = n < len - 1 ? n : len - 1;
		memcpy(buf, t, n);
		buf[n] = 0;
	}
	return buf;
}

void zt_pec_legend(FILE *out, const uint16_t *pec, size_t n)
{
	char label[64];

	if (!n)
		return;
	fprintf(out, "PECs:\n");
	for (size_t i = 0; i < n; i++) {
		const char *d = zt_pec_description(pec[i]);

		fprintf(out, "  %-26s %s\n", zt_pec_label(pec[i], label, sizeof(label)),
			d ? d : "not a code zpcitrace knows: see the platform's documentation");
	}
}

void zt_pec_man(FILE *out)
{
	for (size_t i = 0; i < sizeof(pecs) / sizeof(pecs[0]); i++)
		fprintf(out, ".TP\n.B 0x%04x %s\n%s.\n", pecs[i].pec, pecs[i].name, pecs[i].description);
}
