/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * split.c - the address family of a concrete command (see split.h).
 *
 * Only words that are addresses by their option are read as addresses:
 * "-m string --string 10.0.0.1" is not an IPv4 rule.  The words that make
 * a rule one family's are the ones iptables and ip6tables do not share:
 * their protocols, matches, targets and REJECT types.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr_text.h"
#include "split.h"

/* A word and the family it makes a rule of. */
struct family_word {
	const char *word;
	unsigned family;
};

static const struct family_word protocols[] = {
	{ "icmp", SPLIT_V4 },	   { "1", SPLIT_V4 },
	{ "ipv6-icmp", SPLIT_V6 }, { "icmpv6", SPLIT_V6 },
	{ "icmp6", SPLIT_V6 },	   { "58", SPLIT_V6 },
};

/* Sorted by word for bsearch, as is targets[]. */
static const struct family_word matches[] = {
	{ "dst", SPLIT_V6 },	    { "eui64", SPLIT_V6 },
	{ "frag", SPLIT_V6 },	    { "hbh", SPLIT_V6 },
	{ "hl", SPLIT_V6 },	    { "icmp", SPLIT_V4 },
	{ "icmp6", SPLIT_V6 },	    { "ipv4options", SPLIT_V4 },
	{ "ipv6header", SPLIT_V6 }, { "mh", SPLIT_V6 },
	{ "realm", SPLIT_V4 },	    { "rt", SPLIT_V6 },
	{ "srh", SPLIT_V6 },	    { "ttl", SPLIT_V4 },
};

static const struct family_word targets[] = {
	{ "CLUSTERIP", SPLIT_V4 }, { "DNPT", SPLIT_V6 }, { "ECN", SPLIT_V4 },
	{ "HL", SPLIT_V6 },	   { "SNPT", SPLIT_V6 }, { "TTL", SPLIT_V4 },
	{ "ULOG", SPLIT_V4 },
};

/* REJECT's types and their aliases, as libipt_REJECT and libip6t_REJECT
 * name them. */
static const struct family_word reject_types[] = {
	{ "icmp-net-unreachable", SPLIT_V4 },
	{ "net-unreach", SPLIT_V4 },
	{ "icmp-host-unreachable", SPLIT_V4 },
	{ "host-unreach", SPLIT_V4 },
	{ "icmp-proto-unreachable", SPLIT_V4 },
	{ "proto-unreach", SPLIT_V4 },
	{ "icmp-port-unreachable", SPLIT_V4 },
	{ "port-unreach", SPLIT_BOTH },
	{ "icmp-net-prohibited", SPLIT_V4 },
	{ "net-prohib", SPLIT_V4 },
	{ "icmp-host-prohibited", SPLIT_V4 },
	{ "host-prohib", SPLIT_V4 },
	{ "tcp-reset", SPLIT_BOTH },
	{ "tcp-rst", SPLIT_V4 },
	{ "icmp-admin-prohibited", SPLIT_V4 },
	{ "admin-prohib", SPLIT_V4 },
	{ "icmp6-no-route", SPLIT_V6 },
	{ "no-route", SPLIT_V6 },
	{ "icmp6-adm-prohibited", SPLIT_V6 },
	{ "adm-prohibited", SPLIT_V6 },
	{ "icmp6-addr-unreachable", SPLIT_V6 },
	{ "addr-unreach", SPLIT_V6 },
	{ "icmp6-port-unreachable", SPLIT_V6 },
	{ "icmp6-policy-fail", SPLIT_V6 },
	{ "policy-fail", SPLIT_V6 },
	{ "icmp6-reject-route", SPLIT_V6 },
	{ "reject-route", SPLIT_V6 },
};

/*
 * The families REJECT type @t is one of: both REJECTs take a type in any
 * case and by a prefix of its name or alias ("icmp-host-prohib", "a"),
 * so @t is of each family that has a type it starts.  Unknown: both,
 * for the extension to refuse.
 */
static unsigned reject_family(const char *t)
{
	size_t len = strlen(t);
	unsigned f = 0;

	for (size_t i = 0; i < sizeof(reject_types) / sizeof(*reject_types);
	     i++)
		if (strncasecmp(reject_types[i].word, t, len) == 0)
			f |= reject_types[i].family;
	return f ? f : SPLIT_BOTH;
}

static int family_word_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct family_word *)elem)->word);
}

/* The family of @word in the sorted table @words. */
static unsigned lookup(const struct family_word *words, size_t n,
		       const char *word)
{
	const struct family_word *w =
		bsearch(word, words, n, sizeof(*words), family_word_cmp);

	return w ? w->family : SPLIT_BOTH;
}

#define LOOKUP(table, word) lookup(table, sizeof(table) / sizeof(*table), word)

/*
 * Whether @word is option @name: the option itself, or for a long option
 * an abbreviation of it ("--to-dest" for "--to-destination"), as
 * iptables' getopt_long takes a unique prefix.  An abbreviation that is
 * ambiguous is refused by the builder, whatever is said of it here.
 */
static bool is_option_len(const char *word, size_t len, const char *name)
{
	if (strcmp(word, name) == 0)
		return true;
	return name[1] == '-' && len >= 4 && word[0] == '-' && word[1] == '-' &&
	       strncmp(name, word, len) == 0;
}

static bool is_option(const char *word, const char *name)
{
	return is_option_len(word, strlen(word), name);
}

/* The family of protocol @name: iptables takes it in any case (ICMP). */
static unsigned protocol_family(const char *name)
{
	for (size_t i = 0; i < sizeof(protocols) / sizeof(*protocols); i++)
		if (strcasecmp(protocols[i].word, name) == 0)
			return protocols[i].family;
	return SPLIT_BOTH;
}

/* The family of one address, without the prefix, range or port. */
static unsigned one_address(const char *text, size_t len)
{
	const char *end;

	if (len > 0 && text[0] == '[') { /* [2001:db8::1]:80 */
		end = memchr(text, ']', len);
		if (!end)
			return 0;
		text++;
		len = (size_t)(end - text);
	}
	end = memchr(text, '/', len);
	if (end)
		len = (size_t)(end - text);
	if (len == 0 || len >= INET6_ADDRSTRLEN + 8)
		return 0;
	if (len == 1 && text[0] == '0') /* -s 0/0: IPv4's 0.0.0.0 */
		return SPLIT_V4;
	/* Every IPv6 address has a ':'; most addresses are IPv4. */
	if (memchr(text, ':', len) && addr_text_v6(text, len, NULL))
		return SPLIT_V6;
	/* a.b.c.d, a.b.c.d:port, a.b.c.d-e.f.g.h */
	for (size_t i = 0; i < len; i++)
		if (text[i] == ':' || text[i] == '-') {
			len = i;
			break;
		}
	if (addr_text_v4(text, len, NULL))
		return SPLIT_V4;
	return 0;
}

unsigned split_address_family(const char *text)
{
	unsigned family = 0;

	/* A comma list (-s a,b) or a range of IPv6 addresses (a-b). */
	while (*text) {
		size_t len = strcspn(text, ",");
		const char *dash = memchr(text, '-', len);

		if (dash && text[0] != '[' && memchr(text, ':', len))
			len = (size_t)(dash - text); /* v6-v6 range */
		family |= one_address(text, len);
		text += len;
		text += strspn(text, ",-");
	}
	return family;
}

bool split_is_list_option(const char *word)
{
	static const char *const list_options[] = {
		"-s", "--source", "--src", "-d", "--destination", "--dst",
	};

	for (size_t i = 0; i < sizeof(list_options) / sizeof(*list_options);
	     i++)
		if (is_option(word, list_options[i]))
			return true;
	return false;
}

bool split_narrow_list(const char *text, unsigned family, char *out)
{
	char *to = out;

	while (*text) {
		size_t len = strcspn(text, ",");

		unsigned f = one_address(text, len);

		/* A member of no family (a host name) stays in both, where
		 * the builder says what is wrong with it. */
		if (f == family || f == 0) {
			if (to != out)
				*to++ = ',';
			memcpy(to, text, len);
			to += len;
		}
		text += len;
		text += strspn(text, ",");
	}
	*to = '\0';
	return to != out;
}

/* What an option word is to the splitter: a bit per kind. */
enum {
	K_ADDR = 1u << 0,     /* its value is an address (list) */
	K_PROTO = 1u << 1,    /* -p */
	K_MATCH = 1u << 2,    /* -m */
	K_JUMP = 1u << 3,     /* -j, -g */
	K_REJECT = 1u << 4,   /* --reject-with */
	K_NUMBERED = 1u << 5, /* -D, -R, -I: a rule number may follow */
	K_FRAG = 1u << 6,     /* -f */
	K_ICMP4 = 1u << 7,    /* --icmp-type */
	K_ICMP6 = 1u << 8,    /* --icmpv6-type */
};

/* The option names the splitter knows, with their kind; @exact: no
 * abbreviation (the commands, as iptables has them). */
static const struct {
	const char *name;
	unsigned kind;
	bool exact;
} option_kinds[] = {
	{ "-s", K_ADDR, false },
	{ "--source", K_ADDR, false },
	{ "--src", K_ADDR, false },
	{ "-d", K_ADDR, false },
	{ "--destination", K_ADDR, false },
	{ "--dst", K_ADDR, false },
	{ "--tunnel-src", K_ADDR, false },
	{ "--tunnel-dst", K_ADDR, false },
	{ "--to-source", K_ADDR, false },
	{ "--to-destination", K_ADDR, false },
	{ "--to", K_ADDR, false },
	{ "--on-ip", K_ADDR, false },
	{ "--src-range", K_ADDR, false },
	{ "--dst-range", K_ADDR, false },
	{ "--ctorigsrc", K_ADDR, false },
	{ "--ctorigdst", K_ADDR, false },
	{ "--ctreplsrc", K_ADDR, false },
	{ "--ctrepldst", K_ADDR, false },
	{ "--gateway", K_ADDR, false },
	{ "-p", K_PROTO, false },
	{ "--protocol", K_PROTO, false },
	{ "-m", K_MATCH, false },
	{ "--match", K_MATCH, false },
	{ "-j", K_JUMP, false },
	{ "--jump", K_JUMP, false },
	{ "-g", K_JUMP, false },
	{ "--goto", K_JUMP, false },
	{ "--reject-with", K_REJECT, false },
	{ "-D", K_NUMBERED, true },
	{ "--delete", K_NUMBERED, true },
	{ "-R", K_NUMBERED, true },
	{ "--replace", K_NUMBERED, true },
	{ "-I", K_NUMBERED, true },
	{ "--insert", K_NUMBERED, true },
	{ "-f", K_FRAG, false },
	{ "--fragment", K_FRAG, false },
	{ "--icmp-type", K_ICMP4, false },
	{ "--icmpv6-type", K_ICMP6, false },
};

/* The entries of option_kinds by the letter after their dashes, short
 * ones in [0], long ones in [1]; made on first use. */
static struct {
	unsigned char idx[2][128][8];
	unsigned char n[2][128];
	bool made;
} by_letter;

static void by_letter_make(void)
{
	for (size_t i = 0; i < sizeof(option_kinds) / sizeof(*option_kinds);
	     i++) {
		const char *name = option_kinds[i].name;
		const int l = name[1] == '-';
		const unsigned char c = (unsigned char)name[l ? 2 : 1] & 127;

		by_letter.idx[l][c][by_letter.n[l][c]++] = (unsigned char)i;
	}
	by_letter.made = true;
}

/* The kinds of option word @w (is_option() against each name at once):
 * the first letter after the dashes picks the names worth comparing. */
static unsigned option_kind(const char *w)
{
	const int l = w[1] == '-';
	const unsigned char c = (unsigned char)w[l ? 2 : 1];
	unsigned kind = 0;
	size_t len;

	if (c >= 128)
		return 0;
	if (!by_letter.made)
		by_letter_make();
	if (by_letter.n[l][c] == 0)
		return 0;
	len = strlen(w);
	for (unsigned k = 0; k < by_letter.n[l][c]; k++) {
		const size_t i = by_letter.idx[l][c][k];
		const char *name = option_kinds[i].name;

		if (option_kinds[i].exact ? strcmp(w, name) == 0 :
					    is_option_len(w, len, name))
			kind |= option_kinds[i].kind;
	}
	return kind;
}

/* A rule number that means a different rule in each family: any for -D
 * and -R, past the first for -I. */
static bool is_rule_number(const char *text, const char *op)
{
	if (!text[0] || strspn(text, "0123456789") != strlen(text))
		return false;
	return (strcmp(op, "-I") != 0 && strcmp(op, "--insert") != 0) ||
	       strcmp(text, "1") != 0;
}

unsigned split_command(const struct cmd *c, size_t first, struct split *s)
{
	bool negate = false;

	memset(s, 0, sizeof(*s));
	s->parts = SPLIT_BOTH;
	s->fixed = SPLIT_BOTH;
	for (size_t i = first; i < c->argc; i++) {
		const char *w = c->args[i].text;
		const struct arg *value = i + 1 < c->argc ? &c->args[i + 1] :
							    NULL;
		bool negated = negate;
		unsigned kind;

		negate = w[0] == '!' && w[1] == '\0';
		if (c->args[i].runtime) {
			unsigned f = split_address_family(w);

			s->runtime |= f;
			s->addrs |= f;
			if (!s->runtime_arg)
				s->runtime_arg = &c->args[i];
		}
		/* Only an option says what its value is; most words are
		 * values, and this runs for every rule of every config. */
		if (w[0] != '-')
			continue;
		kind = option_kind(w);
		if ((kind & K_FRAG) || (kind & (K_ICMP4 | K_ICMP6)) == K_ICMP4)
			s->parts &= SPLIT_V4;
		else if ((kind & (K_ICMP4 | K_ICMP6)) == K_ICMP6)
			s->parts &= SPLIT_V6;
		if (!value)
			continue;
		if ((kind & K_NUMBERED) && i + 2 < c->argc &&
		    is_rule_number(c->args[i + 2].text, w))
			s->rulenum = &c->args[i + 2];
		if (value->text[0] == '!' && value->text[1] == '\0' &&
		    i + 2 < c->argc) { /* -s ! ADDR, the old form */
			negated = true;
			value = &c->args[i + 2];
		}
		if (kind & K_ADDR) {
			unsigned f = split_address_family(value->text);

			s->addrs |= f;
			if (f && !s->addr_arg)
				s->addr_arg = value;
			s->negated |= negated && f;
			if (f && !negated && !value->runtime)
				s->fixed &= f;
		} else if (kind & K_PROTO) {
			unsigned f = protocol_family(value->text);

			s->parts &= f;
			s->negated_proto |= negated && f != SPLIT_BOTH;
		} else if (kind & K_MATCH) {
			s->parts &= LOOKUP(matches, value->text);
		} else if (kind & K_JUMP) {
			s->parts &= LOOKUP(targets, value->text);
			s->restrictive = strcmp(value->text, "ACCEPT") != 0 &&
					 strcmp(value->text, "LOG") != 0 &&
					 strcmp(value->text, "NFLOG") != 0;
		} else if (kind & K_REJECT) {
			s->parts &= reject_family(value->text);
		}
	}
	if (s->addrs == SPLIT_BOTH)
		return 0;
	return (s->addrs ? s->addrs : SPLIT_BOTH) & s->parts;
}
