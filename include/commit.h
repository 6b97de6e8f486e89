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

/* How many times a table is re-read and re-committed after EAGAIN (another
 * program changed it between our read and our commit) before giving up. */
#define COMMIT_MAX_RETRIES 5

/* How long to wait for the xtables lock. */
struct commit_options {
	int wait_seconds;      /* -1: wait forever; 0: do not wait */
	const char *lock_path; /* NULL: $XTABLES_LOCKFILE or /run/xtables.lock */
};

/*
 * How a commit ended, so that main() can choose the exit status:
 * COMMIT_LOCK_FAILED -> 4, COMMIT_REFUSED and COMMIT_PARTIAL -> 3.
 */
enum commit_status {
	COMMIT_OK,	    /* every named table now holds the model */
	COMMIT_LOCK_FAILED, /* no xtables lock: nothing was read or changed */
	COMMIT_REFUSED,	    /* libiptc or the kernel refused a table; every
			       table is as it was */
	COMMIT_PARTIAL,	    /* refused, and putting back a table already
			       committed failed too: the kernel holds a mix
			       of the old and the new ruleset */
};

/* What a commit did, for the one-line report and for main's exit status. */
struct commit_report {
	enum commit_status status;
	unsigned tables_committed; /* tables loaded from the model, counted
				      before any roll-back */
	unsigned tables_unchanged; /* always 0 until a planner skips tables */
	unsigned tables_restored;  /* tables put back after a failure */
	unsigned retries;	   /* re-reads after EAGAIN, all tables */
	const char *failed_table;  /* the table that was refused, or NULL */
};

/*
 * Make the kernel hold exactly the named tables of @rs.  All or nothing:
 * on failure the tables already committed are restored as they were and an
 * error naming the table (and, when known, the rule) is added to @dl.
 * @report may be NULL.  Prints nothing.  Returns 0 or -1; report->status
 * tells a lock failure from a refusal.
 */
int commit_ruleset(const struct ruleset *rs, const struct commit_options *opt,
		   struct commit_report *report, struct diag_list *dl);

#endif
