/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_cache.c - the apply cache's hash: the same bytes give the same
 * digest however they are handed over; any one bit, the length, or where
 * one string ends and the next begins changes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"

static struct cache_digest digest_of(const void *p, size_t len)
{
	struct cache_hash h;

	cache_hash_init(&h);
	cache_hash_add(&h, p, len);
	return cache_hash_end(&h);
}

static bool same(struct cache_digest a, struct cache_digest b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

static void fill(unsigned char *buf, size_t len)
{
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
}

/* Pieces of every size from 1 to 97 bytes, across stripe boundaries. */
static void test_pieces_hash_as_whole(void **state)
{
	unsigned char buf[1000];
	struct cache_digest whole;

	(void)state;
	fill(buf, sizeof(buf));
	whole = digest_of(buf, sizeof(buf));
	for (size_t step = 1; step < 98; step++) {
		struct cache_hash h;

		cache_hash_init(&h);
		for (size_t off = 0; off < sizeof(buf); off += step)
			cache_hash_add(&h, buf + off,
				       off + step > sizeof(buf) ?
					       sizeof(buf) - off :
					       step);
		assert_true(same(cache_hash_end(&h), whole));
	}
}

/* Each of the 8000 one-bit changes gives a digest of its own, both of
 * whose halves differ from the original's. */
static void test_every_bit_counts(void **state)
{
	unsigned char buf[1000];
	struct cache_digest d0;

	(void)state;
	fill(buf, sizeof(buf));
	d0 = digest_of(buf, sizeof(buf));
	for (size_t bit = 0; bit < sizeof(buf) * 8; bit++) {
		struct cache_digest d;

		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		d = digest_of(buf, sizeof(buf));
		buf[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		assert_true(d.lo != d0.lo && d.hi != d0.hi);
	}
}

/* Trailing zeros are bytes: the length is part of the digest. */
static void test_length_counts(void **state)
{
	unsigned char zeros[64] = { 0 };
	struct cache_digest d[65];

	(void)state;
	for (size_t n = 0; n <= 64; n++) {
		d[n] = digest_of(zeros, n);
		for (size_t k = 0; k < n; k++)
			assert_false(same(d[k], d[n]));
	}
}

static void test_strings_keep_their_ends(void **state)
{
	struct cache_hash a, b;

	(void)state;
	cache_hash_init(&a);
	cache_hash_str(&a, "ab");
	cache_hash_str(&a, "c");
	cache_hash_init(&b);
	cache_hash_str(&b, "a");
	cache_hash_str(&b, "bc");
	assert_false(same(cache_hash_end(&a), cache_hash_end(&b)));
	/* NULL (no value) is not the empty string. */
	cache_hash_init(&a);
	cache_hash_str(&a, NULL);
	cache_hash_init(&b);
	cache_hash_str(&b, "");
	assert_false(same(cache_hash_end(&a), cache_hash_end(&b)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces_hash_as_whole),
		cmocka_unit_test(test_every_bit_counts),
		cmocka_unit_test(test_length_counts),
		cmocka_unit_test(test_strings_keep_their_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
