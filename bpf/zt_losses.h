/* SPDX-License-Identifier: GPL-2.0 */
/* What a run could not see, one row each: the BPF programs count them (losses[], indexed by enum zt_loss), and
 * every output reads this table: the summary (text and JSON), the exporter, the capture's trailer (which takes
 * the JSON key as its own), the recorder's per-file deltas and docs/facts.md. A new loss is a row here and the
 * increment that counts it.
 *
 * X(id, key, label, metric, help, since): key is the JSON and trailer key (an identifier that never changes with
 * the wording), label the text's, since the capture format version whose trailer first holds it (a capture
 * before it reports the loss as 0). */
#ifndef ZT_LOSSES_H
#define ZT_LOSSES_H

#define ZT_LOSSES(X)                                                                                                  \
	X(RINGBUF, ringbuf_lost, "events lost in the ring buffer", "zpcitrace_ringbuf_lost_events_total",               \
	  "Events the kernel could not hand to zpcitrace (ring buffer full).", "1.0")                                 \
	X(UNTRACED, untraced_returns, "returns not traced", "zpcitrace_untraced_returns_total",                        \
	  "Calls whose return zpcitrace could not trace: their entry could not be kept (their exit's event is "       \
	  "missing).",                                                                                               \
	  "2.4")

enum zt_loss {
#define ZT_LOSS_ENUM(id, ...) ZT_LOSS_##id,
	ZT_LOSSES(ZT_LOSS_ENUM)
#undef ZT_LOSS_ENUM
	ZT_NR_LOSSES,
};

#endif
