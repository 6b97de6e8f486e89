/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr_index.c - rules filed by prefix (addr_index.h): an open-addressing
 * table from (prefix length, masked address) to the rules filed there.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include "addr_index.h"

/* The length of @mask's leading run of ones, and whether that is all of
 * it (a prefix). */
static unsigned prefix_len(uint32_t mask, bool *is_prefix)
{
	unsigned l = (unsigned)__builtin_clz(~mask | 1u);

	if (mask == 0xFFFFFFFFu)
		l = 32;
	*is_prefix = l == 32 || (mask << l) == 0;
	return l;
}

static uint32_t len_mask(unsigned l)
{
	return l ? 0xFFFFFFFFu << (32 - l) : 0;
}

/* A bucket's first rule goes in the bucket: a chain's rules often have
 * addresses of their own. */
static void bucket_push(struct addr_bucket *b, size_t i)
{
	if (b->n == 0 && b->cap == 0) {
		b->one = i;
		b->n = 1;
		return;
	}
	if (b->n == b->cap || !b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 4;

		b->idx = reallocarray(b->idx, cap, sizeof(*b->idx));
		if (!b->idx)
			abort();
		if (!b->cap)
			b->idx[0] = b->one;
		b->cap = cap;
	}
	b->idx[b->n++] = i;
}

static size_t slot_of(uint64_t key, size_t nb)
{
	key *= 0x9E3779B97F4A7C15ull;
	return (size_t)(key >> 32) & (nb - 1);
}

static struct addr_bucket *addr_index_find(const struct addr_index *x,
					   uint64_t key)
{
	if (!x->nb)
		return NULL;
	for (size_t s = slot_of(key, x->nb);; s = (s + 1) & (x->nb - 1)) {
		if (x->b[s].key == key)
			return &x->b[s];
		if (x->b[s].key == 0)
			return NULL;
	}
}

static void index_grow(struct addr_index *x)
{
	struct addr_bucket *old = x->b;
	size_t oldn = x->nb;

	x->nb = oldn ? 2 * oldn : 64;
	x->b = calloc(x->nb, sizeof(*x->b));
	if (!x->b)
		abort();
	for (size_t i = 0; i < oldn; i++) {
		size_t s;

		if (!old[i].key)
			continue;
		for (s = slot_of(old[i].key, x->nb); x->b[s].key;
		     s = (s + 1) & (x->nb - 1))
			;
		x->b[s] = old[i];
	}
	free(old);
}

void addr_index_add(struct addr_index *x, struct in_addr a, struct in_addr mask,
		    bool inv, size_t i)
{
	bool is_prefix;
	unsigned l = prefix_len(ntohl(mask.s_addr), &is_prefix);
	uint64_t key;
	size_t s;

	if (inv || !is_prefix) {
		bucket_push(&x->odd, i);
		return;
	}
	key = (uint64_t)(l + 1) << 32 | (ntohl(a.s_addr) & len_mask(l));
	if (2 * (x->used + 1) > x->nb)
		index_grow(x);
	for (s = slot_of(key, x->nb); x->b[s].key && x->b[s].key != key;
	     s = (s + 1) & (x->nb - 1))
		;
	if (!x->b[s].key) {
		x->b[s].key = key;
		x->used++;
		x->lens |= 1ull << l;
	}
	bucket_push(&x->b[s], i);
}

size_t addr_index_query(const struct addr_index *x, struct in_addr a,
			struct in_addr mask, bool inv,
			const struct addr_bucket **out, size_t *total)
{
	bool is_prefix;
	unsigned lmax = inv ? 0 : prefix_len(ntohl(mask.s_addr), &is_prefix);
	uint32_t addr = ntohl(a.s_addr);
	size_t n = 0;

	*total = 0;
	if (x->odd.n) {
		out[n++] = &x->odd;
		*total += x->odd.n;
	}
	/* The lengths some rule is filed with, up to @lmax, shortest first:
	 * a long chain has a few of the 33. */
	for (uint64_t ls = x->lens & ((2ull << lmax) - 1); ls; ls &= ls - 1) {
		const unsigned l = (unsigned)__builtin_ctzll(ls);
		const struct addr_bucket *b = addr_index_find(
			x, (uint64_t)(l + 1) << 32 | (addr & len_mask(l)));

		if (b) {
			out[n++] = b;
			*total += b->n;
		}
	}
	return n;
}

void addr_index_free(struct addr_index *x)
{
	for (size_t i = 0; i < x->nb; i++)
		free(x->b[i].idx);
	free(x->b);
	free(x->odd.idx);
}

/* The first index at or after @pos in @b, or SIZE_MAX. */
static size_t bucket_next(const struct addr_bucket *b, size_t pos)
{
	const size_t *idx = addr_bucket_idx(b);
	size_t lo = 0, hi = b->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (idx[mid] < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->n ? idx[lo] : SIZE_MAX;
}

size_t addr_index_next(const struct addr_index *x, struct in_addr a, size_t pos)
{
	const struct addr_bucket *bs[ADDR_INDEX_MAXQ];
	const struct in_addr host = { 0xFFFFFFFFu };
	size_t total, best = SIZE_MAX;
	size_t n = addr_index_query(x, a, host, false, bs, &total);

	for (size_t k = 0; k < n; k++) {
		size_t i = bucket_next(bs[k], pos);

		if (i < best)
			best = i;
	}
	return best;
}

size_t addr_index_always(const struct addr_index *x)
{
	const struct addr_bucket *root = addr_index_find(x, 1ull << 32);

	return x->odd.n + (root ? root->n : 0);
}
