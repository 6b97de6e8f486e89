/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr_index.h - the rules of a chain filed by one IPv4 address part (-s
 * or -d), so that the rules that may match an address, or hold a network,
 * are found without looking at every rule.  The lints (shadowing) and the
 * tracer (skipping rules a packet cannot match) use it on long chains.
 *
 * A rule with a plain prefix (A/L, not inverted) is filed under (L, A
 * masked to L); one with an inverted or non-prefix mask in a list of its
 * own, which every query returns.  The rules that may match the
 * addresses B/Lb (a host: Lb = 32) are then in the buckets (L, B masked
 * to L) for L = 0..Lb, and that list: at most ADDR_INDEX_MAXQ lookups.
 */
#ifndef IPTLOAD_ADDR_INDEX_H
#define IPTLOAD_ADDR_INDEX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The rules filed under one key, by ascending index (addr_bucket_idx):
 * one rule is kept in the bucket itself, more in an array. */
struct addr_bucket {
	uint64_t key; /* (L + 1) << 32 | address masked to L; 0: empty */
	size_t *idx;  /* the array (@cap > 0) */
	size_t n, cap;
	size_t one; /* the rule, while @cap is 0 */
};

/* The rules of @b: @b->n of them, valid until the index changes. */
static inline const size_t *addr_bucket_idx(const struct addr_bucket *b)
{
	return b->cap ? b->idx : &b->one;
}

/* An index; zero-initialised is empty. */
struct addr_index {
	struct addr_bucket *b;
	size_t nb, used; /* slots (a power of 2), slots in use */
	uint64_t lens;	 /* bit L: some rule is filed with length L */
	struct addr_bucket odd;
};

/* The most buckets a query returns: the odd list and 33 prefix lengths. */
#define ADDR_INDEX_MAXQ 34

/* File rule @i (indices must be added in ascending order), whose
 * addresses are @a/@mask, inverted if @inv. */
void addr_index_add(struct addr_index *x, struct in_addr a, struct in_addr mask,
		    bool inv, size_t i);

/*
 * The buckets whose rules may hold every address of @a/@mask (@inv), into
 * @out (ADDR_INDEX_MAXQ of them at most): returns how many, and the
 * number of rules in them in @total.  A rule filed with a prefix that is
 * not among them holds none of @a/@mask, or not all of it.
 */
size_t addr_index_query(const struct addr_index *x, struct in_addr a,
			struct in_addr mask, bool inv,
			const struct addr_bucket **out, size_t *total);

/* The first rule at or after @pos that may match the address @a (its
 * prefix holds @a, or it is in the odd list), or SIZE_MAX. */
size_t addr_index_next(const struct addr_index *x, struct in_addr a,
		       size_t pos);

/* How many rules are in the odd list and under prefix length 0: those
 * every query returns. */
size_t addr_index_always(const struct addr_index *x);

void addr_index_free(struct addr_index *x);

#endif
