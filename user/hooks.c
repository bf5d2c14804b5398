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

int zt_hook_by_func(const char *func)
{
	for (int i = 0; i < ZT_NR_HOOKS; i++)
		if (!strcmp(zt_hooks[i].func, func))
			return i;
	return -1;
}
