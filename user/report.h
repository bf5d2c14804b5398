/* SPDX-License-Identifier: GPL-2.0 */
/* zpcitrace report FILE: the summary of a capture, on any machine. */
#ifndef ZPCITRACE_REPORT_H
#define ZPCITRACE_REPORT_H

/* argv[0] is "report"; returns the exit status (2 for a bad capture) */
int zt_report_main(int argc, char **argv);

#endif
