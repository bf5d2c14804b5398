// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include "args.h"

int zt_parse_fid(const char *arg, uint32_t *fid)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || !*arg || *end || v > 0xffffffffUL || arg[0] == '-')
		return -1;
	*fid = (uint32_t)v;
	return 0;
}

int zt_parse_count(const char *arg, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || !*arg || *end || arg[0] == '-' || !v || v > max)
		return -1;
	*out = v;
	return 0;
}
