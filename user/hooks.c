// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include "hooks.h"

const struct zt_hook_info zt_hooks[ZT_NR_HOOKS] = {
	[ZT_HOOK_EVENT_ERROR] = { "zpci_event_error", NULL, "event_error", true, false, "arrival" },
	[ZT_HOOK_STORE] = { "zpci_store_pci_error", NULL, "store", true, true, "enqueue" },
	[ZT_HOOK_NOTIFY] = { "vfio_pci_core_aer_err_detected", "vfio_pci_core", "notify", false, false, "notify" },
	[ZT_HOOK_FEATURE] = { "vfio_pci_zdev_feature_err", "vfio_pci_core", "feature", true, true, "dequeue" },
	[ZT_HOOK_GET] = { "zpci_get_pending_error", NULL, "get", true, true, "dequeue" },
	[ZT_HOOK_START] = { "zpci_start_mediated_recovery", NULL, "start", true, true, "open" },
	[ZT_HOOK_STOP] = { "zpci_stop_mediated_recovery", NULL, "stop", true, true, "close" },
	[ZT_HOOK_AVAIL] = { "zpci_event_availability", NULL, "avail", false, false, "avail" },
	[ZT_HOOK_RESET] = { "zpci_hot_reset_device", NULL, "reset", true, false, "reset" },
};

const char *zt_mode_name(enum zt_mode mode)
{
	switch (mode) {
	case ZT_MODE_ABSENT:
		return "absent";
	case ZT_MODE_OFF:
		return "off";
	case ZT_MODE_PENDING:
		return "pending";
	case ZT_MODE_FENTRY:
		return "fentry";
	case ZT_MODE_KPROBE:
		return "kprobe";
	case ZT_MODE_FAILED:
		return "failed";
	}
	return "?";
}

const char *zt_uapi_name(enum zt_uapi u)
{
	return u == ZT_UAPI_MERGED ? "merged" : u == ZT_UAPI_V12 ? "v12" : "unknown";
}

enum zt_uapi zt_uapi_by_name(const char *name)
{
	return !strcmp(name, "merged") ? ZT_UAPI_MERGED : !strcmp(name, "v12") ? ZT_UAPI_V12 : ZT_UAPI_UNKNOWN;
}

const char *zt_uapi_what(enum zt_uapi u)
{
	switch (u) {
	case ZT_UAPI_MERGED:
		return "feature 13, {data} -> CCDF, -ENOMSG when empty";
	case ZT_UAPI_V12:
		return "feature 12, {version, pending_errors, pec} in place, dequeued inline, rc 0 and pec 0 when empty";
	default:
		return "not known: the feature hook is not loaded, or the BTF does not describe vfio_device_feature_zpci_err";
	}
}

int zt_hook_by_func(const char *func)
{
	for (int i = 0; i < ZT_NR_HOOKS; i++)
		if (!strcmp(zt_hooks[i].func, func))
			return i;
	return -1;
}
