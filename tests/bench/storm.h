/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ZPCITRACE_STORM_H
#define ZPCITRACE_STORM_H
/* the records one run of the storm program emits */
#define STORM_BATCH 4096
#endif
