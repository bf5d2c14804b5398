/* SPDX-License-Identifier: GPL-2.0 */
/* zPCI PCI event codes (PEC): the one decode table of zpcitrace. */
#ifndef ZPCITRACE_PEC_H
#define ZPCITRACE_PEC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Short mnemonic of a PEC ("tprote", "oorange", ...), or NULL when the code is not known. */
const char *zt_pec_name(uint16_t pec);
/* One-line description of a PEC, or NULL when the code is not known. */
const char *zt_pec_description(uint16_t pec);
/* "0x0004/tprote", or "0x0abc" when the code is not known, into buf; returns buf */
const char *zt_pec_label(uint16_t pec, char *buf, size_t len);
/* "PECs:" and a line per code, its label and what it means, for the text outputs (the summary, status): what an
 * operator reads next to the codes above it. n codes, each once */
void zt_pec_legend(FILE *out, const uint16_t *pec, size_t n);
/* the man page's PEC table (roff), every code of the table: docs/zpcitrace.8 holds it (make facts) */
void zt_pec_man(FILE *out);

#endif
