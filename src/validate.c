/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * validate.c - whole-table checks the kernel makes at replace time, made
 * here first so that the error names the rule:
 *  - a loop of jumps reachable from a built-in chain (kernel: ELOOP);
 *  - a policy match whose direction cannot work in a hook that reaches it
 *    (--dir in from OUTPUT/POSTROUTING, --dir out from PREROUTING/INPUT;
 *    kernel: EINVAL).  A user chain is reached from every hook of every
 *    chain that jumps or goes to it;
 *  - an extension in a user chain reached from a hook the kernel does not
 *    allow it in (MASQUERADE from PREROUTING, owner from INPUT...; kernel:
 *    EINVAL).  The builder has checked rules of built-in chains already.
 * The walk is iterative so that a long chain of user chains cannot
 * overflow the stack.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/xt_policy.h>

#include "validate.h"
#include "xtadapter.h"

/* Per-chain state of the walk, indexed like table->chains. */
struct walk {
	const struct table *t;
	struct diag_list *dl;
	unsigned *hooks;	  /* bit per hook that reaches the chain */
	const struct rule **via;  /* the first jump that reached it */
	struct chain_slot *slots; /* chains by address, for chain_pos() */
	bool *on_path;
	bool *loop_seen; /* a loop closing at this chain was reported */
	bool *seen;
	size_t *next_rule;
	size_t *stack;
	int status;
};

/* A chain and its index in table->chains, sorted by address: the jump
 * target of every rule is found in O(log chains), not by a scan (10 000
 * user chains made the scan the one superlinear step of a load). */
struct chain_slot {
	const struct chain *c;
	size_t pos;
};

static int slot_cmp(const void *a, const void *b)
{
	const struct chain *x = ((const struct chain_slot *)a)->c;
	const struct chain *y = ((const struct chain_slot *)b)->c;

	return x < y ? -1 : x > y;
}

static size_t chain_pos(const struct walk *w, const struct chain *c)
{
	struct chain_slot key = { c, 0 };
	const struct chain_slot *hit;

	if (!c)
		return w->t->nchains;
	hit = bsearch(&key, w->slots, w->t->nchains, sizeof(key), slot_cmp);
	return hit ? hit->pos : w->t->nchains;
}

static void report_loop(struct walk *w, size_t depth, size_t to,
			const struct rule *r)
{
	char path[512] = "";
	size_t from = 0, len = 0;

	while (from < depth && w->stack[from] != to)
		from++;
	for (size_t i = from; i < depth && len < sizeof(path) - 64; i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len,
					"%s -> ",
					w->t->chains[w->stack[i]]->name);
	snprintf(path + len, sizeof(path) - len, "%s", w->t->chains[to]->name);
	w->status = diag_error(w->dl, &r->loc, 1, "jump loop in table %s: %s",
			       w->t->name, path);
}

/* Mark every chain reachable from built-in chain @root with @hook. */
static void walk_hook(struct walk *w, size_t root, int hook)
{
	const struct table *t = w->t;
	size_t depth = 0;

	memset(w->seen, 0, t->nchains * sizeof(*w->seen));
	w->stack[depth++] = root;
	w->next_rule[root] = 0;
	w->on_path[root] = w->seen[root] = true;
	while (depth > 0) {
		size_t ci = w->stack[depth - 1];
		const struct chain *c = t->chains[ci];
		const struct rule *r;
		size_t to;

		w->hooks[ci] |= 1u << hook;
		if (w->next_rule[ci] == c->nrules) {
			w->on_path[ci] = false;
			depth--;
			continue;
		}
		r = &c->rules[w->next_rule[ci]++];
		if (!rule_is_standard(t->family, r->entry))
			continue;
		to = chain_pos(w,
			       table_find_chain(t, rule_target_name(t->family,
								    r->entry)));
		if (to == t->nchains || t->chains[to]->hook >= 0)
			continue;
		if (w->on_path[to]) {
			/* Once per closing jump, however many hooks
			 * reach the loop. */
			if (!w->loop_seen[to])
				report_loop(w, depth, to, r);
			w->loop_seen[to] = true;
			continue;
		}
		if (w->seen[to])
			continue;
		if (!w->via[to])
			w->via[to] = r;
		w->seen[to] = w->on_path[to] = true;
		w->next_rule[to] = 0;
		w->stack[depth++] = to;
	}
}

static const struct xt_policy_info *rule_policy(enum family f,
						const struct entry *e,
						const struct xt_entry_match **m)
{
	for (size_t off = entry_head_size(f); off < entry_target_offset(f, e);
	     off += (*m)->u.match_size) {
		*m = entry_match_at(e, off);
		if (strcmp((*m)->u.user.name, "policy") == 0)
			return (const void *)(*m)->data;
	}
	return NULL;
}

/* The first hook in @mask, as a chain name, for the message. */
static const char *first_hook(unsigned mask)
{
	for (int h = 0; h < NF_INET_NUMHOOKS; h++)
		if (mask & (1u << h))
			return hook_chain_name(h);
	return "?";
}

static void check_policy_dirs(struct walk *w, size_t ci)
{
	const struct chain *c = w->t->chains[ci];
	const unsigned in_bad = 1u << NF_INET_POST_ROUTING |
				1u << NF_INET_LOCAL_OUT;
	const unsigned out_bad = 1u << NF_INET_PRE_ROUTING |
				 1u << NF_INET_LOCAL_IN;

	for (size_t i = 0; i < c->nrules; i++) {
		const struct xt_entry_match *m = NULL;
		const struct xt_policy_info *pi =
			rule_policy(w->t->family, c->rules[i].entry, &m);
		unsigned bad;

		if (!pi)
			continue;
		bad = w->hooks[ci] &
		      ((pi->flags & XT_POLICY_MATCH_IN ? in_bad : 0) |
		       (pi->flags & XT_POLICY_MATCH_OUT ? out_bad : 0));
		const struct rule *r = &c->rules[i];
		const struct rule *jump = w->via[ci];

		if (!bad)
			continue;
		w->status = diag_error(
			w->dl, r->dir_loc.line ? &r->dir_loc : &r->loc,
			r->dir_loc.line ? r->dir_width : 1,
			"policy --dir %s cannot match in %s%s%s",
			pi->flags & XT_POLICY_MATCH_IN ? "in" : "out",
			first_hook(bad), c->hook < 0 ? ", which reaches " : "",
			c->hook < 0 ? c->name : "");
		if (c->hook < 0 && jump && jump->loc.src)
			diag_hint(w->dl,
				  "%s is reached through the jump at "
				  "%s:%u; --dir %s matches only in %s",
				  c->name, jump->loc.src->name, jump->loc.line,
				  pi->flags & XT_POLICY_MATCH_IN ? "in" : "out",
				  pi->flags & XT_POLICY_MATCH_IN ?
					  "PREROUTING, INPUT and FORWARD" :
					  "FORWARD, OUTPUT and "
					  "POSTROUTING");
		else
			diag_hint(w->dl, "--dir in matches packets that were "
					 "decrypted (PREROUTING, INPUT, "
					 "FORWARD); --dir out packets to be "
					 "encrypted (FORWARD, OUTPUT, "
					 "POSTROUTING)");
	}
}

/* A rule of a chain reached from @hook that jumps or goes to chain @to. */
static const struct rule *jump_from_hook(const struct walk *w, size_t to,
					 int hook)
{
	const struct table *t = w->t;

	for (size_t i = 0; i < t->nchains; i++) {
		if (!(w->hooks[i] & (1u << hook)))
			continue;
		for (size_t j = 0; j < t->chains[i]->nrules; j++)
			if (rule_jump_chain(t, t->chains[i]->rules[j].entry) ==
			    t->chains[to])
				return &t->chains[i]->rules[j];
	}
	return NULL;
}

/*
 * Extensions of user chain @ci against each hook that reaches it, one
 * hook at a time so that the message can name the hook and the jump.
 */
static void check_extension_hooks(struct walk *w, size_t ci)
{
	const struct chain *c = w->t->chains[ci];
	char why[256];
	int which;

	if (c->hook >= 0)
		return;
	for (size_t i = 0; i < c->nrules; i++) {
		const struct rule *r = &c->rules[i], *jump;
		int h;

		for (h = 0; h < NF_INET_NUMHOOKS; h++)
			if ((w->hooks[ci] & (1u << h)) &&
			    xtadapter_check_entry(w->t->name, 1u << h,
						  w->t->family, r->entry, why,
						  sizeof(why), &which) < 0)
				break;
		if (h == NF_INET_NUMHOOKS)
			continue;
		w->status = diag_error(w->dl, &r->loc, 1,
				       "%s (chain %s is reached from %s)", why,
				       c->name, hook_chain_name(h));
		jump = jump_from_hook(w, ci, h);
		if (jump && jump->loc.src)
			diag_hint(w->dl,
				  "%s reaches %s through the jump at "
				  "%s:%u",
				  hook_chain_name(h), c->name,
				  jump->loc.src->name, jump->loc.line);
	}
}

static int validate_table(const struct table *t, struct diag_list *dl)
{
	struct walk w = { .t = t, .dl = dl };
	size_t n = t->nchains;

	w.hooks = calloc(n, sizeof(*w.hooks));
	w.via = calloc(n, sizeof(*w.via));
	w.slots = calloc(n + 1, sizeof(*w.slots));
	w.on_path = calloc(n, sizeof(*w.on_path));
	w.loop_seen = calloc(n, sizeof(*w.loop_seen));
	w.seen = calloc(n, sizeof(*w.seen));
	w.next_rule = calloc(n, sizeof(*w.next_rule));
	w.stack = calloc(n, sizeof(*w.stack));
	if (!w.hooks || !w.via || !w.slots || !w.on_path || !w.loop_seen ||
	    !w.seen || !w.next_rule || !w.stack)
		abort();
	for (size_t i = 0; i < n; i++)
		w.slots[i] = (struct chain_slot){ t->chains[i], i };
	qsort(w.slots, n, sizeof(*w.slots), slot_cmp);
	for (size_t i = 0; i < n; i++)
		if (t->chains[i]->hook >= 0)
			walk_hook(&w, i, t->chains[i]->hook);
	for (size_t i = 0; i < n; i++) {
		check_policy_dirs(&w, i);
		check_extension_hooks(&w, i);
	}
	free(w.hooks);
	free(w.via);
	free(w.slots);
	free(w.on_path);
	free(w.loop_seen);
	free(w.seen);
	free(w.next_rule);
	free(w.stack);
	return w.status;
}

int validate_ruleset(const struct ruleset *rs, struct diag_list *dl)
{
	int status = 0;

	for (int id = 0; id < RULESET_TABLES; id++)
		if (rs->tables[id].named &&
		    validate_table(&rs->tables[id], dl) < 0)
			status = -1;
	return status;
}
