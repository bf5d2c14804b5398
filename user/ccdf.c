// SPDX-License-Identifier: GPL-2.0
/* CCDF layout (arch/s390/include/asm/pci.h, struct zpci_ccdf_err, __packed, big-endian):
 *   0 u32 reserved1 | 4 u32 fh | 8 u32 fid | 12 u32 ett:4 mvn:12 dmaas:8 reserved2:6 q:1 rw:1
 *  16 u64 faddr     | 24 u32 reserved3 | 28 u16 reserved4 | 30 u16 pec
 * Bit fields on s390 are allocated from the most significant bit. */
#include "ccdf.h"

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

void zt_ccdf_decode(const uint8_t raw[ZT_CCDF_LEN], struct zt_ccdf *out)
{
	uint32_t w = be32(raw + 12);

	out->fh = be32(raw + 4);
	out->fid = be32(raw + 8);
	out->ett = w >> 28;
	out->mvn = (w >> 16) & 0xfff;
	out->dmaas = (w >> 8) & 0xff;
	out->q = (w >> 1) & 1;
	out->rw = w & 1;
	out->faddr = (uint64_t)be32(raw + 16) << 32 | be32(raw + 20);
	out->pec = (uint16_t)(raw[30] << 8 | raw[31]);
}

void zt_ccdf_encode(const struct zt_ccdf *in, uint8_t raw[ZT_CCDF_LEN])
{
	for (int i = 0; i < ZT_CCDF_LEN; i++)
		raw[i] = 0;
	put_be32(raw + 4, in->fh);
	put_be32(raw + 8, in->fid);
	put_be32(raw + 12, (uint32_t)(in->ett & 0xf) << 28 | (uint32_t)(in->mvn & 0xfff) << 16 |
				   (uint32_t)in->dmaas << 8 | (uint32_t)(in->q & 1) << 1 | (in->rw & 1));
	put_be32(raw + 16, (uint32_t)(in->faddr >> 32));
	put_be32(raw + 20, (uint32_t)in->faddr);
	raw[30] = in->pec >> 8;
	raw[31] = in->pec & 0xff;
}
