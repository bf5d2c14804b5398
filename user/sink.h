/* SPDX-License-Identifier: GPL-2.0 */
/* The outputs of a trace, one interface chosen once in main: the live view as text or JSON lines, the
 * Prometheus textfile, the capture, the flight recorder. The loader hands each sink every event with what the
 * correlator made of it, tells it when a ring-buffer drain ended and when an interval is due, and finishes it
 * with the last snapshot. */
#ifndef ZPCITRACE_SINK_H
#define ZPCITRACE_SINK_H

#include <stdbool.h>
#include <linux/types.h>
#include "capture.h"
#include "correlate.h"
#include "service.h"
#include "snapshot.h"
#include "zt_event.h"

#define ZT_STR_(x) #x
#define ZT_STR(x) ZT_STR_(x)
/* record --flight-recorder N: at most this many events in memory (128 bytes each: 128 MiB) */
#define ZT_FLIGHT_MAX 1000000UL
/* and at most this many of its dumps on disk, unless -W says otherwise */
#define ZT_FLIGHT_DUMPS 100

struct zt_sink_args {
	const char *path;                   /* --prom FILE, record -w FILE */
	unsigned long flight_n;             /* record --flight-recorder N */
	unsigned long flight_dumps;         /* and -W: its dumps on disk at most (0: ZT_FLIGHT_DUMPS) */
	bool json, timestamp;               /* the live view: -j, -T */
	long long realtime_off;             /* CLOCK_REALTIME - CLOCK_MONOTONIC at the start */
	const struct zt_run *meta; /* record: the capture's header */
	/* the state now, for a sink that writes it between intervals (a flight-recorder dump) */
	void (*snapshot)(void *ctx, struct zt_snapshot *out);
	void *snapshot_ctx;
	/* record -C/-W: a new file past rotate_bytes, rotate_files kept; read_queues(snapshot_ctx) puts the queues
	 * as they are into the event stream, for the new file */
	unsigned long long rotate_bytes;
	unsigned long rotate_files;
	void (*read_queues)(void *ctx);
};

struct zt_sink {
	/* 0, or -errno after saying why in one line: the output is unusable from the start */
	int (*start)(struct zt_sink *s);
	void (*event)(struct zt_sink *s, const struct zt_event *e, const struct zt_match *note);
	/* a drain of the ring buffer ended; sigusr1: the user asked for a dump. May be NULL */
	void (*drained)(struct zt_sink *s, bool sigusr1);
	/* ms until the sink wants drained() again without an event (a dump waiting out its rate limit), or -1 */
	int (*wait_ms)(struct zt_sink *s);
	/* an -i interval is due. May be NULL */
	void (*tick)(struct zt_sink *s, const struct zt_snapshot *snap);
	/* the end, also on SIGINT and SIGTERM: the last state and the summary. 0 or -errno */
	int (*finish)(struct zt_sink *s, const struct zt_snapshot *snap);
	void (*free)(struct zt_sink *s);
	struct zt_sink_args args;
	struct zt_output_state out; /* the file's last whole write, for the service's status (service.h) */
};

/* the sink for these arguments: the flight recorder, the capture, the exporter, or the live view. NULL without
 * memory (said) */
struct zt_sink *zt_sink_live_new(const struct zt_sink_args *a);
struct zt_sink *zt_sink_prom_new(const struct zt_sink_args *a);
struct zt_sink *zt_sink_record_new(const struct zt_sink_args *a);
struct zt_sink *zt_sink_flight_new(const struct zt_sink_args *a);

#endif
