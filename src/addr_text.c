/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr_text.c - addresses from text, as inet_pton reads them (see
 * addr_text.h).
 */
#include <string.h>

#include "addr_text.h"

/* Into @b[4]; the caller copies it out only on success. */
static bool dotted_quad(const char *s, size_t len, unsigned char b[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t start = i;

		while (i < len && s[i] >= '0' && s[i] <= '9') {
			/* a leading zero is refused, as inet_pton does */
			if (i > start && v == 0)
				return false;
			v = v * 10 + (unsigned)(s[i++] - '0');
			if (v > 255)
				return false;
		}
		if (i == start)
			return false;
		b[part] = (unsigned char)v;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == len;
}

bool addr_text_v4(const char *s, size_t len, struct in_addr *out)
{
	unsigned char b[4];

	if (!dotted_quad(s, len, b))
		return false;
	if (out)
		memcpy(&out->s_addr, b, 4);
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* No "::" seen yet. */
#define NO_GAP ((size_t)-1)

/*
 * The groups of @s into @b[16]: the ones before "::" from the front, the
 * ones after it at the end, zeros between.  Where a group turns out to
 * be the start of a dotted quad, the quad takes the last four bytes.
 */
static bool groups6(const char *s, size_t len, unsigned char b[16])
{
	size_t i = 0, n = 0, gap = NO_GAP, tok = 0;
	unsigned val = 0, digits = 0;

	if (len == 0)
		return false;
	if (s[0] == ':') { /* only as the start of "::" */
		if (len < 2 || s[1] != ':')
			return false;
		i = 1;
	}
	tok = i;
	while (i < len) {
		const char c = s[i++];
		const int h = hex_value(c);

		if (h >= 0) {
			if (digits == 4)
				return false;
			val = val << 4 | (unsigned)h;
			digits++;
			continue;
		}
		if (c == ':') {
			tok = i;
			if (digits == 0) {
				if (gap != NO_GAP) /* a second "::" */
					return false;
				gap = n;
				continue;
			}
			if (i == len || n + 2 > 16) /* ends with one ':' */
				return false;
			b[n++] = (unsigned char)(val >> 8);
			b[n++] = (unsigned char)val;
			val = digits = 0;
			continue;
		}
		/* The group being read was the first number of a quad: the
		 * quad runs to the end. */
		if (c != '.' || n + 4 > 16 ||
		    !dotted_quad(s + tok, len - tok, b + n))
			return false;
		n += 4;
		digits = 0;
		break;
	}
	if (digits > 0) {
		if (n + 2 > 16)
			return false;
		b[n++] = (unsigned char)(val >> 8);
		b[n++] = (unsigned char)val;
	}
	if (gap != NO_GAP) {
		/* "::" stands for at least one zero group */
		if (n == 16)
			return false;
		memmove(b + 16 - (n - gap), b + gap, n - gap);
		memset(b + gap, 0, 16 - n);
		n = 16;
	}
	return n == 16;
}

bool addr_text_v6(const char *s, size_t len, struct in6_addr *out)
{
	unsigned char b[16];

	if (!groups6(s, len, b))
		return false;
	if (out)
		memcpy(out->s6_addr, b, 16);
	return true;
}
