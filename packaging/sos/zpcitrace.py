# SPDX-License-Identifier: GPL-2.0
# sos plugin for zpcitrace (installed into sos's plugin directory by the zpcitrace packages): what a support
# engineer needs of a host's zPCI error queues. sos itself already copies s390dbf (s390.py) and dumps every BPF
# program and map (ebpf.py).
from sos.report.plugins import Plugin, IndependentPlugin


class Zpcitrace(Plugin, IndependentPlugin):
    """zpcitrace traces the zPCI error queue of vfio-pci functions on s390x: its version and the libraries built
    in, every function's queue and owner now, the exporter's textfile (the metrics), the service options, the
    recorder's capture (the newest files, up to the size limit: 'zpcitrace report' reads them on any machine)
    and the journal of both services (with --log-losses, a line per error the guest never saw)."""

    short_desc = 'zPCI error queues of vfio-pci functions (zpcitrace)'
    plugin_name = 'zpcitrace'
    profiles = ('system', 'hardware', 'virt')
    packages = ('zpcitrace',)
    services = ('zpcitrace-exporter', 'zpcitrace-recorder')

    option_list = []

    def setup(self):
        self.add_cmd_output([
            'zpcitrace --version',
            'zpcitrace status',
            'zpcitrace status -j',
        ])
        self.add_copy_spec([
            '/etc/default/zpcitrace',
            '/etc/sysconfig/zpcitrace',
            '/var/lib/prometheus/node-exporter/zpcitrace.prom',
        ])
        # the newest capture files first; a file is never cut (a capture without its header cannot be read)
        self.add_copy_spec('/var/lib/zpcitrace/capture.jsonl*', sizelimit=100, tailit=False)
        self.add_journal(units=['zpcitrace-exporter', 'zpcitrace-recorder'])
