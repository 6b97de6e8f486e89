/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oplog.h - one line to syslog (journald picks it up) for every change
 * iptload makes to the kernel's tables: which tables, how many rules
 * added and removed, the config file, and who ran it.
 */
#ifndef IPTLOAD_OPLOG_H
#define IPTLOAD_OPLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "commit.h"

/* "filter: +2 -1 rules; nat: not loaded before, +1 -0 rules" for the
 * tables of @r that changed, an IPv6 table as "filter (IPv6): ...";
 * "no change" when none did. */
void oplog_describe(const struct commit_report *r, char *buf, size_t size);

/* "uid 0 (sudo from alice)": who runs this process; SUDO_USER is
 * believed only when the real uid is 0, as under sudo. */
void oplog_who(char *buf, size_t size);

/* True when @r changed something in the kernel. */
bool oplog_changed(const struct commit_report *r);

/*
 * Log an apply of @file that changed something (does nothing otherwise):
 * "applied FILE: <tables>; by <who>", with "; waiting N s for iptload
 * confirm" when @confirm_seconds > 0.
 */
void oplog_apply(const char *file, const struct commit_report *r,
		 int confirm_seconds);

/* Log one line of the confirm watchdog (rolled back, kept, failed). */
void oplog_message(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
