/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ruleset.h - the in-memory model the builder edits, the validator checks,
 * the printer prints and the committer loads: tables, chains, and rules
 * held as the exact ipt_entry bytes that libiptc takes.
 */
#ifndef IPTLOAD_RULESET_H
#define IPTLOAD_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "entry.h"

/* iptables refuses chain names of XT_EXTENSION_MAXNAMELEN (29) or more
 * bytes; the kernel would truncate them silently. */
#define CHAIN_NAME_MAX (XT_EXTENSION_MAXNAMELEN - 1)

/* The tables, in the fixed order the committer commits them. */
enum table_id {
	TABLE_RAW,
	TABLE_MANGLE,
	TABLE_NAT,
	TABLE_FILTER,
	TABLE_SECURITY,
	TABLE_COUNT,
};

enum chain_policy {
	POLICY_NONE, /* user chain */
	POLICY_ACCEPT,
	POLICY_DROP,
};

/*
 * One rule.  @entry is a malloc'd ipt_entry or ip6t_entry (the table's
 * family; entry.h) of next_offset bytes: the IP header part, the matches
 * in order, then the target.  A standard
 * target (struct xt_standard_target, 40 bytes) names its verdict or chain in
 * t->u.user.name: "ACCEPT", "DROP", "QUEUE", "RETURN", a user chain, or ""
 * for no target; a goto sets IPT_F_GOTO (IP6T_F_GOTO) in the IP part's
 * flags.  This is the form iptc_append_entry() (ip6tc_append_entry())
 * takes.
 */
struct rule {
	struct src_loc loc;
	struct entry *entry;
	/* Where the policy match's --dir was written (line 0: none), for
	 * the validator's message about directions and hooks. */
	struct src_loc dir_loc;
	unsigned dir_width;
	bool pooled; /* @entry is in the table's pool (table_entry_new) */
};

/* A built-in chain (hook >= 0, has a policy) or a user chain (hook -1). */
struct chain {
	char name[XT_TABLE_MAXNAMELEN]; /* zero-padded: an xt_chainlabel */
	struct src_loc loc;		/* where it was created; line 0 if
					   built in */
	int hook;			/* NF_INET_*, or -1 */
	enum chain_policy policy;
	struct xt_counters policy_counters;
	struct rule *rules;
	size_t nrules;
	size_t capacity;
	unsigned references; /* rules in the table that jump or go here */
};

/* How many "preserve GLOB" lines one table takes. */
#define TABLE_PRESERVE_MAX 16

/*
 * One table.  @chains holds the built-in chains in hook order, then the
 * user chains in the order they were created.  @named is true once the
 * config mentioned the table; only named tables are committed.
 */
struct table {
	enum table_id id;
	enum family family;
	const char *name;
	unsigned valid_hooks; /* bit NF_INET_x set for each built-in chain */
	bool named;
	struct src_loc loc; /* the first place the config named it */
	struct chain **chains;
	size_t nchains;
	size_t capacity;
	struct chain_index *index;
	struct entry_pool *pool; /* the builder's entries: table_entry_new */
	/* The globs of the block's "preserve GLOB" lines: the kernel's user
	 * chains whose names match are kept as they are, with the rules that
	 * jump to them (plan.c).  Fixed size, so that the model owns no
	 * more memory for them. */
	char preserve[TABLE_PRESERVE_MAX][XT_TABLE_MAXNAMELEN];
	unsigned npreserve;
};

/* The tables of both families: the IPv4 ones in commit order, then the
 * IPv6 ones (ruleset_table_of). */
#define RULESET_TABLES (FAMILY_COUNT * TABLE_COUNT)

/* All tables.  Tables the config never names stay unnamed and untouched;
 * a config that names no IPv6 table never touches ip6_tables. */
struct ruleset {
	struct table tables[RULESET_TABLES];
};

void ruleset_init(struct ruleset *rs);
void ruleset_free(struct ruleset *rs);

/*
 * Free the entries of @t's rules: apply drops them once libiptc holds
 * its own copy of each (ruleset_keeper in main.c).  The chains, their
 * policies and the rules' locations stay; every rule's @entry is NULL
 * until the table is built again, and nothing may read one meanwhile.
 */
void table_drop_entries(struct table *t);

/* The IPv4 table called @name, or NULL when iptables knows no such table. */
struct table *ruleset_table(struct ruleset *rs, const char *name);
/* The same in family @f. */
struct table *ruleset_table_in(struct ruleset *rs, enum family f,
			       const char *name);

/* Table @id of family @f. */
static inline struct table *ruleset_table_of(struct ruleset *rs, enum family f,
					     enum table_id id)
{
	return &rs->tables[f * TABLE_COUNT + id];
}

/* True when some table of family @f is named. */
bool ruleset_names_family(const struct ruleset *rs, enum family f);

/* Empty @t: built-in chains with policy ACCEPT and no rules, no user
 * chains.  This is what a table is when the config starts naming it. */
void table_reset(struct table *t);

struct chain *table_find_chain(const struct table *t, const char *name);
/* Add a user chain; the caller has checked that the name is free. */
struct chain *table_add_chain(struct table *t, const char *name,
			      const struct src_loc *loc);
/* Remove user chain @c (empty and unreferenced: the caller checks). */
void table_delete_chain(struct table *t, struct chain *c);
/* Rename @c and every jump or goto to it. */
void table_rename_chain(struct table *t, struct chain *c, const char *name);

/* The user chain the rule jumps or goes to, or NULL. */
/* A zeroed entry of @size bytes that lives as long as the table's rules
 * (until table_reset or ruleset_free); the rule that holds it is pooled. */
struct entry *table_entry_new(struct table *t, size_t size);

struct chain *rule_jump_chain(const struct table *t, const struct entry *e);

/* Insert @r at 0-based @pos (pos == nrules appends); takes the entry. */
void chain_insert_rule(struct table *t, struct chain *c, size_t pos,
		       struct rule r);
/* Replace rule @pos with @r; frees the old entry. */
void chain_replace_rule(struct table *t, struct chain *c, size_t pos,
			struct rule r);
void chain_delete_rule(struct table *t, struct chain *c, size_t pos);
void chain_flush(struct table *t, struct chain *c);

/* The name in a rule's target: verdict, chain, extension target or "". */
const char *rule_target_name(enum family f, const struct entry *e);
/* True when the rule's target is a standard target (verdict or jump). */
bool rule_is_standard(enum family f, const struct entry *e);
/* Compare two entries of family @f as iptables -D does: everything but
 * the counters, comefrom and nfcache. */
bool rule_entries_equal(enum family f, const struct entry *a,
			const struct entry *b);

/* Built-in chain name for hook @hook ("INPUT", ...). */
const char *hook_chain_name(int hook);

#endif
