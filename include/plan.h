/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.h - the planner: compares what the kernel holds with what is to be
 * loaded, table by table, and says what must change.
 *
 * Both sides are struct table models (commit.c reads the live one; this
 * file never talks to the kernel).  The plan for a chain is the smallest
 * edit found: the rules both sides share stay where they are, and only
 * the others are deleted or inserted, so that the rules that stay keep
 * their packet and byte counters, and a table with no change is not
 * committed at all.  The same plan prints as `iptload diff` output.
 */
#ifndef IPTLOAD_PLAN_H
#define IPTLOAD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "ruleset.h"

/* Whose counters a planned table gets, for rules that stay and policies. */
enum plan_counters {
	/* Loading a config: the model's counters where it gives any (a
	 * config never does; the tests' models do), else the kernel's. */
	PLAN_COUNTERS_APPLY,
	/* Putting back a table read earlier: the larger of the two, so
	 * that counters lost by a failed or undone commit come back. */
	PLAN_COUNTERS_RESTORE,
	/* Compare rules and policies only. */
	PLAN_COUNTERS_IGNORE,
};

/* A rule to insert: its 0-based place in the target chain (inserted in
 * ascending order once the deletions are done, each lands there), and the
 * counters it starts with. */
struct plan_insert {
	size_t pos;
	struct xt_counters counters;
};

/* A rule that stays but whose counters must be written (1-based place in
 * the target chain, as iptc_set_counter() counts). */
struct plan_counter_set {
	size_t rulenum;
	struct xt_counters counters;
};

/*
 * What happens to one chain.  @live is NULL for a chain that is created,
 * @target NULL for a user chain that goes (after its rules).
 */
struct chain_plan {
	const struct chain *live;
	const struct chain *target;
	size_t *deleted; /* 0-based places in @live, ascending */
	size_t ndeleted;
	struct plan_insert *inserted;
	size_t ninserted;
	struct plan_counter_set *counter_sets;
	size_t ncounter_sets;
	bool policy_changed;		    /* ACCEPT <-> DROP */
	struct xt_counters policy_counters; /* what a built-in chain's policy
					       counters are committed as */
};

/* What happens to one table, with the numbers `diff` and syslog report. */
struct table_plan {
	enum family family;	   /* of both tables */
	struct chain_plan *chains; /* the target's chains in its order, then
				      the chains that go */
	size_t nchains;
	bool created; /* the kernel does not hold the table yet */
	bool changed; /* something must be committed */
	unsigned rules_added, rules_removed;
	unsigned chains_added, chains_removed;
	unsigned policies_changed, counters_set;
};

/*
 * Plan how to turn @live into @target (two models of the same table).
 * @created says that @live is only the empty table because the kernel
 * does not hold it yet.  Returns 0, or -1 when out of memory.
 */
int plan_table(const struct table *live, const struct table *target,
	       enum plan_counters mode, bool created, struct table_plan *p);
void plan_free(struct table_plan *p);

/*
 * From plan_seal() to plan_unseal() (while commit.c holds the xtables
 * lock) the planner makes libxtables load nothing, since a failing load
 * ends the process with exit(): an extension not loaded before cannot be
 * asked how it saves, and two entries of it whose bytes differ count as
 * different rules.  plan_missed() says that happened for an extension
 * not loaded since; plan_load_missed(), unsealed, loads them, so that the
 * caller can plan again.
 */
void plan_seal(void);
void plan_unseal(void);
bool plan_missed(void);
void plan_load_missed(void);

/*
 * Make @out (a table of the same id, from ruleset_init) what is to be
 * committed: a copy of @base, plus the user chains of @live whose names
 * match one of @globs (kept with their rules and counters), plus the rules
 * of @live that jump or go to those chains, in @base's chains, at the same
 * place as in @live: after the nearest rule before them that @base has
 * too, or at the top.
 *
 * @strict (loading a config): a chain of @base whose name matches a glob
 * is an error.  Otherwise (putting back a table read earlier) such chains
 * of @base, and its jumps to them, give way to the live ones; a jump of
 * @base to such a chain that @live no longer has is left out, with a
 * warning in @dl (its program deleted the chain meanwhile).  A
 * preserved chain that jumps to a chain @out does not have is an error.
 * Errors go to @dl; returns 0 or -1.
 */
int plan_merge(struct table *out, const struct table *base,
	       const struct table *live,
	       const char (*globs)[XT_TABLE_MAXNAMELEN], size_t nglobs,
	       bool strict, struct diag_list *dl);

/*
 * What is to be committed for @base, as plan_merge makes it, without a
 * copy when there is nothing to merge (no globs, or no @live table):
 * then @base itself is returned and @out is left alone; otherwise @out,
 * made by plan_merge.  The result shares @base's storage in the first
 * case, so it lives as long as @base does and the caller frees only
 * @out, as always.  NULL when the merge fails (errors in @dl).
 */
const struct table *plan_target(struct table *out, const struct table *base,
				const struct table *live,
				const char (*globs)[XT_TABLE_MAXNAMELEN],
				size_t nglobs, bool strict,
				struct diag_list *dl);

/*
 * The config-only part of plan_merge's strict check: a user chain the
 * config makes may not match one of its table's preserve globs (it would
 * be both written and kept).  Errors at the chain go to @dl; returns 0 or
 * -1.
 */
int plan_check_preserve(const struct ruleset *rs, struct diag_list *dl);

/* Make @dst (from ruleset_init, same id) a copy of @src: chains, policies,
 * rules, counters, preserve globs and whether it is named. */
void plan_table_copy(struct table *dst, const struct table *src);

/*
 * Print the plan @p from @live to @target as `iptload diff` shows it:
 * "*table", a "#" summary line, then "- " and "+ " lines in iptables-save
 * syntax (policies as ":CHAIN POLICY", chains as ":CHAIN -", rules as
 * "-A CHAIN ..." or "-I CHAIN N ..." where an added rule does not go at
 * the end).  Prints nothing for a table without changes.
 */
void plan_print(const struct table *live, const struct table *target,
		const struct table_plan *p, FILE *out);

/* "2 rules added, 1 removed, 1 policy changed" or "no change". */
void plan_summary(const struct table_plan *p, char *buf, size_t size);

#endif
