/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commit.h - the only door to the kernel.  Takes the xtables lock, loads
 * every named table of a ruleset with one libiptc commit per table, retries
 * when the kernel says EAGAIN, and puts back the tables already committed
 * when a later one fails.
 */
#ifndef IPTLOAD_COMMIT_H
#define IPTLOAD_COMMIT_H

#include "diag.h"
#include "ruleset.h"

/* How long to wait for the xtables lock. */
struct commit_options {
	int wait_seconds; /* -1: wait forever; 0: do not wait */
	const char *lock_path; /* NULL: $XTABLES_LOCKFILE or /run/xtables.lock */
};

/* What a commit did, for the one-line report. */
struct commit_report {
	unsigned tables_committed;
	unsigned tables_unchanged;
	unsigned retries;
};

/*
 * Make the kernel hold exactly the named tables of @rs.  All or nothing:
 * on failure the tables already committed are restored as they were and an
 * error naming the table (and, when known, the rule) is added to @dl.
 * Returns 0 or -1.
 */
int commit_ruleset(const struct ruleset *rs, const struct commit_options *opt,
		   struct commit_report *report, struct diag_list *dl);

#endif
