/* SPDX-License-Identifier: GPL-2.0 */
/* zpcitrace as a systemd service (Type=notify): READY=1 once it traces, STATUS= kept current (hooks attached
 * and pending, functions, errors and losses, the last write of its output), EXTEND_TIMEOUT_USEC while a slow
 * start goes on, WATCHDOG=1 from the main loop. The protocol is a datagram to $NOTIFY_SOCKET (Debian ships no
 * static libsystemd). Without NOTIFY_SOCKET every call does nothing. */
#ifndef ZPCITRACE_SERVICE_H
#define ZPCITRACE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "snapshot.h"

/* "KEY=VALUE\n..." to the service manager: 0, 1 when there is none, or -errno */
__attribute__((format(printf, 1, 2))) int zt_notify(const char *fmt, ...);
/* WATCHDOG_USEC when the watchdog is this process's (WATCHDOG_PID unset or ours), else 0 */
uint64_t zt_watchdog_usec(void);

/* what the output did last: written_ns, when it was last written whole (0: not yet), and err, the newest
 * write's error (0 when writes work) */
struct zt_output_state {
	const char *what; /* "textfile", "capture", NULL: no file */
	uint64_t written_ns;
	int err;
};

/* the one line of STATUS=, from s: "tracing: 9 hooks, 0 pending; 3 functions, 2 open; 8 errors, 2 dropped,
 * 0 lost, 2 discarded; 0 events not seen; textfile written at 05:31:12 UTC" */
void zt_service_status(const struct zt_snapshot *s, const struct zt_output_state *out, char *buf, size_t len);

#endif
