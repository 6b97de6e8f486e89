/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * build.c - replays commands against the in-memory ruleset.
 *
 * The semantics are those of running the lines with iptables against
 * tables that start empty: "-A" needs its chain to exist already, "-X"
 * needs the chain empty and unreferenced, a "*table" line starts the table
 * afresh as iptables-restore does, and so on.  Every refusal iptables (or
 * libiptc at commit) would make is made here, at the line that causes it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include "build.h"
#include "encode.h"
#include "split.h"
#include "xtadapter.h"

/*
 * What one statement of the config (every command the expander made of
 * it, one per combination of its lists) was built into, checked when the
 * next statement starts: a statement that no family could load, and in
 * "family both" a restrictive rule that a negated list or an address()
 * value left out of one family, are errors.
 */
struct statement {
	unsigned long serial; /* cmd.stmt; 0: none yet */
	struct src_loc loc;
	struct src_loc at; /* its first address() value */
	unsigned width;
	unsigned built;	       /* SPLIT_* it was built into */
	unsigned parts;	       /* SPLIT_* its family-only parts allow */
	unsigned runtime_only; /* SPLIT_* its address() values were of */
	unsigned open;	       /* SPLIT_* its plain addresses allow */
	bool mixed;	       /* a command with both families' parts */
	bool mixed_addrs;      /* ... with both families' addresses */
	bool negated;	       /* ... with a "!" before an address */
	bool negated_proto;    /* ... before a protocol of one family */
	bool runtime;	       /* ... with an address() or network() value */
	bool restrictive;      /* ... with a target other than ACCEPT */
	bool both;	       /* built in "family both" */
	bool failed;	       /* an error was said for it already */
};

/* The replay state: the ruleset and the open "*table" block, if any. */
struct builder {
	struct ruleset *rs;
	struct diag_list *dl;
	struct table *block;
	struct src_loc block_loc;
	bool skipping;	       /* inside a block whose table is unknown */
	unsigned encode_flags; /* ENCODE_* */
	size_t rules_made;     /* of BUILD_MAX_RULES */
	uint64_t bytes_made;   /* of BUILD_MAX_ENTRY_BYTES */
	bool over_budget;      /* said once */
	enum family family;    /* of statements with no family of their own */
	enum family initial;   /* the family the builder started in */
	bool both;	     /* "family both": each statement in each family */
	enum family cmd;     /* of the statement being built */
	bool cmd_both;	     /* ... which is built in each family */
	struct statement st; /* the statement being built */
	bool boot;	     /* leave out, do not refuse, what waits */
	size_t *left_out;    /* statements left out for that reason */
	char *what;	     /* the text of st.at's value */
	/* The kernel's refusals of rules' extensions, said only for rules
	 * that are still in their table at its COMMIT (or at the end): a
	 * rule deleted, replaced or flushed before never reaches it. */
	struct refusal *refusals;
	size_t nrefusals;
	/* The chain lines of the open block, for the table of the other
	 * family once a line of that family comes (-6 in a *filter block
	 * read as IPv4): both restores read them.  @other: that table has
	 * been started in this block. */
	struct block_chain *bchains;
	size_t nbchains;
	bool other;
};

/* A chain line of the open block: a policy, or a user chain. */
struct block_chain {
	char name[XT_TABLE_MAXNAMELEN];
	struct arg word;
	enum chain_policy policy; /* POLICY_NONE: a user chain */
};

/* A rule the kernel would refuse: where, and why. */
struct refusal {
	const struct table *t;
	struct src_loc rule; /* the rule's statement */
	struct src_loc at;   /* the match or target to blame */
	unsigned width;
	char why[256];
};

static const char *const verdicts[] = { "ACCEPT", "DROP", "QUEUE", "RETURN" };

static bool is_verdict(const char *name)
{
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(*verdicts); i++)
		if (strcmp(name, verdicts[i]) == 0)
			return true;
	return false;
}

static void use_table(struct table *t, const struct src_loc *loc)
{
	if (t->named)
		return;
	t->named = true;
	t->loc = *loc;
}

static struct table *find_table(struct builder *b, const struct arg *a)
{
	struct table *t = ruleset_table_in(b->rs, b->cmd, a->text);

	static const char *const names[] = { "filter", "nat", "mangle", "raw",
					     "security" };
	const char *near;

	if (!t) {
		diag_error(b->dl, &a->loc, a->width, "no table named '%s'",
			   a->text);
		near = diag_closest(a->text, names, 5);
		if (near)
			diag_hint(b->dl, "did you mean %s?", near);
		else
			diag_hint(b->dl, "tables are filter, nat, mangle, raw "
					 "and security");
	}
	return t;
}

/*
 * Empty @t for a new block, as iptables-restore flushes a table: the
 * rules and user chains go, and the built-in chains keep the policies an
 * earlier block of this config gave them (restore leaves them as the
 * previous COMMIT set them); a table's first block starts from ACCEPT.
 */
static void empty_table(struct table *t)
{
	enum chain_policy policy[NF_INET_NUMHOOKS];
	bool again = t->named;

	for (size_t i = 0; i < t->nchains; i++)
		if (t->chains[i]->hook >= 0)
			policy[t->chains[i]->hook] = t->chains[i]->policy;
	table_reset(t);
	if (!again)
		return;
	for (size_t i = 0; i < t->nchains; i++)
		if (t->chains[i]->hook >= 0)
			t->chains[i]->policy = policy[t->chains[i]->hook];
}

/* "*table": start a block; the table starts empty, as with restore. */
static int start_block(struct builder *b, const struct cmd *c, size_t first)
{
	struct arg name = c->args[first];
	struct table *t;

	if (b->block) {
		diag_error(b->dl, &name.loc, name.width,
			   "'%s' inside the *%s block", name.text,
			   b->block->name);
		diag_hint(b->dl, "end the *%s block with COMMIT first",
			  b->block->name);
		return -1;
	}
	name.text++;
	if (c->argc > first + 1)
		return diag_error(b->dl, &c->args[first + 1].loc,
				  c->args[first + 1].width,
				  "unexpected '%s' after the table name",
				  c->args[first + 1].text);
	t = find_table(b, &name);
	if (!t) {
		/* Its lines would only echo this error: skip to COMMIT. */
		b->skipping = true;
		return -1;
	}
	empty_table(t);
	use_table(t, &c->loc);
	if (b->cmd_both) { /* the block is the table of each family */
		struct table *t6 = ruleset_table_of(b->rs, FAMILY_IPV6, t->id);

		empty_table(t6);
		use_table(t6, &c->loc);
	}
	b->block = t;
	b->block_loc = c->loc;
	b->nbchains = 0;
	b->other = b->cmd_both; /* family both: started in both already */
	return 0;
}

static int check_chain_name(struct builder *b, const struct arg *a,
			    const char *name)
{
	if (strlen(name) > CHAIN_NAME_MAX) {
		diag_error(b->dl, &a->loc, a->width,
			   "chain name '%s' is %zu characters long", name,
			   strlen(name));
		diag_hint(b->dl,
			  "use at most %d characters: longer names "
			  "are cut short by the kernel",
			  CHAIN_NAME_MAX);
		return -1;
	}
	if (name[0] == '\0' || name[0] == '-' || name[0] == '!')
		return diag_error(b->dl, &a->loc, a->width,
				  "chain name '%s' may not be empty or "
				  "start with '-' or '!'",
				  name);
	for (const char *p = name; *p; p++)
		if (isspace((unsigned char)*p))
			return diag_error(b->dl, &a->loc, a->width,
					  "chain name '%s' contains white "
					  "space",
					  name);
	if (is_verdict(name))
		return diag_error(b->dl, &a->loc, a->width,
				  "'%s' is a verdict, not a chain name", name);
	return 0;
}

static int new_chain(struct builder *b, struct table *t, const struct arg *a,
		     const char *name, const struct src_loc *loc)
{
	struct chain *c;

	if (check_chain_name(b, a, name) < 0)
		return -1;
	c = table_find_chain(t, name);
	if (c) {
		diag_error(b->dl, &a->loc, a->width,
			   "chain '%s' already exists in table %s", name,
			   t->name);
		if (c->hook < 0 && c->loc.src)
			diag_hint(b->dl, "it was created at line %u",
				  c->loc.line);
		return -1;
	}
	table_add_chain(t, name, loc);
	return 0;
}

static int set_policy(struct builder *b, const struct table *t, struct chain *c,
		      const struct arg *a)
{
	if (c->hook < 0) {
		diag_error(b->dl, &a->loc, a->width,
			   "only built-in chains have a policy; '%s' is a "
			   "user chain",
			   c->name);
		diag_hint(b->dl,
			  "end the chain with a rule instead: -A %s "
			  "-j %s",
			  c->name, a->text);
		return -1;
	}
	if (strcmp(a->text, "ACCEPT") == 0) {
		c->policy = POLICY_ACCEPT;
	} else if (strcmp(a->text, "DROP") == 0) {
		if (t->id == TABLE_NAT)
			return diag_error(b->dl, &a->loc, a->width,
					  "a DROP policy is not allowed in the "
					  "nat table: it is not for filtering");
		c->policy = POLICY_DROP;
	} else
		return diag_error(b->dl, &a->loc, a->width,
				  "a policy is ACCEPT or DROP, not '%s'",
				  a->text);
	return 0;
}

static struct table *block_table(struct builder *b);

/* ":CHAIN POLICY [packets:bytes]" inside a block. */
/* Keep a chain line of the block's own family for start_other(). */
static void keep_chain_line(struct builder *b, const struct arg *word,
			    const char *name, enum chain_policy policy)
{
	struct block_chain *k;

	if (b->cmd_both || b->cmd != b->block->family)
		return;
	b->bchains = reallocarray(b->bchains, b->nbchains + 1, sizeof(*k));
	if (!b->bchains)
		abort();
	k = &b->bchains[b->nbchains++];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->word = *word;
	k->policy = policy;
}

/*
 * The first line of the other family in a block (-6 in a *filter block
 * read as IPv4): both restores read the block's header and chain lines,
 * so that family's table is emptied too and gets the chain lines so far.
 */
static int start_other(struct builder *b)
{
	struct table *t = block_table(b);
	int status = 0;

	b->other = true;
	empty_table(t);
	use_table(t, &b->block_loc);
	for (size_t i = 0; i < b->nbchains; i++) {
		struct block_chain *k = &b->bchains[i];
		struct arg word = k->word;
		struct chain *ch;

		word.text = k->name;
		if (k->policy == POLICY_NONE) {
			if (new_chain(b, t, &word, k->name, &word.loc) < 0)
				status = -1;
		} else if ((ch = table_find_chain(t, k->name)) != NULL) {
			ch->policy = k->policy;
		}
	}
	return status;
}

static int chain_line(struct builder *b, const struct cmd *c, size_t first)
{
	struct arg name = c->args[first];
	struct chain *ch;

	name.text++;
	if (!b->block)
		return diag_error(b->dl, &name.loc, name.width,
				  "chain line outside a *table block");
	if (c->argc < first + 2)
		return diag_error(b->dl, &name.loc, name.width,
				  "chain line without a policy: write :%s "
				  "ACCEPT, DROP or -",
				  name.text);
	ch = table_find_chain(block_table(b), name.text);
	if (ch && ch->hook >= 0) {
		if (strcmp(c->args[first + 1].text, "-") == 0)
			return 0;
		if (set_policy(b, block_table(b), ch, &c->args[first + 1]) < 0)
			return -1;
		keep_chain_line(b, &c->args[first], ch->name, ch->policy);
		return 0;
	}
	if (strcmp(c->args[first + 1].text, "-") != 0) {
		diag_error(b->dl, &c->args[first + 1].loc,
			   c->args[first + 1].width,
			   "only built-in chains have a policy");
		diag_hint(b->dl, "write :%s - [0:0] for a user chain",
			  name.text);
		return -1;
	}
	if (new_chain(b, block_table(b), &c->args[first], name.text, &c->loc) <
	    0)
		return -1;
	keep_chain_line(b, &c->args[first], name.text, POLICY_NONE);
	return 0;
}

static struct chain *need_chain(struct builder *b, struct table *t,
				const struct arg *a)
{
	struct chain *c = table_find_chain(t, a->text);

	if (c)
		return c;
	diag_error(b->dl, &a->loc, a->width, "no chain '%s' in table %s",
		   a->text, t->name);
	if (t->valid_hooks && !strchr(a->text, ' '))
		diag_hint(b->dl, "create it first with -N %s", a->text);
	return NULL;
}

/* A 1-based rule number of @c; @insert allows one past the end. */
static int parse_rulenum(struct builder *b, const struct arg *a,
			 const struct chain *c, bool insert, unsigned *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(a->text, &end, 10);
	if (!isdigit((unsigned char)a->text[0]) || *end || n == 0 ||
	    errno == ERANGE)
		return diag_error(b->dl, &a->loc, a->width,
				  "'%s' is not a rule number (1, 2, ...)",
				  a->text);
	if (n > c->nrules + insert) {
		diag_error(b->dl, &a->loc, a->width,
			   "rule number %lu is past the end of %s, which has "
			   "%zu rule%s at this point",
			   n, c->name, c->nrules, c->nrules == 1 ? "" : "s");
		if (insert)
			diag_hint(b->dl,
				  "insert at 1 to %zu, or append with "
				  "-A %s",
				  c->nrules + 1, c->name);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/*
 * Where the kernel allows the rule's extensions: their table, protocol
 * and, in a built-in chain, its hook.  A rule in a user chain gets its
 * hooks checked by the validator, once every jump to the chain is known.
 * In a *table block, a refusal is kept (struct refusal) and said at the
 * block's COMMIT if the rule is still there: iptables-restore never sends
 * the kernel a rule deleted before (-D, -R, -F, -X), nor a -D's rule.  A
 * command outside a block is refused at once, as iptables commits each.
 */
static int check_extensions(struct builder *b, const struct table *t,
			    const struct chain *c, const struct parsed_cmd *pc,
			    const struct src_loc *loc)
{
	struct refusal *f;
	struct entry *e;
	char why[256];
	bool any = pc->ext_target != NULL;
	int which, rc;

	for (size_t k = 0; k < pc->nmatches; k++)
		any |= pc->matches[k].blob != NULL;
	if (!any)
		return 0;
	e = encode_entry(pc, 0, 0);
	rc = xtadapter_check_entry(t->name, c->hook >= 0 ? 1u << c->hook : 0,
				   t->family, e, why, sizeof(why), &which);
	free(e);
	if (rc == 0)
		return 0;
	if (!b->block) { /* a command commits at once, as iptables does */
		if (which >= 0)
			return diag_error(b->dl, &pc->matches[which].where.loc,
					  pc->matches[which].where.width, "%s",
					  why);
		return diag_error(b->dl, &pc->target->loc, pc->target->width,
				  "%s", why);
	}
	b->refusals = reallocarray(b->refusals, b->nrefusals + 1, sizeof(*f));
	if (!b->refusals)
		abort();
	f = &b->refusals[b->nrefusals++];
	f->t = t;
	f->rule = *loc;
	f->at = which >= 0 ? pc->matches[which].where.loc : pc->target->loc;
	f->width = which >= 0 ? pc->matches[which].where.width :
				pc->target->width;
	memcpy(f->why, why, sizeof(f->why));
	return 0;
}

static bool same_loc(const struct src_loc *a, const struct src_loc *b)
{
	return a->src == b->src && a->line == b->line && a->col == b->col &&
	       a->via == b->via;
}

/* Say the kept refusals whose rule is still in its table; -1 if any. */
static int say_refusals(struct builder *b)
{
	int status = 0;

	for (size_t i = 0; i < b->nrefusals; i++) {
		const struct refusal *f = &b->refusals[i];
		bool there = false;

		for (size_t k = 0; !there && k < f->t->nchains; k++) {
			const struct chain *c = f->t->chains[k];

			for (size_t j = 0; !there && j < c->nrules; j++)
				there = same_loc(&c->rules[j].loc, &f->rule);
		}
		if (there)
			status = diag_error(b->dl, &f->at, f->width, "%s",
					    f->why);
	}
	free(b->refusals);
	b->refusals = NULL;
	b->nrefusals = 0;
	return status;
}

/* The checks iptables makes on a rule before it goes into a chain. */
static int check_rule(struct builder *b, struct table *t, struct chain *c,
		      struct parsed_cmd *pc, const struct src_loc *loc)
{
	const struct arg *tg = pc->target;
	const char *in = pc->ip.iniface, *out = pc->ip.outiface;

	if (in[0] &&
	    (c->hook == NF_INET_LOCAL_OUT || c->hook == NF_INET_POST_ROUTING))
		return diag_error(b->dl, &pc->in_arg->loc, pc->in_arg->width,
				  "-i cannot be used in %s: packets there "
				  "have no input interface",
				  c->name);
	if (out[0] &&
	    (c->hook == NF_INET_LOCAL_IN || c->hook == NF_INET_PRE_ROUTING))
		return diag_error(b->dl, &pc->out_arg->loc, pc->out_arg->width,
				  "-o cannot be used in %s: packets there "
				  "have no output interface yet",
				  c->name);
	if (encode_check_matches(pc, b->dl) < 0)
		return -1;
	if (!tg)
		return check_extensions(b, t, c, pc, loc);
	if (is_verdict(tg->text) && !pc->is_goto) {
		if (t->id == TABLE_NAT && strcmp(tg->text, "DROP") == 0)
			return diag_error(b->dl, &tg->loc, tg->width,
					  "DROP is not allowed in the nat "
					  "table: it is not for filtering");
		return check_extensions(b, t, c, pc, loc);
	}
	struct chain *to = table_find_chain(t, tg->text);

	if (to && to->hook < 0) {
		/* A chain beats a target extension of the same name, as
		 * in iptables-restore, where the extension's options are
		 * then unknown. */
		if (pc->ext_target_opt) {
			const struct arg *o = pc->ext_target_opt;

			diag_error(b->dl, &o->loc, o->width,
				   "%s is an option of the %s target "
				   "extension, but -j %s jumps to the chain "
				   "%s",
				   o->text, tg->text, tg->text, tg->text);
			diag_hint(b->dl,
				  "rename the chain (-E %s NEWNAME) "
				  "to use the extension",
				  tg->text);
			return -1;
		}
		free(pc->ext_target);
		pc->ext_target = NULL;
		return check_extensions(b, t, c, pc, loc);
	}
	if (pc->ext_target && !to)
		return check_extensions(b, t, c, pc, loc);
	if (to)
		return diag_error(b->dl, &tg->loc, tg->width,
				  "cannot jump to the built-in chain %s",
				  tg->text);
	if (pc->is_goto)
		return diag_error(b->dl, &tg->loc, tg->width,
				  "-g needs a user chain; there is no chain "
				  "'%s' in table %s",
				  tg->text, t->name);
	diag_error(b->dl, &tg->loc, tg->width,
		   "no chain '%s' in table %s, and no built-in target of "
		   "that name",
		   tg->text, t->name);
	diag_hint(b->dl,
		  "create the chain before the rule that jumps to it "
		  "(-N %s)",
		  tg->text);
	return -1;
}

/* Count the rules @pc makes (one per address pair) against the budget
 * of a config, or refuse them. */
static int spend_rules(struct builder *b, const struct parsed_cmd *pc,
		       const struct src_loc *loc)
{
	size_t ns = pc->nsrcs ? pc->nsrcs : 1, nd = pc->ndsts ? pc->ndsts : 1;
	size_t n = SIZE_MAX;
	uint64_t bytes = UINT64_MAX;

	/* No product past the limits, whatever size_t is. */
	if (ns <= BUILD_MAX_RULES && nd <= BUILD_MAX_RULES / ns)
		n = ns * nd;
	if (n <= BUILD_MAX_RULES)
		bytes = (uint64_t)n * XT_ALIGN(encode_entry_size(pc));
	if (n <= BUILD_MAX_RULES - b->rules_made &&
	    bytes <= BUILD_MAX_ENTRY_BYTES - b->bytes_made) {
		b->rules_made += n;
		b->bytes_made += bytes;
		return 0;
	}
	if (b->over_budget)
		return -1;
	b->over_budget = true;
	if (n > BUILD_MAX_RULES - b->rules_made)
		diag_error(b->dl, loc, 1,
			   "the config makes more than %u rules (%zu before "
			   "this line, which makes %s%zu)",
			   BUILD_MAX_RULES, b->rules_made,
			   n == SIZE_MAX ? "more than " : "",
			   n == SIZE_MAX ? (size_t)BUILD_MAX_RULES : n);
	else
		diag_error(b->dl, loc, 1,
			   "the config's rules take more than %u MiB in the "
			   "kernel (%" PRIu64
			   " bytes before this line, which makes "
			   "%zu rules of %zu bytes)",
			   BUILD_MAX_ENTRY_BYTES >> 20, b->bytes_made, n,
			   (size_t)(bytes / n));
	diag_hint(b->dl, "-s and -d with address lists make one rule per "
			 "source and destination pair");
	return -1;
}

/* The rule for source @si and destination @di, with its locations. */
static struct rule make_rule(struct table *t, const struct parsed_cmd *pc,
			     size_t si, size_t di, const struct src_loc *loc)
{
	struct rule r = { .loc = *loc, .pooled = true };

	r.entry = table_entry_new(t, encode_entry_size(pc));
	encode_entry_into(pc, si, di, r.entry);

	for (size_t k = 0; k < pc->nmatches; k++)
		if (pc->matches[k].blame.text) {
			r.dir_loc = pc->matches[k].blame.loc;
			r.dir_width = pc->matches[k].blame.width;
		}
	return r;
}

static void insert_pairs(struct table *t, struct chain *c, size_t pos,
			 const struct parsed_cmd *pc, const struct src_loc *loc)
{
	size_t ns = pc->nsrcs ? pc->nsrcs : 1, nd = pc->ndsts ? pc->ndsts : 1;

	for (size_t si = 0; si < ns; si++)
		for (size_t di = 0; di < nd; di++) {
			struct rule r = make_rule(t, pc, si, di, loc);

			chain_insert_rule(t, c, pos, r);
			if (pc->op == OP_APPEND)
				pos++;
		}
}

static int delete_rule_spec(struct builder *b, struct table *t, struct chain *c,
			    const struct parsed_cmd *pc)
{
	size_t ns = pc->nsrcs ? pc->nsrcs : 1, nd = pc->ndsts ? pc->ndsts : 1;

	for (size_t si = 0; si < ns; si++)
		for (size_t di = 0; di < nd; di++) {
			struct entry *e = encode_entry(pc, si, di);
			size_t i;

			for (i = 0; i < c->nrules; i++)
				if (rule_entries_equal(t->family,
						       c->rules[i].entry, e))
					break;
			free(e);
			if (i == c->nrules)
				return diag_error(b->dl, &pc->op_arg->loc,
						  pc->op_arg->width,
						  "no rule like this in %s "
						  "to delete",
						  c->name);
			chain_delete_rule(t, c, i);
		}
	return 0;
}

static int rule_command(struct builder *b, struct table *t,
			struct parsed_cmd *pc, const struct src_loc *loc)
{
	struct chain *c = need_chain(b, t, pc->chain);
	unsigned n = 1;

	if (!c)
		return -1;
	if (pc->op == OP_DELETE && pc->arg2) {
		if (pc->has_rule)
			return diag_error(b->dl, &pc->arg2->loc,
					  pc->arg2->width,
					  "-D takes a rule number or a rule, "
					  "not both");
		if (parse_rulenum(b, pc->arg2, c, false, &n) < 0)
			return -1;
		chain_delete_rule(t, c, n - 1);
		return 0;
	}
	if (check_rule(b, t, c, pc, loc) < 0 || spend_rules(b, pc, loc) < 0)
		return -1;
	switch (pc->op) {
	case OP_APPEND:
		insert_pairs(t, c, c->nrules, pc, loc);
		return 0;
	case OP_INSERT:
		if (pc->arg2 && parse_rulenum(b, pc->arg2, c, true, &n) < 0)
			return -1;
		insert_pairs(t, c, n - 1, pc, loc);
		return 0;
	case OP_REPLACE:
		if (parse_rulenum(b, pc->arg2, c, false, &n) < 0)
			return -1;
		if (pc->nsrcs > 1 || pc->ndsts > 1)
			return diag_error(b->dl, &pc->op_arg->loc,
					  pc->op_arg->width,
					  "-R takes one source and one "
					  "destination, not a list");
		chain_replace_rule(t, c, n - 1, make_rule(t, pc, 0, 0, loc));
		return 0;
	default: /* OP_DELETE by rule */
		return delete_rule_spec(b, t, c, pc);
	}
}

/* The first rule of the table that jumps or goes to @to. */
static const struct rule *first_jump_to(const struct table *t,
					const struct chain *to)
{
	for (size_t i = 0; i < t->nchains; i++)
		for (size_t j = 0; j < t->chains[i]->nrules; j++)
			if (rule_jump_chain(t, t->chains[i]->rules[j].entry) ==
			    to)
				return &t->chains[i]->rules[j];
	return NULL;
}

static int delete_chain(struct builder *b, struct table *t, struct chain *c,
			const struct arg *a)
{
	if (c->hook >= 0)
		return diag_error(b->dl, &a->loc, a->width,
				  "cannot delete the built-in chain %s",
				  c->name);
	if (c->references) {
		const struct rule *r = first_jump_to(t, c);

		diag_error(b->dl, &a->loc, a->width,
			   "cannot delete chain %s: %u rule%s still jump%s to "
			   "it",
			   c->name, c->references,
			   c->references == 1 ? "" : "s",
			   c->references == 1 ? "s" : "");
		if (r && r->loc.src)
			diag_hint(b->dl,
				  "delete the jump first, e.g. the rule "
				  "from %s:%u",
				  r->loc.src->name, r->loc.line);
		return -1;
	}
	if (c->nrules)
		return diag_error(b->dl, &a->loc, a->width,
				  "cannot delete chain %s: it still has %zu "
				  "rule%s (flush it first with -F %s)",
				  c->name, c->nrules, c->nrules == 1 ? "" : "s",
				  c->name);
	table_delete_chain(t, c);
	return 0;
}

static int chain_command(struct builder *b, struct table *t,
			 const struct parsed_cmd *pc, const struct src_loc *loc)
{
	struct chain *c = NULL;

	if (pc->op != OP_NEW_CHAIN && pc->chain) {
		c = need_chain(b, t, pc->chain);
		if (!c)
			return -1;
	}
	switch (pc->op) {
	case OP_NEW_CHAIN:
		/* iptables -N: a chain may not take a target's name (a
		 * ":LOG - [0:0]" line may). */
		if (xtadapter_is_target(t->family, pc->chain->text))
			return diag_error(b->dl, &pc->chain->loc,
					  pc->chain->width,
					  "chain name '%s' is the name of a "
					  "target extension",
					  pc->chain->text);
		return new_chain(b, t, pc->chain, pc->chain->text, loc);
	case OP_POLICY:
		return set_policy(b, t, c, pc->arg2);
	case OP_RENAME_CHAIN:
		if (c->hook >= 0)
			return diag_error(b->dl, &pc->chain->loc,
					  pc->chain->width,
					  "cannot rename the built-in chain "
					  "%s",
					  c->name);
		if (check_chain_name(b, pc->arg2, pc->arg2->text) < 0)
			return -1;
		if (table_find_chain(t, pc->arg2->text))
			return diag_error(b->dl, &pc->arg2->loc,
					  pc->arg2->width,
					  "chain '%s' already exists",
					  pc->arg2->text);
		table_rename_chain(t, c, pc->arg2->text);
		return 0;
	case OP_FLUSH:
		for (size_t i = 0; i < t->nchains; i++)
			if (!c || t->chains[i] == c)
				chain_flush(t, t->chains[i]);
		return 0;
	case OP_DELETE_CHAIN:
		if (c)
			return delete_chain(b, t, c, pc->chain);
		for (size_t i = t->nchains; i-- > 0;)
			if (t->chains[i]->hook < 0 &&
			    delete_chain(b, t, t->chains[i], pc->op_arg) < 0)
				return -1;
		return 0;
	default: /* OP_ZERO: counters are not part of a ruleset */
		return 0;
	}
}

/* The open block's table in the statement's family: a "-6" line inside
 * *filter goes to the IPv6 filter table. */
static struct table *block_table(struct builder *b)
{
	return ruleset_table_of(b->rs, b->cmd, b->block->id);
}

static struct table *command_table(struct builder *b,
				   const struct parsed_cmd *pc)
{
	if (!pc->table)
		return b->block ? block_table(b) :
				  ruleset_table_of(b->rs, b->cmd, TABLE_FILTER);
	if (b->block && strcmp(pc->table, b->block->name) != 0) {
		diag_error(b->dl, &pc->table_arg->loc, pc->table_arg->width,
			   "-t %s inside the *%s block", pc->table,
			   b->block->name);
		return NULL;
	}
	return find_table(b, pc->table_arg);
}

/* True for "[packets:bytes]", which iptables-restore drops without -c. */
static bool is_counter_prefix(const char *s)
{
	size_t n = strlen(s);

	return n >= 5 && s[0] == '[' && s[n - 1] == ']' && strchr(s, ':') &&
	       strspn(s + 1, "0123456789:") == n - 2;
}

static int rule_line(struct builder *b, const struct cmd *c, size_t first)
{
	struct parsed_cmd pc;
	struct table *t;
	int rc = -1;

	if (first < c->argc && is_counter_prefix(c->args[first].text))
		first++;
	if (encode_parse(c, first, b->cmd, &pc, b->encode_flags, b->dl) < 0)
		goto out;
	if (pc.op == OP_NONE) {
		diag_error(b->dl, &c->loc, 1, "no command in this line");
		diag_hint(b->dl, "a rule starts with -A CHAIN (append) or "
				 "-I CHAIN (insert)");
		goto out;
	}
	if (pc.has_rule && (pc.op != OP_APPEND && pc.op != OP_INSERT &&
			    pc.op != OP_DELETE && pc.op != OP_REPLACE)) {
		diag_error(b->dl, &pc.op_arg->loc, pc.op_arg->width,
			   "%s does not take rule options", pc.op_arg->text);
		goto out;
	}
	t = command_table(b, &pc);
	if (!t)
		goto out;
	use_table(t, &c->loc);
	if (pc.op >= OP_APPEND && pc.op <= OP_REPLACE)
		rc = rule_command(b, t, &pc, &c->loc);
	else
		rc = chain_command(b, t, &pc, &c->loc);
out:
	parsed_cmd_free(&pc);
	return rc;
}

/*
 * "preserve GLOB..." inside a block: the kernel's user chains whose names
 * match a glob (fnmatch) are kept as they are when the table is applied,
 * with the rules elsewhere that jump to them (plan.c merges them in).
 * The globs stay with the table, also across a later block of it.
 */
static int preserve_line(struct builder *b, const struct cmd *c, size_t first)
{
	struct table *t = b->block ? block_table(b) : NULL;

	if (!t) {
		diag_error(b->dl, &c->args[first].loc, c->args[first].width,
			   "preserve outside a *table block");
		diag_hint(b->dl, "write it between *filter (or the table it "
				 "is for) and COMMIT");
		return -1;
	}
	if (c->argc == first + 1)
		return diag_error(
			b->dl, &c->args[first].loc, c->args[first].width,
			"preserve needs a chain name or glob, such as "
			"preserve f2b-*");
	for (size_t i = first + 1; i < c->argc; i++) {
		const struct arg *a = &c->args[i];

		if (a->text[0] == '\0' ||
		    strlen(a->text) >= sizeof(t->preserve[0]))
			return diag_error(b->dl, &a->loc, a->width,
					  "'%s' cannot match a chain name "
					  "(at most %d characters)",
					  a->text, CHAIN_NAME_MAX);
		if (t->npreserve == TABLE_PRESERVE_MAX)
			return diag_error(b->dl, &a->loc, a->width,
					  "more than %d preserve globs in "
					  "table %s",
					  TABLE_PRESERVE_MAX, t->name);
		snprintf(t->preserve[t->npreserve++], sizeof(t->preserve[0]),
			 "%s", a->text);
	}
	return 0;
}

/*
 * The family of statement @c, into b->cmd, and where its command starts:
 * after "iptables" (IPv4) or "ip6tables" (IPv6), or after a first word
 * "-4" or "-6" as iptables-restore honours it; else the builder's family.
 */
static size_t command_family(struct builder *b, const struct cmd *c)
{
	static const struct {
		const char *word;
		enum family family;
	} prefixes[] = {
		{ "iptables", FAMILY_IPV4 },
		{ "iptables-legacy", FAMILY_IPV4 },
		{ "ip6tables", FAMILY_IPV6 },
		{ "ip6tables-legacy", FAMILY_IPV6 },
		{ "-4", FAMILY_IPV4 },
		{ "-6", FAMILY_IPV6 },
		{ "--ipv4", FAMILY_IPV4 },
		{ "--ipv6", FAMILY_IPV6 },
	};

	b->cmd = b->family;
	if (c->argc == 0)
		return 0;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (strcmp(c->args[0].text, prefixes[i].word) == 0) {
			b->cmd = prefixes[i].family;
			return 1;
		}
	return 0;
}

/*
 * "family ipv4|ipv6|both": the family of the statements after it that do
 * not say theirs.  Only between table blocks.  "family default" goes back
 * to the family the builder started in (iptload -4 or -6): the expander
 * writes it where an included file that set a family ends.
 */
static int family_line(struct builder *b, const struct cmd *c, size_t first)
{
	const struct arg *a = first + 1 < c->argc ? &c->args[first + 1] : NULL;

	if (b->block)
		return diag_error(b->dl, &c->args[first].loc,
				  c->args[first].width,
				  "family inside the *%s block",
				  b->block->name);
	if (!a || c->argc > first + 2 ||
	    (strcmp(a->text, "ipv4") != 0 && strcmp(a->text, "ipv6") != 0 &&
	     strcmp(a->text, "both") != 0 && strcmp(a->text, "default") != 0)) {
		a = a ? a : &c->args[first];
		diag_error(b->dl, &a->loc, a->width,
			   "family takes ipv4, ipv6 or both");
		return -1;
	}
	b->both = strcmp(a->text, "both") == 0;
	if (strcmp(a->text, "default") == 0)
		b->family = b->initial;
	else
		b->family = strcmp(a->text, "ipv6") == 0 ? FAMILY_IPV6 :
							   FAMILY_IPV4;
	return 0;
}

/* The name of family bit @f, for messages. */
static const char *split_name(unsigned f)
{
	return f == SPLIT_V6 ? "IPv6" : "IPv4";
}

/*
 * The checks of statement b->st, now that every command made of it has
 * been built (or not): see struct statement.
 */
static int statement_end(struct builder *b)
{
	struct statement *st = &b->st;
	/* Left out of a family that its parts and its plain addresses
	 * allow: by a negated list or an address() value. */
	unsigned missing = SPLIT_BOTH & ~st->built & st->parts & st->open;
	int rc = 0;

	if (st->serial == 0 || st->failed)
		goto out;
	if (!st->built && st->mixed && !st->mixed_addrs) {
		rc = diag_error(b->dl, &st->loc, 1,
				"this rule has parts of IPv4 only and of "
				"IPv6 only: no family can load it");
		diag_hint(b->dl, "-p icmp, --icmp-type, -m ttl and icmp-* are "
				 "IPv4's; -p ipv6-icmp, --icmpv6-type, -m hl "
				 "and icmp6-* IPv6's: write one rule per "
				 "family");
	} else if (!st->built && st->mixed) {
		rc = diag_error(b->dl, &st->loc, 1,
				"this rule gives IPv4 and IPv6 addresses "
				"together: no family can load it");
		diag_hint(b->dl, "give a rule the addresses of one family; "
				 "lists that hold both are split per family");
	} else if (!st->built && st->runtime_only) {
		/* An address() of the other family only: the interface
		 * has no address of this one (yet). */
		unsigned want = b->family == FAMILY_IPV6 ? SPLIT_V6 : SPLIT_V4;

		if (b->boot && b->left_out) {
			diag_warning(b->dl, &st->at, st->width,
				     "left out: this interface value has no "
				     "%s address yet (only %s)",
				     split_name(want), b->what);
			(*b->left_out)++;
		} else {
			rc = diag_error(b->dl, &st->at, st->width,
					"this interface value has no %s "
					"address (only %s)",
					split_name(want), b->what);
			diag_hint(b->dl, "apply --boot loads the rest of the "
					 "ruleset and leaves this rule out");
		}
	} else if (st->both && st->built && missing &&
		   (st->negated || st->runtime) && st->restrictive) {
		rc = diag_error(b->dl, &st->loc, 1,
				"in family both, this rule is loaded in %s "
				"only: %s leaves it without addresses in %s, "
				"and a rule that drops left out fails open",
				split_name(st->built),
				st->negated ? "its negated address list" :
					      "its address() value",
				split_name(missing));
		diag_hint(b->dl, "write it for the family it is for "
				 "(-4 or -6 as its first word), or give the "
				 "list members of both families");
	} else if (st->both && st->built && st->built != SPLIT_BOTH &&
		   st->negated_proto && st->restrictive) {
		/* "! -p icmp -j DROP" means "all but ICMP" in both
		 * families, but ICMP is another protocol in IPv6. */
		rc = diag_error(b->dl, &st->loc, 1,
				"in family both, this rule is loaded in %s "
				"only: its negated protocol is of %s only, "
				"and a rule that drops left out fails open",
				split_name(st->built), split_name(st->built));
		diag_hint(b->dl, "write one rule per family: -4 ... ! -p "
				 "icmp and -6 ... ! -p ipv6-icmp");
	}
out:
	memset(st, 0, sizeof(*st));
	free(b->what);
	b->what = NULL;
	return rc;
}

/* Start statement @c's checks if it is a new statement. */
static int statement_start(struct builder *b, const struct cmd *c)
{
	int rc = 0;

	if (c->stmt == b->st.serial && c->stmt != 0)
		return 0;
	rc = statement_end(b);
	b->st.serial = c->stmt;
	b->st.loc = c->loc;
	return rc;
}

/* Free what narrow_lists made in @one (nothing if it made nothing). */
static void free_narrowed(const struct cmd *c, struct cmd *one)
{
	if (!one->args)
		return;
	for (size_t i = 0; i < c->argc; i++)
		if (one->args[i].text != c->args[i].text)
			free(one->args[i].text);
	free(one->args);
	one->args = NULL;
}

/*
 * Command @c for family @f (SPLIT_V4 or SPLIT_V6): each -s and -d comma
 * list that holds addresses of both families (-s 10.0.0.1,2001:db8::1)
 * narrowed to its members of @f, as a list variable of both is split.
 * Returns @c itself when no list needs it, a copy in @one (whose args
 * and their texts the caller frees with free_narrowed) otherwise, NULL
 * when a list has no member of @f: no rule of @f.  A negated list is left
 * whole, for the builder to refuse as iptables does.
 */
static const struct cmd *narrow_lists(const struct cmd *c, size_t first,
				      unsigned f, struct cmd *one)
{
	one->args = NULL;
	for (size_t i = first; i + 1 < c->argc; i++) {
		const char *v = c->args[i + 1].text;
		char *text;

		if (!split_is_list_option(c->args[i].text) || !strchr(v, ',') ||
		    split_address_family(v) != SPLIT_BOTH ||
		    (i > first && strcmp(c->args[i - 1].text, "!") == 0))
			continue;
		if (!one->args) {
			*one = *c;
			one->args = calloc(c->argc, sizeof(*one->args));
			if (!one->args)
				abort();
			memcpy(one->args, c->args, c->argc * sizeof(*c->args));
		}
		text = malloc(strlen(v) + 1);
		if (!text)
			abort();
		one->args[i + 1].text = text;
		if (!split_narrow_list(v, f, text)) {
			free_narrowed(c, one);
			return NULL;
		}
	}
	return one->args ? one : c;
}

/* The first negated -s/-d comma list of both families in @c, if any:
 * narrow_lists leaves it whole, and no family can load it. */
static const struct arg *negated_mixed_list(const struct cmd *c, size_t first)
{
	for (size_t i = first + 1; i + 1 < c->argc; i++)
		if (strcmp(c->args[i - 1].text, "!") == 0 &&
		    split_is_list_option(c->args[i].text) &&
		    strchr(c->args[i + 1].text, ',') &&
		    split_address_family(c->args[i + 1].text) == SPLIT_BOTH)
			return &c->args[i + 1];
	return NULL;
}

/* Whether a word of @c from @first on holds an address() value. */
static bool has_runtime_arg(const struct cmd *c, size_t first)
{
	for (size_t i = first; i < c->argc; i++)
		if (c->args[i].runtime)
			return true;
	return false;
}

/*
 * Rule line @c in the families it belongs to: in "family both" each
 * family its addresses and parts allow; otherwise the statement's family,
 * leaving out a command whose address() value is of the other family.
 */
static int split_rule_line(struct builder *b, const struct cmd *c, size_t first,
			   bool named_family)
{
	struct split sp;
	unsigned fams;
	int rc = 0;

	/* Outside "family both" only an address() value needs the split
	 * (statement_end reads the rest in family both only): a plain rule
	 * goes straight to its family. */
	if (!b->both && !has_runtime_arg(c, first)) {
		b->st.built |= b->cmd == FAMILY_IPV6 ? SPLIT_V6 : SPLIT_V4;
		return rule_line(b, c, first);
	}
	fams = split_command(c, first, &sp);

	b->st.parts |= sp.parts;
	b->st.open |= sp.fixed;
	b->st.negated |= sp.negated;
	b->st.negated_proto |= sp.negated_proto;
	b->st.runtime |= sp.runtime != 0;
	b->st.restrictive |= sp.restrictive;
	if (sp.runtime_arg && !b->what) {
		b->what = strdup(sp.runtime_arg->text);
		if (!b->what)
			abort();
		b->st.at = sp.runtime_arg->loc;
		b->st.width = sp.runtime_arg->width;
	}
	if (!named_family && b->both && sp.rulenum) {
		diag_error(b->dl, &sp.rulenum->loc, sp.rulenum->width,
			   "in family both, rule number %s is a different "
			   "rule in each family",
			   sp.rulenum->text);
		diag_hint(b->dl, "delete or replace by the rule itself, or "
				 "write the line for one family (-4 or -6 "
				 "first)");
		b->st.failed = true;
		return -1;
	}
	if (!named_family && b->both) {
		const struct arg *neg = negated_mixed_list(c, first);
		unsigned any = 0;

		if (neg) {
			diag_error(b->dl, &neg->loc, neg->width,
				   "a negated comma list of both families is "
				   "not split: no family can load it");
			diag_hint(b->dl, "iptables cannot negate a comma list; "
					 "write one rule per family (-4 and -6 "
					 "first), or use a list variable");
			b->st.failed = true;
			return -1;
		}
		b->st.both = true;
		for (unsigned f = SPLIT_V4; f <= SPLIT_V6; f <<= 1) {
			struct cmd one;
			const struct cmd *fc = narrow_lists(c, first, f, &one);

			unsigned ff = fams;
			struct split nsp;

			if (!fc)
				continue;
			if (fc != c)
				ff = split_command(fc, first, &nsp);
			any |= ff;
			if (!ff)
				b->st.mixed_addrs |=
					(fc == c ? sp.addrs : nsp.addrs) ==
					SPLIT_BOTH;
			if (ff & f) {
				b->cmd = f == SPLIT_V6 ? FAMILY_IPV6 :
							 FAMILY_IPV4;
				b->st.built |= f;
				if (rule_line(b, fc, first) < 0)
					rc = -1;
			}
			free_narrowed(c, &one);
		}
		if (!any)
			b->st.mixed = true;
		return rc;
	}
	if (sp.runtime) {
		unsigned f = b->cmd == FAMILY_IPV6 ? SPLIT_V6 : SPLIT_V4;

		if (!(sp.runtime & f)) {
			b->st.runtime_only |= sp.runtime;
			return 0;
		}
	}
	b->st.built |= b->cmd == FAMILY_IPV6 ? SPLIT_V6 : SPLIT_V4;
	return rule_line(b, c, first);
}

/* A line other than a rule: in "family both", for each family. */
static int each_family(struct builder *b, const struct cmd *c, size_t first,
		       int (*line)(struct builder *, const struct cmd *,
				   size_t))
{
	int rc;

	if (!b->cmd_both)
		return line(b, c, first);
	b->cmd = FAMILY_IPV4;
	rc = line(b, c, first);
	b->cmd = FAMILY_IPV6;
	if (line(b, c, first) < 0)
		rc = -1;
	return rc;
}

static int build_command(struct builder *b, const struct cmd *c)
{
	size_t first = command_family(b, c);
	const char *a0;
	int rc;

	if (first >= c->argc)
		return diag_error(b->dl, &c->loc, 1, "%s without a command",
				  c->args[0].text);
	a0 = c->args[first].text;
	if (b->skipping) {
		b->skipping = strcmp(a0, "COMMIT") != 0;
		return 0;
	}
	rc = statement_start(b, c);
	if (first == 0 && strcmp(a0, "family") == 0)
		return family_line(b, c, first) < 0 ? -1 : rc;
	b->cmd_both = first == 0 && b->both;
	if (a0[0] == '*')
		return start_block(b, c, first) < 0 ? -1 : rc;
	if (a0[0] == ':') {
		if (each_family(b, c, first, chain_line) < 0)
			return -1;
		if (b->other && !b->cmd_both && b->cmd == b->block->family) {
			enum family own = b->cmd;

			b->cmd = own == FAMILY_IPV6 ? FAMILY_IPV4 : FAMILY_IPV6;
			if (chain_line(b, c, first) < 0)
				rc = -1;
			b->cmd = own;
		}
		return rc;
	}
	if (strcmp(a0, "preserve") == 0)
		return each_family(b, c, first, preserve_line) < 0 ? -1 : rc;
	if (strcmp(a0, "COMMIT") == 0) {
		if (!b->block)
			return diag_error(b->dl, &c->args[first].loc, 6,
					  "COMMIT without a *table line "
					  "before it");
		b->block = NULL;
		return say_refusals(b) < 0 ? -1 : rc;
	}
	if (b->block && !b->cmd_both && b->cmd != b->block->family &&
	    !b->other && start_other(b) < 0)
		rc = -1;
	if (split_rule_line(b, c, first, first != 0) < 0) {
		b->st.failed = true;
		return -1;
	}
	return rc;
}

struct builder *builder_new(struct ruleset *rs, struct diag_list *dl)
{
	struct builder *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	b->rs = rs;
	b->dl = dl;
	return b;
}

void builder_set_family(struct builder *b, enum family f)
{
	b->family = f;
	b->initial = f;
}

void builder_set_boot(struct builder *b, size_t *left_out)
{
	b->boot = true;
	b->left_out = left_out;
}

void builder_resolve_names(struct builder *b)
{
	b->encode_flags |= ENCODE_RESOLVE;
	xtadapter_resolve_names(true);
}

int builder_add(struct builder *b, const struct cmd *c)
{
	return build_command(b, c);
}

int builder_finish(struct builder *b)
{
	int status = statement_end(b);

	if (say_refusals(b) < 0)
		status = -1;
	free(b->bchains);
	if (b->block) {
		diag_error(b->dl, &b->block_loc, 1,
			   "the *%s block has no COMMIT line", b->block->name);
		diag_hint(b->dl, "end the block with COMMIT, as "
				 "iptables-restore needs");
		status = -1;
	}
	free(b);
	return status;
}

int build_ruleset(struct ruleset *rs, const struct cmd_list *cl,
		  struct diag_list *dl)
{
	struct builder *b = builder_new(rs, dl);
	int status = 0;

	for (size_t i = 0; i < cl->count; i++)
		if (builder_add(b, &cl->items[i]) < 0)
			status = -1;
	if (builder_finish(b) < 0)
		status = -1;
	return status;
}
