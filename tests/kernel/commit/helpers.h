/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helpers.h - shared by the commit kernel tests: private network namespaces,
 * private lock files, loading and reading tables with iptables-legacy, raw
 * kernel snapshots, and a small builder of model rules.
 *
 * Every test case starts with test_netns_fresh(), which moves the process
 * into a brand-new network namespace (and fails the test if it cannot), so
 * that nothing a test commits can reach the namespace it was started in.
 */
#ifndef IPTLOAD_COMMIT_TEST_HELPERS_H
#define IPTLOAD_COMMIT_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "commit.h"
#include "diag.h"
#include "ruleset.h"

/*
 * Once per program: remember the namespace the test started in, make a
 * private temporary directory, point $XTABLES_LOCKFILE of every child
 * (iptables-legacy-restore, ...) at a file in it, and drop LD_PRELOAD so
 * that children never load the fault-injection shim.  Returns the
 * directory.
 */
const char *test_setup(void);
/* Remove what test_setup() made. */
void test_teardown(void);
/* A path in the private directory; static buffer, valid until the next call
 * with the same @slot (0..3). */
const char *test_path(int slot, const char *name);

/* Move into a new, empty network namespace; fails the test if impossible
 * or if the namespace is the one the test started in. */
void test_netns_fresh(void);

/* Feed iptables-save text to `iptables-legacy-restore -c` in the current
 * namespace; fails the test unless it exits 0. */
void test_restore(const char *text);

/* Run `iptables-legacy ARGS...` (NULL-terminated) with $XTABLES_LOCKFILE
 * set to @lock_path; returns its exit status. */
int test_iptables(const char *lock_path, ...);

/*
 * Everything the kernel holds in the current namespace: the table names of
 * /proc/net/ip_tables_names, sorted, and for each table its
 * `iptables-legacy-save -c -t NAME` text (date comments removed) and its
 * raw bytes (IPT_SO_GET_INFO + IPT_SO_GET_ENTRIES, counters included).
 * Reading never instantiates a table.
 */
struct kstate {
	char *save; /* all tables' save text, tables sorted by name */
	unsigned char *blob;
	size_t blob_len;
};

void kstate_read(struct kstate *ks);
void kstate_free(struct kstate *ks);
/* Fail the test, showing both save texts, unless @a and @b are identical
 * (save text and raw bytes). */
void kstate_assert_equal(const struct kstate *a, const struct kstate *b);
/* The save text of table @name only ("*name" ... "COMMIT\n"), malloc'd; ""
 * when the table is not instantiated. */
char *kstate_table_text(const struct kstate *ks, const char *name);

/* One rule to add to a model: the IP part iptables-legacy would encode for
 * the options given, and a standard or extension target. */
struct rule_spec {
	const char *src; /* "a.b.c.d/len", or NULL */
	const char *dst;
	const char *in;	    /* interface name without '+', or NULL */
	uint16_t proto;	    /* 0: any */
	const char *target; /* verdict, user chain, "" (none), or an
			       extension target name when @extension */
	bool go;	    /* -g instead of -j */
	bool extension;	    /* a target with no data, named @target */
	uint64_t pcnt, bcnt;
	const struct src_loc *loc;
};

/* Append the rule @spec to chain @chain of @t (the chain must exist). */
void model_append(struct table *t, const char *chain,
		  const struct rule_spec *spec);
/* Set the policy and policy counters of built-in chain @chain. */
void model_policy(struct table *t, const char *chain, enum chain_policy p,
		  uint64_t pcnt, uint64_t bcnt);

/* The message of diagnostic @i of @dl joined with its hint, for asserts. */
const char *diag_text(const struct diag_list *dl, size_t i);
/* True when some error in @dl contains every NULL-terminated string. */
bool diag_has(const struct diag_list *dl, ...);

/* Options that lock a private file rather than /run/xtables.lock. */
struct commit_options test_commit_options(int wait_seconds);

#endif
