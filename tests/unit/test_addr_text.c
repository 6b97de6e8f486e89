/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_addr_text.c - addr_text_v4 and addr_text_v6 take exactly what the C
 * library's inet_pton takes, with the same bytes, and refuse exactly what
 * it refuses: on written-out edge cases, on every short string over the
 * characters that matter, and on many random address-like strings.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr_text.h"

/* One string both ways, in both families; a message on a difference. */
static void same_as_inet_pton(const char *s)
{
	struct in6_addr want6, got6;
	struct in_addr want4, got4;
	const size_t len = strlen(s);
	int rc;

	memset(&want6, 0, sizeof(want6));
	memset(&got6, 0, sizeof(got6));
	rc = inet_pton(AF_INET6, s, &want6);
	if (addr_text_v6(s, len, &got6) != (rc == 1))
		fail_msg("AF_INET6 '%s': inet_pton says %d", s, rc);
	if (rc == 1 && memcmp(&want6, &got6, sizeof(got6)) != 0)
		fail_msg("AF_INET6 '%s': other bytes", s);
	want4.s_addr = got4.s_addr = 0;
	rc = inet_pton(AF_INET, s, &want4);
	if (addr_text_v4(s, len, &got4) != (rc == 1))
		fail_msg("AF_INET '%s': inet_pton says %d", s, rc);
	if (rc == 1 && want4.s_addr != got4.s_addr)
		fail_msg("AF_INET '%s': other bytes", s);
}

static void test_edge_cases(void **state)
{
	static const char *const cases[] = {
		"",
		".",
		":",
		"::",
		":::",
		"::::",
		"0",
		"1",
		"00",
		"01",
		"0.0.0.0",
		"255.255.255.255",
		"256.0.0.0",
		"1.2.3",
		"1.2.3.4.",
		".1.2.3.4",
		"1..2.3",
		"1.2.3.4.5",
		"01.2.3.4",
		"1.02.3.4",
		"1.2.3.04",
		"1.2.3.0",
		"0.0.0.00",
		"1.2.3.4 ",
		" 1.2.3.4",
		"1.2.3.4/24",
		"1.2.3.-4",
		"1.2.3.+4",
		"0x1.2.3.4",
		"1e0.2.3.4",
		"1234.1.1.1",
		"999.1.1.1",
		"100.200.250.255",
		"1.2.3.256",
		"::1",
		"1::",
		"1:",
		":1",
		"1::2",
		"1:::2",
		"1::2::3",
		"::1:2",
		"1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8:9",
		"1:2:3:4:5:6:7::",
		"::2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7::8",
		"1:2:3:4::5:6:7:8",
		"1:2:3:4:5:6:7",
		"12345::",
		"::12345",
		"fFfF::AbCd",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"g::",
		"::g",
		"0000:0000::0000",
		"00000::",
		"::ffff:1.2.3.4",
		"::1.2.3.4",
		"1.2.3.4",
		"::1.2.3",
		"::1.2.3.4.5",
		"::01.2.3.4",
		"::1.2.3.4:5",
		"1:2:3:4:5:6:1.2.3.4",
		"1:2:3:4:5:6:7:1.2.3.4",
		"1:2:3:4:5::1.2.3.4",
		"1:2:3:4:5:6::1.2.3.4",
		"::ab.1.2.3",
		"::1234.1.2.3",
		"::255.255.255.255",
		"::256.1.1.1",
		"1.2.3.4::",
		"::1.2.3.4::",
		"2001:db8::7",
		"2001:db8:40:0::0",
		"2001:db8:1000:0::",
		"fe80::1%eth0",
		"[::1]",
		"::/0",
		":::1",
		"::1:",
		"1::2:",
		"a:b:c:d:e:f:0:1",
		"a:b:c:d:e:f:0:1:",
		"::0.0.0.0",
		"::0.0.0",
		"1:2:3:4:5:6:7:8::",
		"::1:2:3:4:5:6:7",
		"::1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:.1",
		"ffff::ffff:ffff:255.255.255.255",
		"::ffff:0:1.2.3.4",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		same_as_inet_pton(cases[i]);
}

/* Every string of up to five characters over the ones the two parsers
 * treat apart, and longer ones over a smaller set. */
static void all_strings(const char *alphabet, size_t maxlen)
{
	const size_t k = strlen(alphabet);
	size_t idx[16];
	char s[17];

	for (size_t len = 0; len <= maxlen; len++) {
		memset(idx, 0, sizeof(idx));
		for (;;) {
			size_t p;

			for (p = 0; p < len; p++)
				s[p] = alphabet[idx[p]];
			s[len] = '\0';
			same_as_inet_pton(s);
			for (p = 0; p < len && ++idx[p] == k; p++)
				idx[p] = 0;
			if (p == len)
				break;
		}
	}
}

static void test_every_short_string(void **state)
{
	(void)state;
	all_strings("019af:.", 7);
	all_strings("02F:.x", 6);
}

/* Random strings built from address pieces: groups of 0-5 hex digits,
 * decimal numbers with and without leading zeros, ':', '::', '.'. */
static void random_address(char *s, size_t size, unsigned *seed)
{
	static const char *const hex = "0123456789abcdefABCDEF";
	size_t n = 0;
	int parts = rand_r(seed) % 12;

	for (int i = 0; i < parts && n + 12 < size; i++) {
		int kind = rand_r(seed) % 10, digits;

		switch (kind) {
		case 0:
		case 1:
		case 2:
			s[n++] = ':';
			break;
		case 3:
			s[n++] = '.';
			break;
		case 4:
		case 5:
			n += (size_t)snprintf(s + n, size - n, "%d",
					      rand_r(seed) % 300);
			break;
		case 6:
			n += (size_t)snprintf(s + n, size - n, "0%d",
					      rand_r(seed) % 30);
			break;
		default:
			digits = rand_r(seed) % 6;
			for (int d = 0; d < digits; d++)
				s[n++] = hex[rand_r(seed) % 22];
			break;
		}
	}
	s[n] = '\0';
}

/* Random near-addresses: 0 to 10 groups of 0 to 5 hex digits with a
 * "::" or a stray ':' here and there, and maybe a dotted quad or a ':'
 * at the end. */
static void random_groups(char *s, size_t size, unsigned *seed)
{
	static const char *const hex = "0123456789abcdefABCDEF";
	int groups = rand_r(seed) % 11, gap = rand_r(seed) % 12;
	size_t n = 0;

	for (int g = 0; g < groups && n + 16 < size; g++) {
		int digits = rand_r(seed) % 8 ? 1 + rand_r(seed) % 4 :
						rand_r(seed) % 6;

		if (g == gap || (g > 0 && rand_r(seed) % 30 == 0))
			s[n++] = ':';
		if (g > 0 || rand_r(seed) % 10 == 0)
			s[n++] = ':';
		for (int d = 0; d < digits; d++)
			s[n++] = hex[rand_r(seed) % 22];
	}
	if (gap == groups)
		n += (size_t)snprintf(s + n, size - n, "::");
	if (rand_r(seed) % 4 == 0)
		n += (size_t)snprintf(s + n, size - n, ":%d.%d.%d.%d",
				      rand_r(seed) % 260, rand_r(seed) % 3,
				      rand_r(seed) % 300, rand_r(seed) % 10);
	else if (rand_r(seed) % 10 == 0)
		s[n++] = ':';
	s[n] = '\0';
}

static void test_random_strings(void **state)
{
	unsigned seed = 14;
	char s[160];

	(void)state;
	for (int i = 0; i < 1000000; i++) {
		random_address(s, sizeof(s), &seed);
		same_as_inet_pton(s);
		random_groups(s, sizeof(s), &seed);
		same_as_inet_pton(s);
	}
}

/* Printed addresses, each read back; also with a "::" anywhere. */
static void test_printed_addresses(void **state)
{
	unsigned seed = 6;
	char s[INET6_ADDRSTRLEN + 8];

	(void)state;
	for (int i = 0; i < 200000; i++) {
		struct in6_addr a;
		struct in_addr b;

		for (int k = 0; k < 16; k++)
			a.s6_addr[k] =
				rand_r(&seed) % 4 ? 0 : (uint8_t)rand_r(&seed);
		inet_ntop(AF_INET6, &a, s, sizeof(s));
		same_as_inet_pton(s);
		b.s_addr = (uint32_t)rand_r(&seed) * 2654435761u;
		inet_ntop(AF_INET, &b, s, sizeof(s));
		same_as_inet_pton(s);
	}
}

/* A counted string: nothing past @len is read. */
static void test_counted(void **state)
{
	struct in6_addr a6;
	struct in_addr a4;

	(void)state;
	assert_true(addr_text_v4("10.0.1.2/24", 8, &a4));
	assert_int_equal(a4.s_addr, htonl(0x0a000102));
	assert_false(addr_text_v4("10.0.1.2/24", 9, &a4));
	assert_true(addr_text_v6("2001:db8::1/64", 11, &a6));
	assert_int_equal(a6.s6_addr[0], 0x20);
	assert_int_equal(a6.s6_addr[15], 1);
	assert_false(addr_text_v6("2001:db8::1/64", 12, &a6));
	assert_true(addr_text_v4("1.2.3.4", 7, NULL));
	assert_true(addr_text_v6("::", 2, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edge_cases),
		cmocka_unit_test(test_every_short_string),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_printed_addresses),
		cmocka_unit_test(test_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
