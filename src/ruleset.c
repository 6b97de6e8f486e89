/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ruleset.c - the in-memory model: tables of chains of rules.
 *
 * Chains of a table are found through a small open-addressing hash so that
 * a config of many user chains costs the same per rule as one of few.
 */
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>

#include "bigmem.h"
#include "ruleset.h"

/* Name -> chain index of one table: open addressing, power-of-two size. */
struct chain_index {
	struct chain **slots;
	size_t size;
	size_t used;
};

/* The tables iptables knows, and the hooks each one has. */
static const struct {
	const char *name;
	unsigned hooks;
} table_info[TABLE_COUNT] = {
	[TABLE_RAW] = { "raw",
			1 << NF_INET_PRE_ROUTING | 1 << NF_INET_LOCAL_OUT },
	[TABLE_MANGLE] = { "mangle", 0x1f },
	[TABLE_NAT] = { "nat", 1 << NF_INET_PRE_ROUTING |
				       1 << NF_INET_LOCAL_IN |
				       1 << NF_INET_LOCAL_OUT |
				       1 << NF_INET_POST_ROUTING },
	[TABLE_FILTER] = { "filter", 1 << NF_INET_LOCAL_IN |
					     1 << NF_INET_FORWARD |
					     1 << NF_INET_LOCAL_OUT },
	[TABLE_SECURITY] = { "security", 1 << NF_INET_LOCAL_IN |
						 1 << NF_INET_FORWARD |
						 1 << NF_INET_LOCAL_OUT },
};

static const char *const hook_names[NF_INET_NUMHOOKS] = {
	[NF_INET_PRE_ROUTING] = "PREROUTING",	[NF_INET_LOCAL_IN] = "INPUT",
	[NF_INET_FORWARD] = "FORWARD",		[NF_INET_LOCAL_OUT] = "OUTPUT",
	[NF_INET_POST_ROUTING] = "POSTROUTING",
};

const char *hook_chain_name(int hook)
{
	if (hook < 0 || hook >= NF_INET_NUMHOOKS)
		return NULL;
	return hook_names[hook];
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		abort(); /* out of memory: nothing sensible to report */
	return p;
}

static void *xrealloc(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n, size);
	if (!p)
		abort();
	return p;
}

/* FNV-1a: short names, no adversary to speak of (root writes the config). */
static size_t name_hash(const char *name)
{
	size_t h = 2166136261u;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static size_t index_slot(const struct chain_index *ix, const char *name)
{
	size_t i = name_hash(name) & (ix->size - 1);

	while (ix->slots[i] && strcmp(ix->slots[i]->name, name) != 0)
		i = (i + 1) & (ix->size - 1);
	return i;
}

static void index_rebuild(struct table *t, size_t size)
{
	struct chain_index *ix = t->index;

	free(ix->slots);
	ix->size = size;
	ix->used = 0;
	ix->slots = xcalloc(size, sizeof(*ix->slots));
	for (size_t i = 0; i < t->nchains; i++) {
		ix->slots[index_slot(ix, t->chains[i]->name)] = t->chains[i];
		ix->used++;
	}
}

static void index_add(struct table *t, struct chain *c)
{
	struct chain_index *ix = t->index;

	if ((ix->used + 1) * 2 > ix->size) {
		index_rebuild(t, ix->size * 2);
		return; /* rebuild added every chain, @c included */
	}
	ix->slots[index_slot(ix, c->name)] = c;
	ix->used++;
}

struct chain *table_find_chain(const struct table *t, const char *name)
{
	if (strlen(name) >= XT_TABLE_MAXNAMELEN)
		return NULL;
	return t->index->slots[index_slot(t->index, name)];
}

static struct chain *chain_new(const char *name, int hook)
{
	struct chain *c = xcalloc(1, sizeof(*c));

	strncpy(c->name, name, sizeof(c->name) - 1);
	c->hook = hook;
	c->policy = hook >= 0 ? POLICY_ACCEPT : POLICY_NONE;
	return c;
}

/* An entry of a rule that goes: pooled ones go with the table's pool. */
static void rule_entry_free(struct rule *r)
{
	if (!r->pooled)
		free(r->entry);
}

/*
 * The entries the builder makes live in blocks owned by the table, huge
 * pages where the kernel gives them (bigmem.c): one page fault per 2 MiB
 * of entries rather than one per 4 KiB, which is most of what building
 * 100 000 entries costs on a machine whose page faults are dear.  A pooled
 * entry is never freed on its own; a rule removed before the commit
 * leaves its entry in the pool until the table is cleared.
 */
#define ENTRY_BLOCK BIGMEM_PAGE

struct entry_pool {
	struct entry_pool *next;
	size_t used, size, mapped;
	max_align_t data[];
};

struct entry *table_entry_new(struct table *t, size_t size)
{
	struct entry_pool *b = t->pool;
	void *e;

	size = XT_ALIGN(size);
	if (!b || b->size - b->used < size) {
		size_t want = sizeof(*b) + size, mapped;

		b = bigmem_alloc(want > ENTRY_BLOCK ? want : ENTRY_BLOCK,
				 &mapped);
		b->next = t->pool;
		b->used = 0;
		b->size = mapped - sizeof(*b);
		b->mapped = mapped;
		t->pool = b;
	}
	e = (char *)b->data + b->used;
	b->used += size;
	return e;
}

static void pool_free(struct entry_pool *b)
{
	while (b) {
		struct entry_pool *next = b->next;

		bigmem_free(b, b->mapped);
		b = next;
	}
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		rule_entry_free(&c->rules[i]);
	free(c->rules);
	free(c);
}

static void table_append_chain(struct table *t, struct chain *c)
{
	if (t->nchains == t->capacity) {
		t->capacity = t->capacity ? t->capacity * 2 : 8;
		t->chains =
			xrealloc(t->chains, t->capacity, sizeof(*t->chains));
	}
	t->chains[t->nchains++] = c;
	index_add(t, c);
}

static void table_clear(struct table *t)
{
	for (size_t i = 0; i < t->nchains; i++)
		chain_free(t->chains[i]);
	t->nchains = 0;
	pool_free(t->pool);
	t->pool = NULL;
	free(t->index->slots);
	t->index->slots = NULL;
}

void table_drop_entries(struct table *t)
{
	for (size_t i = 0; i < t->nchains; i++) {
		struct chain *c = t->chains[i];

		for (size_t j = 0; j < c->nrules; j++) {
			rule_entry_free(&c->rules[j]);
			c->rules[j].entry = NULL;
			c->rules[j].pooled = false;
		}
	}
	pool_free(t->pool);
	t->pool = NULL;
}

void table_reset(struct table *t)
{
	table_clear(t);
	index_rebuild(t, 16);
	for (int hook = 0; hook < NF_INET_NUMHOOKS; hook++)
		if (t->valid_hooks & 1u << hook)
			table_append_chain(t,
					   chain_new(hook_names[hook], hook));
}

void ruleset_init(struct ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	for (int i = 0; i < RULESET_TABLES; i++) {
		struct table *t = &rs->tables[i];
		int id = i % TABLE_COUNT;

		t->id = id;
		t->family = i / TABLE_COUNT;
		t->name = table_info[id].name;
		t->valid_hooks = table_info[id].hooks;
		t->index = xcalloc(1, sizeof(*t->index));
		table_reset(t);
	}
}

void ruleset_free(struct ruleset *rs)
{
	for (int id = 0; id < RULESET_TABLES; id++) {
		table_clear(&rs->tables[id]);
		free(rs->tables[id].chains);
		free(rs->tables[id].index);
	}
}

struct table *ruleset_table_in(struct ruleset *rs, enum family f,
			       const char *name)
{
	for (int id = 0; id < TABLE_COUNT; id++)
		if (strcmp(table_info[id].name, name) == 0)
			return ruleset_table_of(rs, f, id);
	return NULL;
}

struct table *ruleset_table(struct ruleset *rs, const char *name)
{
	return ruleset_table_in(rs, FAMILY_IPV4, name);
}

bool ruleset_names_family(const struct ruleset *rs, enum family f)
{
	for (int id = 0; id < TABLE_COUNT; id++)
		if (rs->tables[f * TABLE_COUNT + id].named)
			return true;
	return false;
}

struct chain *table_add_chain(struct table *t, const char *name,
			      const struct src_loc *loc)
{
	struct chain *c = chain_new(name, -1);

	if (loc)
		c->loc = *loc;
	table_append_chain(t, c);
	return c;
}

void table_delete_chain(struct table *t, struct chain *c)
{
	size_t i;

	for (i = 0; i < t->nchains && t->chains[i] != c; i++)
		;
	if (i == t->nchains)
		return;
	chain_flush(t, c);
	memmove(&t->chains[i], &t->chains[i + 1],
		(t->nchains - i - 1) * sizeof(*t->chains));
	t->nchains--;
	chain_free(c);
	index_rebuild(t, t->index->size);
}

bool rule_is_standard(enum family f, const struct entry *e)
{
	return entry_target(f, e)->u.target_size ==
	       XT_ALIGN(sizeof(struct xt_standard_target));
}

const char *rule_target_name(enum family f, const struct entry *e)
{
	return entry_target(f, e)->u.user.name;
}

struct chain *rule_jump_chain(const struct table *t, const struct entry *e)
{
	if (!rule_is_standard(t->family, e))
		return NULL;
	return table_find_chain(t, rule_target_name(t->family, e));
}

static void rule_unref(struct table *t, const struct entry *e)
{
	struct chain *to = rule_jump_chain(t, e);

	if (to && to->references > 0)
		to->references--;
}

static void rule_ref(struct table *t, const struct entry *e)
{
	struct chain *to = rule_jump_chain(t, e);

	if (to)
		to->references++;
}

void table_rename_chain(struct table *t, struct chain *c, const char *name)
{
	char old[XT_TABLE_MAXNAMELEN];

	memcpy(old, c->name, sizeof(old));
	memset(c->name, 0, sizeof(c->name));
	strncpy(c->name, name, sizeof(c->name) - 1);
	index_rebuild(t, t->index->size);
	for (size_t i = 0; i < t->nchains; i++) {
		struct chain *from = t->chains[i];

		for (size_t j = 0; j < from->nrules; j++) {
			struct entry *e = from->rules[j].entry;
			struct xt_entry_target *tg = entry_target(t->family, e);

			if (rule_is_standard(t->family, e) &&
			    strcmp(tg->u.user.name, old) == 0) {
				memset(tg->u.user.name, 0,
				       sizeof(tg->u.user.name));
				strncpy(tg->u.user.name, name,
					sizeof(tg->u.user.name) - 1);
			}
		}
	}
}

void chain_insert_rule(struct table *t, struct chain *c, size_t pos,
		       struct rule r)
{
	if (c->nrules == c->capacity) {
		c->capacity = c->capacity ? c->capacity * 2 : 16;
		c->rules = xrealloc(c->rules, c->capacity, sizeof(*c->rules));
	}
	memmove(&c->rules[pos + 1], &c->rules[pos],
		(c->nrules - pos) * sizeof(*c->rules));
	c->rules[pos] = r;
	c->nrules++;
	rule_ref(t, r.entry);
}

void chain_replace_rule(struct table *t, struct chain *c, size_t pos,
			struct rule r)
{
	rule_unref(t, c->rules[pos].entry);
	rule_entry_free(&c->rules[pos]);
	c->rules[pos] = r;
	rule_ref(t, r.entry);
}

void chain_delete_rule(struct table *t, struct chain *c, size_t pos)
{
	rule_unref(t, c->rules[pos].entry);
	rule_entry_free(&c->rules[pos]);
	memmove(&c->rules[pos], &c->rules[pos + 1],
		(c->nrules - pos - 1) * sizeof(*c->rules));
	c->nrules--;
}

void chain_flush(struct table *t, struct chain *c)
{
	while (c->nrules > 0)
		chain_delete_rule(t, c, c->nrules - 1);
}

bool rule_entries_equal(enum family f, const struct entry *a,
			const struct entry *b)
{
	size_t head = entry_head_size(f);
	unsigned next = entry_next_offset(f, a);

	if (memcmp(entry_ip(f, a), entry_ip(f, b), entry_ip_size(f)) != 0 ||
	    entry_target_offset(f, a) != entry_target_offset(f, b) ||
	    next != entry_next_offset(f, b))
		return false;
	return memcmp((const char *)a + head, (const char *)b + head,
		      next - head) == 0;
}
