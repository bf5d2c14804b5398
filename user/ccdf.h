/* SPDX-License-Identifier: GPL-2.0 */
/* The zPCI Content Code Description for a PCI Function Error (CCDF): 32 bytes, architected, big-endian.
 * zpcitrace carries it raw (as the kernel queued it) and decodes it here, so that byte order never
 * depends on the machine that decodes. */
#ifndef ZPCITRACE_CCDF_H
#define ZPCITRACE_CCDF_H

#include <stdint.h>
#include <stddef.h>
#include <linux/types.h>
#include "zt_event.h" /* ZT_CCDF_LEN: the record carries the CCDF as the kernel holds it */

struct zt_ccdf {
	uint32_t fh;     /* function handle */
	uint32_t fid;    /* function id */
	uint8_t ett;     /* expected table type (4 bits) */
	uint16_t mvn;    /* MSI vector number (12 bits) */
	uint8_t dmaas;   /* DMA address space */
	uint8_t q;       /* event qualifier */
	uint8_t rw;      /* read (0) / write (1) */
	uint64_t faddr;  /* failing address */
	uint16_t pec;    /* PCI event code */
};

/* Decode the 32 raw bytes of arch/s390 struct zpci_ccdf_err. */
void zt_ccdf_decode(const uint8_t raw[ZT_CCDF_LEN], struct zt_ccdf *out);
/* Inverse of zt_ccdf_decode (reserved fields zero); used by tests and tools that synthesise CCDFs. */
void zt_ccdf_encode(const struct zt_ccdf *in, uint8_t raw[ZT_CCDF_LEN]);

#endif
