/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * commit.h - the only door to the kernel.  Takes the xtables lock, reads
 * every named table of a ruleset (a table equal to its model is found
 * with one raw read and goes no further), plans the change (plan.h),
 * edits only what differs, commits each changed table with one libiptc
 * commit, retries when the kernel says EAGAIN, and puts back the tables
 * already committed when a later one fails.  Also reads the live tables
 * for diff and save.
 */
#ifndef IPTLOAD_COMMIT_H
#define IPTLOAD_COMMIT_H

#include <stdbool.h>

#include "cache.h"
#include "diag.h"
#include "ruleset.h"

/* How many times a table is re-read and re-committed after EAGAIN (another
 * program changed it between our read and our commit) before giving up. */
#define COMMIT_MAX_RETRIES 5

/*
 * One named table's digest, for the apply cache (cache.h): what the
 * no-op comparison looks at (chains, policies, rules and targets by
 * name; not counters, not where they lie), the same whether it is taken
 * from the kernel's table or from the model just committed (commit.c,
 * "a table's digest").  @held is false when the kernel does not hold the
 * table, or holds it laid out unlike what libiptc writes; @digest is then
 * meaningless.
 */
struct commit_table_digest {
	enum family family;
	const char *name;
	bool held;
	struct cache_digest digest;
};

/* Called with each table's digest. */
typedef void commit_digest_fn(const struct commit_table_digest *d, void *arg);

/* How to commit. */
struct commit_options {
	int wait_seconds;      /* xtables lock: -1 wait forever; 0 no wait */
	const char *lock_path; /* NULL: $XTABLES_LOCKFILE or /run/xtables.lock */
	/*
	 * Putting back tables read earlier (apply --confirm's roll-back)
	 * rather than loading a config: the model's chains that its preserve
	 * globs match give way to the live ones, and counters are the larger
	 * of the model's and the kernel's (PLAN_COUNTERS_RESTORE).
	 */
	bool restore;
	/*
	 * If set, called under the lock just before a table is committed,
	 * with the table as it was read (again before each retry after
	 * EAGAIN).  Returning -1 stops the commit, as a refusal of that
	 * table.  apply --confirm hands the old tables to its watchdog here.
	 */
	int (*before_commit)(const struct table *before, void *arg);
	void *before_commit_arg;
	/*
	 * If set, called once the lock is taken, before anything is read.
	 * Returning true stops the commit before it starts (COMMIT_VETOED):
	 * a plain apply checks for a pending apply --confirm here, so that
	 * none can start between that check and the commit.
	 */
	bool (*veto)(void *arg);
	void *veto_arg;
	/*
	 * If set, called once per named table, under the lock, after the
	 * commit succeeded, with the digest of what the table now holds,
	 * taken from the model committed (the table is not read back).
	 * What it was handed counts only when commit_ruleset() returns 0.
	 */
	commit_digest_fn *committed;
	void *committed_arg;
	/*
	 * If set, called for each table to be committed once it is in its
	 * libiptc handle (which holds its own copy of each rule), before
	 * anything is committed: the caller may then drop @t's entries
	 * (table_drop_entries), so that the models, libiptc's copies and
	 * the blob libiptc hands to the kernel are not all in memory at
	 * once.  Never with @restore.
	 */
	void (*drop_model)(void *arg, const struct table *t);
	/*
	 * Called before the model is read again after @drop_model (to plan
	 * a table again after EAGAIN, or every table when a pass starts
	 * again to load an extension): builds it all again, as it was, in
	 * place.  Returns 0, or -1 with the reason in @why (then that table
	 * is not committed, as if refused, or nothing is).
	 */
	int (*rebuild_model)(void *arg, char *why, size_t size);
	void *model_arg;
};

/*
 * How a commit ended, so that main() can choose the exit status:
 * COMMIT_LOCK_FAILED -> 4, COMMIT_REFUSED -> 3, COMMIT_PARTIAL -> 7.
 */
enum commit_status {
	COMMIT_OK,	    /* every named table now holds the model */
	COMMIT_LOCK_FAILED, /* no xtables lock: nothing was read or changed */
	COMMIT_REFUSED,	    /* libiptc or the kernel refused a table; every
			       table is as it was */
	COMMIT_PARTIAL,	    /* refused, and putting back a table already
			       committed failed too: the kernel holds a mix
			       of the old and the new ruleset */
	COMMIT_VETOED,	    /* the veto hook said no: nothing was read or
			       changed */
};

/* What happened to one named table. */
struct commit_table_report {
	const char *name;
	enum family family;
	bool created;	/* the kernel did not hold it before */
	bool committed; /* it differed and was committed */
	unsigned rules_added, rules_removed;
	unsigned chains_added, chains_removed;
	unsigned policies_changed;
};

/* What a commit did, for the one-line report, syslog and the exit status. */
struct commit_report {
	enum commit_status status;
	unsigned tables_committed; /* tables loaded from the model, counted
				      before any roll-back */
	unsigned tables_unchanged; /* named tables equal to the kernel's: not
				      committed at all */
	unsigned tables_restored;  /* tables put back after a failure */
	unsigned retries;	   /* re-reads after EAGAIN, all tables */
	const char *failed_table;  /* the table that was refused, or NULL */
	enum family failed_family; /* and its family */
	/* The named tables in commit order (valid when status is COMMIT_OK). */
	struct commit_table_report tables[RULESET_TABLES];
	unsigned ntables;
};

/*
 * Make the kernel hold exactly the named tables of @rs (plus, per table,
 * the live user chains its preserve globs keep, with the jumps to them).
 * A table that already holds that is not committed.  Rules that stay keep
 * their counters; so do built-in policies.  All or nothing: on failure
 * the tables already committed are restored as they were and an error
 * naming the table (and, when known, the rule) is added to @dl.  @report
 * may be NULL.  Prints nothing.  Returns 0 or -1; report->status tells a
 * lock failure from a refusal.
 */
int commit_ruleset(const struct ruleset *rs, const struct commit_options *opt,
		   struct commit_report *report, struct diag_list *dl);

/*
 * Read the tables the kernel holds into @live (from ruleset_init): every
 * table /proc/net/ip_tables_names (ip6_tables_names) lists, of each
 * family whose COMMIT_FAMILY bit @families has, or only @only when it is
 * not NULL.  Each table read is marked named; the others stay empty and
 * unnamed.  Never instantiates a table and takes no lock (as
 * iptables-save).  Counters are read too.  Returns 0, or -1 with an error
 * in @dl.
 */
int commit_read_live(struct ruleset *live, unsigned families, const char *only,
		     struct diag_list *dl);

/* A table by family and name, for commit_read_raw. */
struct commit_table_id {
	enum family family;
	const char *name;
};

/*
 * Take the xtables lock as @opt says, ask @opt->veto, then hand each of
 * the @n tables of @ids, read raw (one GET_INFO and one GET_ENTRIES
 * each, no libiptc), to @fn as its digest; a table the kernel does not
 * hold is handed over as not held, never instantiated.  For the apply cache's
 * reapply.  Prints nothing.  Returns 0, or -1 when the lock was not
 * taken or the veto said no (nothing was read).
 */
int commit_read_raw(const struct commit_table_id *ids, size_t n,
		    const struct commit_options *opt, commit_digest_fn *fn,
		    void *arg);

/* The bit of family @f in commit_read_live's @families. */
#define COMMIT_FAMILY(f) (1u << (f))

/* True when the kernel holds table @name of family @f in this network
 * namespace. */
bool commit_table_loaded(enum family f, const char *name);

#endif
