// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: a capture file as 'zpcitrace report' reads it: parsed, then correlated and summarised
 * (text, JSON, Prometheus, Perfetto) as the report would. Any crash, leak or UB is a bug.
 * Build and run: make fuzz (FUZZ_RUNS=N) */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "capture.h"
#include "correlate.h"
#include "perfetto.h"
#include "prom.h"
#include "summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	struct zt_capture c;
	struct zt_corr corr;
	char err[256];

	if (!sink)
		sink = fopen("/dev/null", "w");
	if (zt_capture_parse((const char *)data, size, &c, err, sizeof(err))) {
		zt_capture_free(&c);
		return 0;
	}
	zt_corr_init(&corr);
	for (size_t i = 0; i < c.nevents; i++)
		zt_corr_add(&corr, &c.events[i], NULL);
	struct zt_summary s = { .corr = &corr, .now_ns = c.ended_ns, .ringbuf_drops = c.ringbuf_lost,
				.hooks = c.meta.hooks, .nhooks = c.meta.nhooks, .histograms = true };
	zt_summary_text(&s, sink);
	zt_summary_json(&s, sink);
	zt_prom_render(&s, sink);
	zt_perfetto_write(sink, c.events, c.nevents, c.meta.realtime_off);
	zt_corr_free(&corr);
	zt_capture_free(&c);
	return 0;
}
