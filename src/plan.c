/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.c - compares two models of a table (what the kernel holds, what is
 * to be loaded) and finds the smallest edit between them.
 *
 * Rules are matched chain by chain with a longest common subsequence: the
 * shared rules stay untouched in the libiptc handle, so the kernel keeps
 * their packet and byte counters (libiptc maps them across the commit),
 * and a table whose plan is empty is not committed at all.  Rules are
 * equal as `iptables -D` compares them (everything but the counters), or
 * when an extension whose bytes differ saves both the same (rules_same).
 * This file never talks to the kernel: commit.c reads the live tables
 * into models and carries out the plans.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdint.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "print.h"
#include "xtadapter.h"

#define NO_MATCH SIZE_MAX
/* Above this many cells (16 MiB of uint32_t) the middle of two chains is
 * matched greedily instead of with the quadratic table. */
#define LCS_MAX_CELLS (1u << 22)

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort(); /* out of memory: nothing sensible to do */
	return p;
}

static void *xreallocarray(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

/* ---- matching two lists of rules ---- */

/* One FNV-1a step over @len bytes. */
static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h;
}

/* Room for either family's IP part. */
union ip_part {
	struct ipt_ip v4;
	struct ip6t_ip6 v6;
};

/*
 * The IP part of @e with the name of an interface whose mask is empty
 * cleared: "-i +" (a name, no byte of it compared) matches every
 * interface, saves as no -i at all, and reads back without the name.
 * The bytes past the family's part are zero.
 */
static union ip_part ip_normalized(enum family f, const struct entry *e)
{
	static const unsigned char none[IFNAMSIZ];
	union ip_part n;
	char *in, *out;
	const unsigned char *in_mask, *out_mask;

	memset(&n, 0, sizeof(n));
	memcpy(&n, entry_ip(f, e), entry_ip_size(f));
	if (f == FAMILY_IPV6) {
		in = n.v6.iniface, out = n.v6.outiface;
		in_mask = n.v6.iniface_mask, out_mask = n.v6.outiface_mask;
	} else {
		in = n.v4.iniface, out = n.v4.outiface;
		in_mask = n.v4.iniface_mask, out_mask = n.v4.outiface_mask;
	}
	if (memcmp(in_mask, none, IFNAMSIZ) == 0)
		memset(in, 0, IFNAMSIZ);
	if (memcmp(out_mask, none, IFNAMSIZ) == 0)
		memset(out, 0, IFNAMSIZ);
	return n;
}

static bool ip_same(enum family f, const struct entry *a, const struct entry *b)
{
	union ip_part na = ip_normalized(f, a), nb = ip_normalized(f, b);

	return memcmp(&na, &nb, sizeof(na)) == 0;
}

/*
 * A hash of what two equal rules (rules_same) must share byte for byte:
 * the IP part, the layout, and each extension's size, name and revision
 * (their data may differ and still say the same), so that most unequal
 * pairs are told apart without a closer look.
 */
static uint64_t entry_hash(enum family f, const struct entry *e)
{
	union ip_part ip = ip_normalized(f, e);
	uint64_t h = fnv(14695981039346656037ull, &ip, entry_ip_size(f));
	uint16_t offsets[2] = { entry_target_offset(f, e),
				entry_next_offset(f, e) };
	size_t off;

	h = fnv(h, offsets, sizeof(offsets));
	for (off = entry_head_size(f);
	     off + sizeof(struct xt_entry_match) <= offsets[1];) {
		const struct xt_entry_match *m = entry_match_at(e, off);

		h = fnv(h, &m->u.user, sizeof(m->u.user));
		if (m->u.match_size < sizeof(*m))
			break;
		off += m->u.match_size;
	}
	return h;
}

/* Whether @a and @b print the same through their extension's own save
 * function (the way iptables-save shows them). */
static bool saves_same(enum family f, const void *ip, const void *a,
		       const void *b, bool target)
{
	char *ta = NULL, *tb = NULL;
	size_t la = 0, lb = 0;
	FILE *fa = open_memstream(&ta, &la), *fb = open_memstream(&tb, &lb);
	bool same = false;
	int ra, rb;

	if (!fa || !fb)
		abort();
	ra = target ? xtadapter_save_target(f, ip, a, fa) :
		      xtadapter_save_match(f, ip, a, fa);
	rb = target ? xtadapter_save_target(f, ip, b, fb) :
		      xtadapter_save_match(f, ip, b, fb);
	fclose(fa);
	fclose(fb);
	same = ra == 0 && rb == 0 && la == lb && memcmp(ta, tb, la) == 0;
	free(ta);
	free(tb);
	return same;
}

void plan_seal(void)
{
	xtadapter_seal(true);
}

void plan_unseal(void)
{
	xtadapter_seal(false);
}

bool plan_missed(void)
{
	return xtadapter_sealed_missed();
}

void plan_load_missed(void)
{
	xtadapter_load_missed();
}

/* Two extensions (header and data) of rules with the same IP part. */
static bool ext_same(enum family f, const void *ip,
		     const struct xt_entry_match *a,
		     const struct xt_entry_match *b, bool target)
{
	size_t size = a->u.match_size;

	if (size != b->u.match_size || size < sizeof(*a) ||
	    memcmp(&a->u.user, &b->u.user, sizeof(a->u.user)) != 0)
		return false;
	if (memcmp(a->data, b->data, size - sizeof(*a)) == 0)
		return true;
	/* A standard target (no name) is ours to compare: bytes only. */
	if (target && a->u.user.name[0] == '\0')
		return false;
	return saves_same(f, ip, a, b, target);
}

/*
 * Whether two rules are the same rule: byte for byte as `iptables -D`
 * compares them (counters aside), or, where they differ, when the IP parts
 * differ only in the name of an interface no byte of which is compared,
 * and each extension whose data differs saves both the same.  The kernel hands some
 * extensions' data back unlike what parsing their saved text builds (the
 * recent match's mask: 16 bytes of ones for no --mask, 4 for --mask
 * 255.255.255.255): iptables-save cannot tell them apart, and neither
 * should a reload.
 */
static bool rules_same(enum family f, const struct entry *a,
		       const struct entry *b)
{
	const void *ip = entry_ip(f, a);
	unsigned toff = entry_target_offset(f, a);
	size_t off;

	if (rule_entries_equal(f, a, b))
		return true;
	if (!ip_same(f, a, b) || toff != entry_target_offset(f, b) ||
	    entry_next_offset(f, a) != entry_next_offset(f, b))
		return false;
	for (off = entry_head_size(f); off < toff;) {
		const struct xt_entry_match *ma = entry_match_at(a, off);
		const struct xt_entry_match *mb = entry_match_at(b, off);

		if (!ext_same(f, ip, ma, mb, false))
			return false;
		off += ma->u.match_size;
	}
	return ext_same(f, ip, entry_match_at(a, off), entry_match_at(b, off),
			true);
}

/* Two lists of entries being matched, with their hashes. */
struct match_job {
	enum family family;
	const struct entry *const *a, *const *b;
	size_t n, m;
	uint64_t *ha, *hb;
	size_t *am, *bm; /* index of the partner, or NO_MATCH */
};

static bool job_equal(const struct match_job *j, size_t i, size_t k)
{
	return j->ha[i] == j->hb[k] && rules_same(j->family, j->a[i], j->b[k]);
}

static void job_link(struct match_job *j, size_t i, size_t k)
{
	j->am[i] = k;
	j->bm[k] = i;
}

/* Exact LCS of a[a0..a0+na) and b[b0..b0+nb) with the classic table,
 * filled from the ends so that the walk from the start is greedy. */
static void match_table(struct match_job *j, size_t a0, size_t na, size_t b0,
			size_t nb)
{
	size_t w = nb + 1;
	uint32_t *len = xcalloc((na + 1) * w, sizeof(*len));
	size_t i, k;

	for (i = na; i-- > 0;)
		for (k = nb; k-- > 0;) {
			uint32_t down = len[(i + 1) * w + k];
			uint32_t right = len[i * w + k + 1];

			if (job_equal(j, a0 + i, b0 + k))
				len[i * w + k] = len[(i + 1) * w + k + 1] + 1;
			else
				len[i * w + k] = down > right ? down : right;
		}
	for (i = 0, k = 0; i < na && k < nb;) {
		if (job_equal(j, a0 + i, b0 + k) &&
		    len[i * w + k] == len[(i + 1) * w + k + 1] + 1) {
			job_link(j, a0 + i, b0 + k);
			i++;
			k++;
		} else if (len[(i + 1) * w + k] >= len[i * w + k + 1]) {
			i++;
		} else {
			k++;
		}
	}
	free(len);
}

/*
 * For chains too long for the table: each rule of b takes the first equal
 * rule of a after the last one taken.  A common subsequence, not always
 * the longest; only counters of moved rules can suffer.
 */
static void match_greedy(struct match_job *j, size_t a0, size_t na, size_t b0,
			 size_t nb)
{
	size_t next = a0;

	for (size_t k = b0; k < b0 + nb; k++) {
		for (size_t i = next; i < a0 + na; i++) {
			if (job_equal(j, i, k)) {
				job_link(j, i, k);
				next = i + 1;
				break;
			}
		}
	}
}

/*
 * Match @a (n entries) against @b (m): am[i] is the index in @b of the
 * rule that a[i] stays as, or NO_MATCH; bm the other way round.  Common
 * head and tail first (the usual edit touches a few rules), then the
 * middle.
 */
static void match_entries(enum family f, const struct entry *const *a, size_t n,
			  const struct entry *const *b, size_t m, size_t *am,
			  size_t *bm)
{
	struct match_job j = {
		.family = f, .a = a, .b = b, .n = n, .m = m, .am = am, .bm = bm
	};
	size_t head = 0, tail = 0, na, nb;

	/* Nothing to pair (a chain created, or emptied): no hashing. */
	if (n == 0 || m == 0) {
		for (size_t i = 0; i < n; i++)
			am[i] = NO_MATCH;
		for (size_t k = 0; k < m; k++)
			bm[k] = NO_MATCH;
		return;
	}
	j.ha = xcalloc(n, sizeof(*j.ha));
	j.hb = xcalloc(m, sizeof(*j.hb));
	for (size_t i = 0; i < n; i++) {
		j.ha[i] = entry_hash(f, a[i]);
		am[i] = NO_MATCH;
	}
	for (size_t k = 0; k < m; k++) {
		j.hb[k] = entry_hash(f, b[k]);
		bm[k] = NO_MATCH;
	}
	while (head < n && head < m && job_equal(&j, head, head)) {
		job_link(&j, head, head);
		head++;
	}
	while (tail < n - head && tail < m - head &&
	       job_equal(&j, n - 1 - tail, m - 1 - tail)) {
		job_link(&j, n - 1 - tail, m - 1 - tail);
		tail++;
	}
	na = n - head - tail;
	nb = m - head - tail;
	if (na > 0 && nb > 0) {
		if ((uint64_t)(na + 1) * (nb + 1) <= LCS_MAX_CELLS)
			match_table(&j, head, na, head, nb);
		else
			match_greedy(&j, head, na, head, nb);
	}
	free(j.ha);
	free(j.hb);
}

/* The entries of @c's rules, as an array for match_entries. */
static const struct entry **chain_entries(const struct chain *c)
{
	const struct entry **v = xcalloc(c->nrules, sizeof(*v));

	for (size_t i = 0; i < c->nrules; i++)
		v[i] = c->rules[i].entry;
	return v;
}

/* ---- planning ---- */

static bool counters_zero(const struct xt_counters *c)
{
	return c->pcnt == 0 && c->bcnt == 0;
}

static bool counters_equal(const struct xt_counters *a,
			   const struct xt_counters *b)
{
	return a->pcnt == b->pcnt && a->bcnt == b->bcnt;
}

/*
 * The counters a rule or policy that stays gets, given the kernel's and
 * the target's; returns true when they must be written (else the kernel's
 * go on counting untouched).
 */
static bool counters_kept(enum plan_counters mode,
			  const struct xt_counters *live,
			  const struct xt_counters *target,
			  struct xt_counters *out)
{
	*out = *live;
	switch (mode) {
	case PLAN_COUNTERS_APPLY:
		if (counters_zero(target) || counters_equal(target, live))
			return false;
		*out = *target;
		return true;
	case PLAN_COUNTERS_RESTORE:
		if (target->pcnt <= live->pcnt && target->bcnt <= live->bcnt)
			return false;
		if (target->pcnt > out->pcnt)
			out->pcnt = target->pcnt;
		if (target->bcnt > out->bcnt)
			out->bcnt = target->bcnt;
		return true;
	default:
		return false;
	}
}

static void plan_add_insert(struct chain_plan *cp, size_t pos,
			    const struct xt_counters *counters)
{
	cp->inserted = xreallocarray(cp->inserted, cp->ninserted + 1,
				     sizeof(*cp->inserted));
	cp->inserted[cp->ninserted].pos = pos;
	cp->inserted[cp->ninserted].counters = *counters;
	cp->ninserted++;
}

/*
 * When loading a config (whose rules carry no counters), a rule that only
 * moved within its chain takes the counters of the equal rule deleted
 * from its old place.
 */
static void take_moved_counters(enum family f, struct chain_plan *cp,
				bool *used)
{
	for (size_t k = 0; k < cp->ninserted; k++) {
		struct plan_insert *ins = &cp->inserted[k];
		const struct entry *e = cp->target->rules[ins->pos].entry;

		if (!counters_zero(&ins->counters))
			continue;
		for (size_t d = 0; d < cp->ndeleted; d++) {
			const struct entry *old =
				cp->live->rules[cp->deleted[d]].entry;

			if (used[d] || !rules_same(f, old, e))
				continue;
			used[d] = true;
			ins->counters = *entry_counters(f, old);
			break;
		}
	}
}

/* Plan the rules of a chain both sides have. */
static void plan_rules(struct chain_plan *cp, enum plan_counters mode,
		       struct table_plan *p)
{
	const struct chain *lc = cp->live, *tc = cp->target;
	const struct entry **a = chain_entries(lc), **b = chain_entries(tc);
	const enum family f = p->family;
	size_t *am = xcalloc(lc->nrules, sizeof(*am));
	size_t *bm = xcalloc(tc->nrules, sizeof(*bm));
	struct xt_counters c;

	match_entries(f, a, lc->nrules, b, tc->nrules, am, bm);
	cp->deleted = xcalloc(lc->nrules, sizeof(*cp->deleted));
	for (size_t i = 0; i < lc->nrules; i++)
		if (am[i] == NO_MATCH)
			cp->deleted[cp->ndeleted++] = i;
	for (size_t k = 0; k < tc->nrules; k++) {
		const struct entry *e = tc->rules[k].entry;

		if (bm[k] == NO_MATCH) {
			plan_add_insert(cp, k, entry_counters(f, e));
			continue;
		}
		if (!counters_kept(mode, entry_counters(f, a[bm[k]]),
				   entry_counters(f, e), &c))
			continue;
		cp->counter_sets = xreallocarray(cp->counter_sets,
						 cp->ncounter_sets + 1,
						 sizeof(*cp->counter_sets));
		cp->counter_sets[cp->ncounter_sets].rulenum = k + 1;
		cp->counter_sets[cp->ncounter_sets].counters = c;
		cp->ncounter_sets++;
	}
	if (mode == PLAN_COUNTERS_APPLY && cp->ndeleted && cp->ninserted) {
		bool *used = xcalloc(cp->ndeleted, sizeof(*used));

		take_moved_counters(f, cp, used);
		free(used);
	}
	p->rules_added += cp->ninserted;
	p->rules_removed += cp->ndeleted;
	p->counters_set += cp->ncounter_sets;
	free(am);
	free(bm);
	free(a);
	free(b);
}

/* Plan a built-in chain's policy. */
static void plan_policy(struct chain_plan *cp, enum plan_counters mode,
			struct table_plan *p)
{
	cp->policy_changed = cp->live->policy != cp->target->policy;
	if (cp->policy_changed)
		p->policies_changed++;
	if (counters_kept(mode, &cp->live->policy_counters,
			  &cp->target->policy_counters, &cp->policy_counters))
		p->counters_set++;
}

static struct chain_plan *plan_add_chain(struct table_plan *p)
{
	p->chains =
		xreallocarray(p->chains, p->nchains + 1, sizeof(*p->chains));
	memset(&p->chains[p->nchains], 0, sizeof(p->chains[0]));
	return &p->chains[p->nchains++];
}

int plan_table(const struct table *live, const struct table *target,
	       enum plan_counters mode, bool created, struct table_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->family = target->family;
	p->created = created;
	for (size_t i = 0; i < target->nchains; i++) {
		const struct chain *tc = target->chains[i];
		struct chain_plan *cp = plan_add_chain(p);

		cp->target = tc;
		cp->live = table_find_chain(live, tc->name);
		if (!cp->live) {
			p->chains_added++;
			for (size_t k = 0; k < tc->nrules; k++)
				plan_add_insert(
					cp, k,
					entry_counters(p->family,
						       tc->rules[k].entry));
			p->rules_added += tc->nrules;
			continue;
		}
		if (tc->hook >= 0)
			plan_policy(cp, mode, p);
		plan_rules(cp, mode, p);
	}
	for (size_t i = 0; i < live->nchains; i++) {
		const struct chain *lc = live->chains[i];
		struct chain_plan *cp;

		if (table_find_chain(target, lc->name))
			continue;
		cp = plan_add_chain(p);
		cp->live = lc;
		cp->deleted = xcalloc(lc->nrules, sizeof(*cp->deleted));
		for (size_t k = 0; k < lc->nrules; k++)
			cp->deleted[cp->ndeleted++] = k;
		p->chains_removed++;
		p->rules_removed += lc->nrules;
	}
	p->changed = p->rules_added || p->rules_removed || p->chains_added ||
		     p->chains_removed || p->policies_changed ||
		     p->counters_set;
	return 0;
}

void plan_free(struct table_plan *p)
{
	for (size_t i = 0; i < p->nchains; i++) {
		free(p->chains[i].deleted);
		free(p->chains[i].inserted);
		free(p->chains[i].counter_sets);
	}
	free(p->chains);
	memset(p, 0, sizeof(*p));
}

/* ---- copying and merging tables ---- */

static struct entry *entry_dup(enum family f, const struct entry *e)
{
	struct entry *copy = malloc(entry_next_offset(f, e));

	if (!copy)
		abort();
	memcpy(copy, e, entry_next_offset(f, e));
	return copy;
}

/* Append a copy of @r to @c of @t. */
static void copy_rule(struct table *t, struct chain *c, const struct rule *r)
{
	struct rule copy = *r;

	copy.entry = entry_dup(t->family, r->entry);
	copy.pooled = false;
	chain_insert_rule(t, c, c->nrules, copy);
}

/* Start @out afresh as a table like @base, without chains of its own. */
static void table_start(struct table *out, const struct table *base)
{
	table_reset(out);
	out->named = base->named;
	out->loc = base->loc;
	memcpy(out->preserve, base->preserve, sizeof(out->preserve));
	out->npreserve = base->npreserve;
}

/* Give built-in chain @from's policy, counters and location to @out's. */
static void copy_policy(struct table *out, const struct chain *from)
{
	struct chain *to = table_find_chain(out, from->name);

	if (!to || to->hook < 0)
		return;
	to->policy = from->policy;
	to->policy_counters = from->policy_counters;
	to->loc = from->loc;
}

void plan_table_copy(struct table *dst, const struct table *src)
{
	table_start(dst, src);
	for (size_t i = 0; i < src->nchains; i++) {
		const struct chain *c = src->chains[i];

		if (c->hook >= 0)
			copy_policy(dst, c);
		else
			table_add_chain(dst, c->name, &c->loc);
	}
	for (size_t i = 0; i < src->nchains; i++) {
		const struct chain *c = src->chains[i];
		struct chain *to = table_find_chain(dst, c->name);

		for (size_t k = 0; k < c->nrules; k++)
			copy_rule(dst, to, &c->rules[k]);
	}
}

/* The glob of @globs that @name matches, or NULL. */
static const char *glob_matching(const char (*globs)[XT_TABLE_MAXNAMELEN],
				 size_t nglobs, const char *name)
{
	for (size_t i = 0; i < nglobs; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return globs[i];
	return NULL;
}

/* The preserve state of one merge. */
struct merge {
	struct table *out;
	const struct table *base, *live;
	const char (*globs)[XT_TABLE_MAXNAMELEN];
	size_t nglobs;
	bool strict;
	struct diag_list *dl;
};

/* True when @name is a live user chain that the globs keep. */
static bool is_preserved(const struct merge *m, const char *name)
{
	const struct chain *c = table_find_chain(m->live, name);

	return c && c->hook < 0 &&
	       glob_matching(m->globs, m->nglobs, name) != NULL;
}

/* The user chain of @t that rule @e jumps or goes to, if preserved. */
static bool jumps_to_preserved(const struct merge *m, const struct table *t,
			       const struct entry *e)
{
	const struct chain *to = rule_jump_chain(t, e);

	return to && to->hook < 0 && is_preserved(m, to->name);
}

/* Say that config chain @c matches preserve @glob of @t. */
static void report_shadowed(const struct table *t, const struct chain *c,
			    const char *glob, struct diag_list *dl)
{
	diag_error(dl, c->loc.src ? &c->loc : NULL, 1,
		   "chain '%s' is made by this config, but 'preserve %s' "
		   "keeps the kernel's chains of that name in table %s",
		   c->name, glob, t->name);
	diag_hint(dl, "rename the chain, or narrow the glob");
}

int plan_check_preserve(const struct ruleset *rs, struct diag_list *dl)
{
	int rc = 0;

	for (int id = 0; id < RULESET_TABLES; id++) {
		const struct table *t = &rs->tables[id];

		if (!t->named || t->npreserve == 0)
			continue;
		for (size_t i = 0; i < t->nchains; i++) {
			const struct chain *c = t->chains[i];
			const char *glob;

			if (c->hook >= 0)
				continue;
			glob = glob_matching(t->preserve, t->npreserve,
					     c->name);
			if (glob) {
				report_shadowed(t, c, glob, dl);
				rc = -1;
			}
		}
	}
	return rc;
}

/* The base's chains and policies; its chains the globs match are errors
 * (strict) or give way to the live ones. */
static int merge_base_chains(struct merge *m)
{
	int rc = 0;

	for (size_t i = 0; i < m->base->nchains; i++) {
		const struct chain *c = m->base->chains[i];
		const char *glob;

		if (c->hook >= 0) {
			copy_policy(m->out, c);
			continue;
		}
		glob = glob_matching(m->globs, m->nglobs, c->name);
		if (!glob) {
			table_add_chain(m->out, c->name, &c->loc);
			continue;
		}
		if (!m->strict)
			continue;
		report_shadowed(m->base, c, glob, m->dl);
		rc = -1;
	}
	return rc;
}

/* The live chains the globs keep, with their rules and counters. */
static void merge_live_chains(struct merge *m)
{
	for (size_t i = 0; i < m->live->nchains; i++) {
		const struct chain *c = m->live->chains[i];

		if (c->hook < 0 && is_preserved(m, c->name) &&
		    !table_find_chain(m->out, c->name))
			table_add_chain(m->out, c->name, NULL);
	}
	for (size_t i = 0; i < m->live->nchains; i++) {
		const struct chain *c = m->live->chains[i];
		struct chain *to;

		if (c->hook >= 0 || !is_preserved(m, c->name))
			continue;
		to = table_find_chain(m->out, c->name);
		for (size_t k = 0; k < c->nrules; k++)
			copy_rule(m->out, to, &c->rules[k]);
	}
}

/*
 * Putting back a table read earlier: true when rule @e of @c in the base
 * jumps to a chain the globs match that the live table no longer has
 * (its program deleted it meanwhile).  The jump cannot be put back; the
 * rest of the table can, so it is left out, with a warning.
 */
static bool jumps_to_vanished(struct merge *m, const struct chain *c,
			      const struct entry *e)
{
	const struct chain *to = rule_jump_chain(m->base, e);

	if (m->strict || !to || to->hook >= 0 ||
	    !glob_matching(m->globs, m->nglobs, to->name) ||
	    table_find_chain(m->out, to->name))
		return false;
	diag_warning(m->dl, NULL, 1,
		     "%s: the roll-back leaves out the jump from %s to chain "
		     "'%s', which is gone",
		     m->base->name, c->name, to->name);
	return true;
}

/* The base's rules, but (when not strict) not its jumps to chains that
 * the live table now provides, or no longer has. */
static void merge_base_rules(struct merge *m)
{
	for (size_t i = 0; i < m->base->nchains; i++) {
		const struct chain *c = m->base->chains[i];
		struct chain *to;

		if (c->hook < 0 && glob_matching(m->globs, m->nglobs, c->name))
			continue;
		to = table_find_chain(m->out, c->name);
		for (size_t k = 0; k < c->nrules; k++) {
			const struct entry *e = c->rules[k].entry;

			if (!m->strict && jumps_to_preserved(m, m->base, e))
				continue;
			if (jumps_to_vanished(m, c, e))
				continue;
			copy_rule(m->out, to, &c->rules[k]);
		}
	}
}

/*
 * Put the live rules of @lc that jump to preserved chains into @oc (the
 * same chain in @out), each after the nearest live rule before it that
 * @oc has too, or at the top when there is none.
 */
static void merge_jumps(struct merge *m, const struct chain *lc,
			struct chain *oc)
{
	size_t n = lc->nrules, nrest = 0, inserted = 0, anchor = 0;
	const struct entry **rest = xcalloc(n, sizeof(*rest));
	size_t *rest_at = xcalloc(n, sizeof(*rest_at));
	const struct entry **ours = chain_entries(oc);
	size_t *am = xcalloc(n, sizeof(*am));
	size_t *bm = xcalloc(oc->nrules, sizeof(*bm));
	size_t r = 0;

	for (size_t i = 0; i < n; i++)
		if (!jumps_to_preserved(m, m->live, lc->rules[i].entry)) {
			rest_at[nrest] = i;
			rest[nrest++] = lc->rules[i].entry;
		}
	if (nrest == n)
		goto out;
	match_entries(m->out->family, rest, nrest, ours, oc->nrules, am, bm);
	for (size_t i = 0; i < n; i++) {
		struct rule copy = lc->rules[i];

		if (r < nrest && rest_at[r] == i) {
			/* One of the others: where it stays, if it does. */
			if (am[r] != NO_MATCH)
				anchor = am[r] + 1;
			r++;
			continue;
		}
		/* Anchors only grow along the live chain, so the jumps keep
		 * their order among themselves. */
		copy.entry = entry_dup(m->out->family, copy.entry);
		copy.pooled = false;
		chain_insert_rule(m->out, oc, anchor + inserted, copy);
		inserted++;
	}
out:
	free(rest);
	free(rest_at);
	free(ours);
	free(am);
	free(bm);
}

/* A preserved chain may only jump to chains that stay. */
static int merge_check_jumps(struct merge *m)
{
	int rc = 0;

	for (size_t i = 0; i < m->live->nchains; i++) {
		const struct chain *c = m->live->chains[i];

		if (c->hook >= 0 || !is_preserved(m, c->name))
			continue;
		for (size_t k = 0; k < c->nrules; k++) {
			const struct chain *to =
				rule_jump_chain(m->live, c->rules[k].entry);

			if (!to || to->hook >= 0 ||
			    table_find_chain(m->out, to->name))
				continue;
			diag_error(m->dl,
				   m->base->loc.src ? &m->base->loc : NULL, 1,
				   "the kernel's chain '%s' in table %s, kept "
				   "by 'preserve', jumps to chain '%s', which "
				   "this config does not have",
				   c->name, m->base->name, to->name);
			diag_hint(m->dl,
				  "keep '%s' too (preserve it, or create "
				  "it in the config)",
				  to->name);
			rc = -1;
		}
	}
	return rc;
}

/* Whether a merge can add anything to the base: only live chains that
 * globs keep can. */
static bool plan_merge_needed(const struct table *live, size_t nglobs)
{
	return nglobs > 0 && live;
}

int plan_merge(struct table *out, const struct table *base,
	       const struct table *live,
	       const char (*globs)[XT_TABLE_MAXNAMELEN], size_t nglobs,
	       bool strict, struct diag_list *dl)
{
	struct merge m = { .out = out,
			   .base = base,
			   .live = live,
			   .globs = globs,
			   .nglobs = nglobs,
			   .strict = strict,
			   .dl = dl };
	int rc;

	if (!plan_merge_needed(live, nglobs)) {
		plan_table_copy(out, base);
		return 0;
	}
	table_start(out, base);
	rc = merge_base_chains(&m);
	merge_live_chains(&m);
	merge_base_rules(&m);
	for (size_t i = 0; i < out->nchains; i++) {
		struct chain *oc = out->chains[i];
		const struct chain *lc = table_find_chain(live, oc->name);

		if (lc && !(oc->hook < 0 && is_preserved(&m, oc->name)))
			merge_jumps(&m, lc, oc);
	}
	if (merge_check_jumps(&m) < 0)
		rc = -1;
	return rc;
}

const struct table *plan_target(struct table *out, const struct table *base,
				const struct table *live,
				const char (*globs)[XT_TABLE_MAXNAMELEN],
				size_t nglobs, bool strict,
				struct diag_list *dl)
{
	/* Nothing to merge: plan against the model itself rather than a deep
	 * copy of it (one allocation per rule). */
	if (!plan_merge_needed(live, nglobs))
		return base;
	if (plan_merge(out, base, live, globs, nglobs, strict, dl) < 0)
		return NULL;
	return out;
}

/* ---- printing ---- */

static const char *policy_word(enum chain_policy p)
{
	return p == POLICY_DROP ? "DROP" : "ACCEPT";
}

/* Built-in chains by hook, then user chains by name, as iptables-save. */
static int chain_plan_cmp(const void *x, const void *y)
{
	const struct chain_plan *a = *(const struct chain_plan *const *)x;
	const struct chain_plan *b = *(const struct chain_plan *const *)y;
	const struct chain *ca = a->target ? a->target : a->live;
	const struct chain *cb = b->target ? b->target : b->live;

	if (ca->hook >= 0 || cb->hook >= 0) {
		unsigned ha = (unsigned)ca->hook, hb = (unsigned)cb->hook;

		return ha < hb ? -1 : ha > hb;
	}
	return strcmp(ca->name, cb->name);
}

/* The chain lines: policies that change, chains that come and go. */
static void print_chain_lines(const struct chain_plan *cp, FILE *out)
{
	if (cp->live && cp->target && cp->policy_changed) {
		fprintf(out, "- :%s %s\n", cp->live->name,
			policy_word(cp->live->policy));
		fprintf(out, "+ :%s %s\n", cp->target->name,
			policy_word(cp->target->policy));
	} else if (!cp->live) {
		fprintf(out, "+ :%s -\n", cp->target->name);
	} else if (!cp->target) {
		fprintf(out, "- :%s -\n", cp->live->name);
	}
}

/* "+ -A CHAIN ..." for a rule that goes at the end (only added rules
 * after it), else "+ -I CHAIN N ...". */
static void print_added(const struct table *target, const struct chain_plan *cp,
			size_t k, FILE *out)
{
	const struct chain *c = cp->target;
	size_t pos = cp->inserted[k].pos;
	bool at_end = cp->ninserted - k == c->nrules - pos;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		abort();
	print_rule(target, c->name, c->rules[pos].entry, mem);
	fclose(mem);
	/* print_rule starts with "-A CHAIN"; keep what follows. */
	if (at_end)
		fprintf(out, "+ %s\n", text);
	else
		fprintf(out, "+ -I %s %zu%s\n", c->name, pos + 1,
			text + 3 + strlen(c->name));
	free(text);
}

static void print_rule_lines(const struct table *live,
			     const struct table *target,
			     const struct chain_plan *cp, FILE *out)
{
	for (size_t k = 0; k < cp->ndeleted; k++) {
		fputs("- ", out);
		print_rule(live, cp->live->name,
			   cp->live->rules[cp->deleted[k]].entry, out);
		fputc('\n', out);
	}
	for (size_t k = 0; k < cp->ninserted; k++)
		print_added(target, cp, k, out);
}

void plan_summary(const struct table_plan *p, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
#define PART(cond, ...)                                                      \
	do {                                                                 \
		if ((cond) && len < size)                                    \
			len += snprintf(buf + len, size - len, "%s",         \
					len ? ", " : "");                    \
		if ((cond) && len < size)                                    \
			len += snprintf(buf + len, size - len, __VA_ARGS__); \
	} while (0)
	PART(p->created, "not loaded yet");
	PART(p->rules_added, "%u rule%s added", p->rules_added,
	     p->rules_added == 1 ? "" : "s");
	PART(p->rules_removed, "%u rule%s removed", p->rules_removed,
	     p->rules_removed == 1 ? "" : "s");
	PART(p->chains_added, "%u chain%s added", p->chains_added,
	     p->chains_added == 1 ? "" : "s");
	PART(p->chains_removed, "%u chain%s removed", p->chains_removed,
	     p->chains_removed == 1 ? "" : "s");
	PART(p->policies_changed, "%u polic%s changed", p->policies_changed,
	     p->policies_changed == 1 ? "y" : "ies");
	PART(p->counters_set, "%u counter%s set", p->counters_set,
	     p->counters_set == 1 ? "" : "s");
#undef PART
	if (len == 0)
		snprintf(buf, size, "no change");
}

void plan_print(const struct table *live, const struct table *target,
		const struct table_plan *p, FILE *out)
{
	const struct chain_plan **order;
	char summary[256];

	if (!p->changed && !p->created)
		return;
	order = xcalloc(p->nchains, sizeof(*order));
	for (size_t i = 0; i < p->nchains; i++)
		order[i] = &p->chains[i];
	qsort(order, p->nchains, sizeof(*order), chain_plan_cmp);
	plan_summary(p, summary, sizeof(summary));
	fprintf(out, "*%s\n# %s: %s\n", target->name, target->name, summary);
	for (size_t i = 0; i < p->nchains; i++)
		print_chain_lines(order[i], out);
	for (size_t i = 0; i < p->nchains; i++)
		print_rule_lines(live, target, order[i], out);
	free(order);
}
