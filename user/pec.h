/* SPDX-License-Identifier: GPL-2.0 */
/* zPCI PCI event codes (PEC): the one decode table of zpcitrace. */
#ifndef ZPCITRACE_PEC_H
#define ZPCITRACE_PEC_H

#include <stddef.h>
#include <stdint.h>

/* Short mnemonic of a PEC ("tprote", "oorange", ...), or NULL when the code is not known. */
const char *zt_pec_name(uint16_t pec);
/* One-line description of a PEC, or NULL when the code is not known. */
const char *zt_pec_description(uint16_t pec);
/* "0x0004/tprote", or "0x0abc" when the code is not known, into buf; returns buf */
const char *zt_pec_label(uint16_t pec, char *buf, size_t len);

#endif
