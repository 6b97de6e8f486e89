/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lint.c - warnings `iptload check` gives about a ruleset that loads but
 * does not do what its author meant: a rule no packet reaches, and the
 * IPsec mistakes that make a VPN router leaky or deaf.  Each warning is
 * located at a rule, carries a witness packet (in `iptload trace` words)
 * that the tracer confirms, and can be silenced on that rule with a
 * "lint-ignore" marker (all lints) or "lint-ignore:NAME[,NAME]" in a
 * comment on its line or the line above, or in its -m comment text.
 *
 * The IPsec lints do not guess from the text of rules: they build the
 * packet that would go wrong and ask the tracer what the ruleset does
 * with it.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_policy.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>

#include "addr_index.h"
#include "lint.h"
#include "trace.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An address that stands for "somewhere on the internet" in witnesses:
 * 198.18.0.0/15 is set aside for benchmarks, so no rule means it. */
#define ANY_REMOTE "198.18.0.1"
#define ANY_REMOTE_HOST 0xC6120001u /* the same, host order */

/* ---- looking at entries ----------------------------------------------- */

/* Whether match @m is called @name: the first bytes tell most names
 * apart without a call (the lints ask this of every match of every
 * rule several times). */
static inline bool match_is(const struct xt_entry_match *m, const char *name)
{
	return m->u.user.name[0] == name[0] &&
	       strcmp(m->u.user.name, name) == 0;
}

static const struct xt_entry_match *lint_match_at(const struct ipt_entry *e,
						  size_t *off)
{
	const struct xt_entry_match *m;

	if (*off < sizeof(*e))
		*off = sizeof(*e);
	if (*off >= e->target_offset)
		return NULL;
	m = (const void *)((const char *)e + *off);
	if (m->u.match_size == 0)
		return NULL;
	*off += m->u.match_size;
	return m;
}

/* The first match called @name of @e, or NULL. */
static const struct xt_entry_match *find_match(const struct ipt_entry *e,
					       const char *name)
{
	const struct xt_entry_match *m;
	size_t off = 0;

	while ((m = lint_match_at(e, &off)))
		if (match_is(m, name))
			return m;
	return NULL;
}

static const struct xt_policy_info *policy_of(const struct ipt_entry *e)
{
	const struct xt_entry_match *m = find_match(e, "policy");

	return m ? (const void *)m->data : NULL;
}

/* Whether @e requires an IPsec SA (--pol ipsec, not --pol none) in
 * direction @flag (XT_POLICY_MATCH_IN/OUT). */
static bool requires_ipsec(const struct ipt_entry *e, unsigned flag)
{
	const struct xt_policy_info *pi = policy_of(e);

	return pi && (pi->flags & flag) && !(pi->flags & XT_POLICY_MATCH_NONE);
}

static bool target_is(const struct ipt_entry *e, const char *name)
{
	const char *t = rule_target_name(FAMILY_IPV4, (const struct entry *)e);

	return t[0] == name[0] && strcmp(t, name) == 0;
}

/* The conntrack state mask of @e's conntrack match (0: none). */
static unsigned ctstate_mask(const struct ipt_entry *e, bool *inverted)
{
	const struct xt_entry_match *m = find_match(e, "conntrack");
	const struct xt_conntrack_mtinfo2 *c;

	*inverted = false;
	if (!m || m->u.user.revision < 2)
		return 0;
	c = (const void *)m->data; /* v2 and v3 start alike */
	if (!(c->match_flags & XT_CONNTRACK_STATE))
		return 0;
	*inverted = c->invert_flags & XT_CONNTRACK_STATE;
	return c->state_mask;
}

/* Whether a NEW packet can match @e's conntrack state (a spoofed packet
 * opens a connection; it cannot be ESTABLISHED). */
static bool admits_new(const struct ipt_entry *e)
{
	bool inv;
	unsigned mask = ctstate_mask(e, &inv);
	unsigned bit = XT_CONNTRACK_STATE_BIT(IP_CT_NEW);

	return mask == 0 || !!(mask & bit) != inv;
}

/* ---- silencing -------------------------------------------------------- */

/* Whether @text (up to @end) has "lint-ignore" for @lint. */
static bool marker_ignores(const char *text, const char *end, const char *lint)
{
	static const char word[] = "lint-ignore";
	const char *p = text;

	while ((p = memmem(p, (size_t)(end - p), word, sizeof(word) - 1))) {
		const char *q = p + sizeof(word) - 1;
		size_t n = strlen(lint);

		if (q >= end || *q != ':')
			return true;
		for (q++; q < end;) {
			size_t len = strcspn(q, ", \t\n\"'");

			if (q + len > end)
				len = (size_t)(end - q);
			if (len == n && memcmp(q, lint, n) == 0)
				return true;
			q += len;
			if (q >= end || *q != ',')
				break;
			q++;
		}
		p++;
	}
	return false;
}

/* Where each line of a source starts, found once per source: a chain
 * of 100 000 rules asks about 100 000 lines. */
struct line_starts {
	const struct source *src;
	size_t *at; /* at[k]: offset of line k + 1 */
	size_t n;
};

/* The line starts of the sources asked about so far. */
struct line_cache {
	struct line_starts *v;
	size_t n;
};

static const struct line_starts *line_starts_of(struct line_cache *lc,
						const struct source *src)
{
	struct line_starts *ls;
	size_t cap = 64;

	for (size_t i = 0; i < lc->n; i++)
		if (lc->v[i].src == src)
			return &lc->v[i];
	lc->v = reallocarray(lc->v, lc->n + 1, sizeof(*lc->v));
	if (!lc->v)
		abort();
	ls = &lc->v[lc->n++];
	ls->src = src;
	ls->n = 0;
	ls->at = malloc(cap * sizeof(*ls->at));
	if (!ls->at)
		abort();
	ls->at[ls->n++] = 0;
	for (const char *p = src->text, *end = src->text + src->len;
	     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		if (ls->n == cap) {
			cap *= 2;
			ls->at = reallocarray(ls->at, cap, sizeof(*ls->at));
			if (!ls->at)
				abort();
		}
		ls->at[ls->n++] = (size_t)(p + 1 - src->text);
	}
	return ls;
}

static void line_cache_free(struct line_cache *lc)
{
	for (size_t i = 0; i < lc->n; i++)
		free(lc->v[i].at);
	free(lc->v);
}

/* Whether line @line of @src, or the one above it, carries a comment
 * with the marker. */
static bool line_ignores(struct line_cache *lc, const struct source *src,
			 unsigned line, const char *lint)
{
	const struct line_starts *ls;
	const char *p, *end, *start, *prev = NULL;

	if (!src || !src->text || line == 0)
		return false;
	ls = line_starts_of(lc, src);
	if (line > ls->n)
		return false;
	end = src->text + src->len;
	start = src->text + ls->at[line - 1];
	if (line > 1)
		prev = src->text + ls->at[line - 2];
	p = memchr(start, '\n', (size_t)(end - start));
	end = p ? p : end;
	for (const char *from = prev ? prev : start; from < end;) {
		const char *hash = memchr(from, '#', (size_t)(end - from));

		if (!hash)
			break;
		const char *eol = memchr(hash, '\n', (size_t)(end - hash));

		if (marker_ignores(hash, eol ? eol : end, lint))
			return true;
		from = eol ? eol + 1 : end;
	}
	return false;
}

static bool rule_ignores(struct line_cache *lc, const struct rule *r,
			 const char *lint)
{
	const struct xt_entry_match *m;
	size_t off = 0;

	while ((m = lint_match_at(entry_v4(r->entry), &off)))
		if (match_is(m, "comment")) {
			const struct xt_comment_info *c = (const void *)m->data;

			if (marker_ignores(c->comment,
					   c->comment +
						   strnlen(c->comment,
							   sizeof(c->comment)),
					   lint))
				return true;
		}
	for (const struct src_loc *l = &r->loc; l; l = l->via)
		if (line_ignores(lc, l->src, l->line, lint))
			return true;
	return false;
}

/* ---- witnesses -------------------------------------------------------- */

/*
 * A witness packet: its words, for the warning, and the packet they
 * describe, built beside them as trace_packet_parse would read them (a
 * witness is traced for every rule a lint looks at; writing the words and
 * parsing them back cost more than the trace).  A value the parser might
 * read otherwise than it was meant (empty, with a blank, an interface
 * name it refuses) sets @slow: the words are then parsed, as before.
 */
struct witness {
	char words[512];
	size_t len; /* strlen(words) */
	bool slow;
	struct trace_packet p;
};

static void witness_init(struct witness *w)
{
	w->words[0] = '\0';
	w->len = 0;
	w->slow = false;
	memset(&w->p, 0, sizeof(w->p));
	w->p.ctstate = XT_CONNTRACK_STATE_BIT(IP_CT_NEW);
}

/* An address inside @a/@mask: host 10 of the network (host 1 is often
 * the router itself), or host 1 of a small one. */
static struct in_addr host_in(struct in_addr a, struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr), h = ntohl(a.s_addr) & m;

	if (m == 0)
		h = 1; /* any address: add_addr writes ANY_REMOTE */
	else if (~m >= 15)
		h |= 10;
	else if (m != 0xFFFFFFFFu && m != 0xFFFFFFFEu)
		h |= 1;
	a.s_addr = htonl(h);
	return a;
}

/* An address outside @a/@mask (for "! -s"). */
static struct in_addr host_out(struct in_addr a, struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr);

	a = host_in(a, mask);
	a.s_addr = htonl(ntohl(a.s_addr) ^ (m & (~m + 1u)));
	return a;
}

/* @a as inet_ntop writes it, without its sprintf per byte: a witness
 * is made for every rule a lint looks at. */
static size_t ipv4_text(struct in_addr a, char out[INET_ADDRSTRLEN])
{
	const unsigned char *b = (const unsigned char *)&a.s_addr;
	char *p = out;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (i)
			*p++ = '.';
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
	}
	*p = '\0';
	return (size_t)(p - out);
}

/* Append @n bytes of @s to the words as snprintf would: cut at the
 * buffer's end. */
static void put_mem(struct witness *w, const char *s, size_t n)
{
	size_t room = sizeof(w->words) - 1 - w->len;

	if (n > room)
		n = room;
	memcpy(w->words + w->len, s, n);
	w->len += n;
	w->words[w->len] = '\0';
}

static void put_text(struct witness *w, const char *s)
{
	put_mem(w, s, strlen(s));
}

/* @v in decimal at @out (10 bytes at most); returns the length. */
static size_t uint_text(unsigned v, char *out)
{
	char num[16];
	size_t n = sizeof(num);

	do {
		num[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(out, num + n, sizeof(num) - n);
	return sizeof(num) - n;
}

static void put_uint(struct witness *w, unsigned v)
{
	char num[16];

	put_mem(w, num, uint_text(v, num));
}

/* Start a word: a space unless the words are empty (or full). */
static void put_blank(struct witness *w)
{
	if (w->len && w->len < sizeof(w->words) - 1)
		put_mem(w, " ", 1);
}

/* "@opt @name": an interface, -i or -o. */
static void add_iface(struct witness *w, const char *opt, const char *name)
{
	size_t n = strlen(name);
	char *to = opt[1] == 'i' ? w->p.in : w->p.out;

	put_blank(w);
	put_text(w, opt);
	put_mem(w, " ", 1);
	put_mem(w, name, n);
	/* What set_iface takes, as one word. */
	if (n == 0 || n >= sizeof(w->p.in) || strpbrk(name, "+ "))
		w->slow = true;
	else
		memcpy(to, name, n + 1);
}

/* "@opt ADDR": -s or -d, 0.0.0.1 (the "any" of host_in) written as
 * ANY_REMOTE. */
static void add_addr(struct witness *w, const char *opt, struct in_addr a)
{
	char s[INET_ADDRSTRLEN];

	if (a.s_addr == htonl(1))
		a.s_addr = htonl(ANY_REMOTE_HOST);
	if (w->len + 4 + INET_ADDRSTRLEN < sizeof(w->words) - 1) {
		/* Room for " -s " and the address: written in place. */
		char *p = w->words + w->len;

		if (w->len)
			*p++ = ' ';
		*p++ = opt[0];
		*p++ = opt[1];
		*p++ = ' ';
		p += ipv4_text(a, p);
		w->len = (size_t)(p - w->words);
	} else {
		put_blank(w);
		put_text(w, opt);
		put_mem(w, " ", 1);
		put_mem(w, s, ipv4_text(a, s));
	}
	if (opt[1] == 's') {
		w->p.src = a;
		w->p.known |= TF_SRC;
	} else {
		w->p.dst = a;
		w->p.known |= TF_DST;
	}
}

/* "-p @name" (a name parse_proto knows for @proto), or "-p @proto"
 * when @name is NULL (never 0). */
static void add_proto(struct witness *w, uint8_t proto, const char *name)
{
	put_blank(w);
	put_text(w, "-p ");
	if (name)
		put_text(w, name);
	else
		put_uint(w, proto);
	w->p.proto = proto;
	w->p.known |= TF_PROTO;
}

/* "--sport S --dport D". */
static void add_ports(struct witness *w, uint16_t sport, uint16_t dport)
{
	static const char s1[] = "--sport ", s2[] = " --dport ";

	if (w->len + sizeof(s1) + sizeof(s2) + 10 < sizeof(w->words) - 1) {
		/* Room for all of it: written in place. */
		char *p = w->words + w->len;

		if (w->len)
			*p++ = ' ';
		memcpy(p, s1, sizeof(s1) - 1);
		p += sizeof(s1) - 1;
		p += uint_text(sport, p);
		memcpy(p, s2, sizeof(s2) - 1);
		p += sizeof(s2) - 1;
		p += uint_text(dport, p);
		*p = '\0';
		w->len = (size_t)(p - w->words);
	} else {
		put_blank(w);
		put_text(w, "--sport ");
		put_uint(w, sport);
		put_text(w, " --dport ");
		put_uint(w, dport);
	}
	w->p.sport = sport;
	w->p.dport = dport;
	w->p.known |= TF_SPORT | TF_DPORT;
}

/* "--ctstate ESTABLISHED". */
static void add_established(struct witness *w)
{
	put_blank(w);
	put_text(w, "--ctstate ESTABLISHED");
	w->p.ctstate = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED);
}

/* Parse the witness's words into its packet; false if they do not make
 * a packet (then no warning is given: it could not be confirmed). */
static bool witness_parse(struct witness *w)
{
	char buf[512], *argv[64], *p = buf, err[256];
	int argc = 0;

	/* Split at blanks in place, as strtok_r(" ") would. */
	memcpy(buf, w->words, w->len + 1); /* both 512 bytes */
	while (argc < 64) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		argv[argc++] = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = '\0';
	}
	return trace_packet_parse(argc, argv, &w->p, err, sizeof(err)) == 0;
}

#ifndef LINT_CHECK_WITNESSES
#define LINT_CHECK_WITNESSES false
#endif
bool lint_check_witnesses = LINT_CHECK_WITNESSES;

/* Whether the witness makes a packet (its words and w->p agree); false:
 * no warning is given, it could not be confirmed. */
static bool witness_done(struct witness *w)
{
	char err[256];

	/* Cut words, or a value the parser reads its own way. */
	if (w->slow || w->len >= sizeof(w->words) - 2)
		return witness_parse(w);
	if (lint_check_witnesses) {
		struct witness again = *w;
		bool ok = witness_parse(&again);

		if (ok != (trace_packet_check(&w->p, err, sizeof(err)) == 0) ||
		    (ok && memcmp(&again.p, &w->p, sizeof(w->p)) != 0))
			abort();
		return ok;
	}
	return trace_packet_check(&w->p, err, sizeof(err)) == 0;
}

/* An interface name that the pattern @name/@mask (as in ipt_ip)
 * matches, or @fallback when it is empty or inverted. */
static void iface_for(char *out, const char *name, const unsigned char *mask,
		      bool inv, const char *fallback)
{
	size_t n = strnlen(name, IFNAMSIZ - 1);

	if (inv || n == 0 || !mask[0]) {
		n = strnlen(fallback, IFNAMSIZ - 1); /* snprintf's cut */
		memcpy(out, fallback, n);
		out[n] = '\0';
		return;
	}
	memcpy(out, name, n);
	out[n] = '\0';
	if (!mask[n] && n < IFNAMSIZ - 2) /* "eth+": any name going on */
		out[n] = '0', out[n + 1] = '\0';
}

/* ---- running the tracer --------------------------------------------- */

/* What the lints share: the ruleset, a tracer over it, a result. */
struct lint {
	const struct ruleset *rs;
	const char *file;
	struct tracer *tr;
	struct trace_result *res;
	struct diag_list *dl;
	struct line_cache lines;
};

static void lint_trace(struct lint *l, const struct witness *w)
{
	tracer_run(l->tr, &w->p, l->res);
}

/* Whether some outcome of the last trace ends in @verdict. */
static bool some_verdict(const struct lint *l, const char *verdict)
{
	for (size_t i = 0; i < l->res->npaths; i++)
		if (strcmp(l->res->paths[i].verdict, verdict) == 0)
			return true;
	return false;
}

/* Whether an outcome of the last trace matched rule @r (and, if
 * @verdict, ended in it). */
static bool trace_hits(const struct lint *l, const struct rule *r,
		       const char *verdict)
{
	for (size_t i = 0; i < l->res->npaths; i++) {
		const struct trace_path *p = &l->res->paths[i];

		if (verdict && strcmp(p->verdict, verdict) != 0)
			continue;
		for (size_t k = 0; k < p->nsteps; k++)
			if (p->steps[k].kind == TS_RULE &&
			    &p->steps[k].chain->rules[p->steps[k].rule - 1] ==
				    r)
				return true;
	}
	return false;
}

static void warn(struct lint *l, const struct rule *r, const char *name,
		 const struct witness *w, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Append @n bytes of @s at @*at. */
static void cat(char **at, const char *s, size_t n)
{
	memcpy(*at, s, n);
	*at += n;
}

/*
 * Give the warning @msg (@mlen bytes), then " [@name]" if @tag, at @loc,
 * with the hint "witness: iptload trace FILE WORDS; to silence: '#
 * lint-ignore:@name' on the rule's line": both in one allocation, without
 * a format (`check` of a big ruleset gives a warning per rule).
 */
static void give(struct lint *l, const struct src_loc *loc, const char *msg,
		 size_t mlen, bool tag, const char *name, const char *words)
{
	static const char h1[] = "witness: iptload trace ",
			  h2[] = "; to silence: '# lint-ignore:",
			  h3[] = "' on the rule's line";
	size_t nlen = strlen(name), flen = strlen(l->file),
	       wlen = strlen(words);
	size_t size = mlen + (tag ? nlen + 3 : 0) + 1 + sizeof(h1) - 1 + flen +
		      1 + wlen + sizeof(h2) - 1 + nlen + sizeof(h3);
	char *text = malloc(size), *at = text;
	size_t hint_at;

	if (!text)
		abort();
	cat(&at, msg, mlen);
	if (tag) {
		cat(&at, " [", 2);
		cat(&at, name, nlen);
		cat(&at, "]", 1);
	}
	*at++ = '\0';
	hint_at = (size_t)(at - text);
	cat(&at, h1, sizeof(h1) - 1);
	cat(&at, l->file, flen);
	cat(&at, " ", 1);
	cat(&at, words, wlen);
	cat(&at, h2, sizeof(h2) - 1);
	cat(&at, name, nlen);
	cat(&at, h3, sizeof(h3)); /* with the NUL */
	diag_warning_take(l->dl, loc, 1, text, hint_at);
}

static void warn(struct lint *l, const struct rule *r, const char *name,
		 const struct witness *w, const char *fmt, ...)
{
	char msg[512];
	const char *text = msg;
	size_t n;
	va_list ap;

	if (!strchr(fmt, '%')) {
		/* The message as it is (cut as vsnprintf would cut it). */
		text = fmt;
		n = strnlen(fmt, sizeof(msg) - 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		n = strlen(msg);
	}
	give(l, &r->loc, text, n, true, name, w->words);
}

/* ---- shadowed rules --------------------------------------------------- */

/* Whether the addresses @a/@am (inverted: @ainv) include all of
 * @b/@bm (@binv). */
static bool addr_covers(struct in_addr a, struct in_addr am, bool ainv,
			struct in_addr b, struct in_addr bm, bool binv)
{
	uint32_t A = ntohl(a.s_addr), AM = ntohl(am.s_addr);
	uint32_t B = ntohl(b.s_addr), BM = ntohl(bm.s_addr);

	if (AM == 0)
		return !ainv;
	if ((AM & BM) != AM)
		return binv && ainv && (BM & AM) == BM && (A & BM) == (B & BM);
	if (!ainv && !binv)
		return (B & AM) == (A & AM);
	if (ainv && !binv)
		return (B & AM) != (A & AM);
	return false;
}

static bool iface_covers(const char *a, const unsigned char *am, bool ainv,
			 const char *b, const unsigned char *bm, bool binv)
{
	bool any = true;

	for (int i = 0; i < IFNAMSIZ; i++)
		any &= am[i] == 0;
	if (any)
		return !ainv;
	if (ainv != binv)
		return false;
	for (int i = 0; i < IFNAMSIZ; i++) {
		if (!am[i])
			continue;
		if (!binv && (!bm[i] || a[i] != b[i]))
			return false;
		if (binv && (am[i] != bm[i] || a[i] != b[i]))
			return false;
	}
	/* Inverted: only the same pattern. */
	return !binv || memcmp(am, bm, IFNAMSIZ) == 0;
}

static bool ip_covers(const struct ipt_ip *a, const struct ipt_ip *b)
{
	if (!addr_covers(a->src, a->smsk, a->invflags & IPT_INV_SRCIP, b->src,
			 b->smsk, b->invflags & IPT_INV_SRCIP))
		return false;
	if (!addr_covers(a->dst, a->dmsk, a->invflags & IPT_INV_DSTIP, b->dst,
			 b->dmsk, b->invflags & IPT_INV_DSTIP))
		return false;
	if (!iface_covers(a->iniface, a->iniface_mask,
			  a->invflags & IPT_INV_VIA_IN, b->iniface,
			  b->iniface_mask, b->invflags & IPT_INV_VIA_IN))
		return false;
	if (!iface_covers(a->outiface, a->outiface_mask,
			  a->invflags & IPT_INV_VIA_OUT, b->outiface,
			  b->outiface_mask, b->invflags & IPT_INV_VIA_OUT))
		return false;
	if (a->proto &&
	    (a->proto != b->proto ||
	     (a->invflags & IPT_INV_PROTO) != (b->invflags & IPT_INV_PROTO)))
		return false;
	if ((a->flags & IPT_F_FRAG) &&
	    ((b->flags & IPT_F_FRAG) != (a->flags & IPT_F_FRAG) ||
	     (a->invflags & IPT_INV_FRAG) != (b->invflags & IPT_INV_FRAG)))
		return false;
	return true;
}

static bool range_covers(const uint16_t a[2], const uint16_t b[2], bool ainv,
			 bool binv)
{
	if (a[0] == 0 && a[1] == 0xFFFF && !ainv)
		return true;
	if (ainv || binv)
		return ainv == binv && a[0] == b[0] && a[1] == b[1];
	return a[0] <= b[0] && b[1] <= a[1];
}

/* Whether every packet that passes match @bm passes @am (same name). */
static bool match_covers(const struct xt_entry_match *am,
			 const struct xt_entry_match *bm)
{
	const char *name = am->u.user.name;

	if (am->u.match_size != bm->u.match_size ||
	    am->u.user.revision != bm->u.user.revision)
		return false;
	if (strcmp(name, "tcp") == 0) {
		const struct xt_tcp *a = (const void *)am->data;
		const struct xt_tcp *b = (const void *)bm->data;

		return range_covers(a->spts, b->spts,
				    a->invflags & XT_TCP_INV_SRCPT,
				    b->invflags & XT_TCP_INV_SRCPT) &&
		       range_covers(a->dpts, b->dpts,
				    a->invflags & XT_TCP_INV_DSTPT,
				    b->invflags & XT_TCP_INV_DSTPT) &&
		       !a->option &&
		       (a->flg_mask == 0 ||
			(a->flg_mask == b->flg_mask &&
			 a->flg_cmp == b->flg_cmp &&
			 (a->invflags & XT_TCP_INV_FLAGS) ==
				 (b->invflags & XT_TCP_INV_FLAGS)));
	}
	if (strcmp(name, "udp") == 0) {
		const struct xt_udp *a = (const void *)am->data;
		const struct xt_udp *b = (const void *)bm->data;

		return range_covers(a->spts, b->spts,
				    a->invflags & XT_UDP_INV_SRCPT,
				    b->invflags & XT_UDP_INV_SRCPT) &&
		       range_covers(a->dpts, b->dpts,
				    a->invflags & XT_UDP_INV_DSTPT,
				    b->invflags & XT_UDP_INV_DSTPT);
	}
	if (strcmp(name, "conntrack") == 0 && am->u.user.revision >= 2) {
		const struct xt_conntrack_mtinfo2 *a = (const void *)am->data;
		const struct xt_conntrack_mtinfo2 *b = (const void *)bm->data;

		if (a->match_flags == XT_CONNTRACK_STATE &&
		    b->match_flags == XT_CONNTRACK_STATE && !a->invert_flags &&
		    !b->invert_flags)
			return (b->state_mask & ~a->state_mask) == 0;
	}
	/* limit, hashlimit, recent: the same bytes are two counters. */
	if (strcmp(name, "limit") == 0 || strcmp(name, "hashlimit") == 0 ||
	    strcmp(name, "recent") == 0 || strcmp(name, "statistic") == 0 ||
	    strcmp(name, "quota") == 0 || strcmp(name, "connlimit") == 0)
		return false;
	return memcmp(am->data, bm->data,
		      am->u.match_size - sizeof(struct xt_entry_match)) == 0;
}

/* Whether rule @a matches every packet rule @b matches. */
static bool rule_covers(const struct ipt_entry *a, const struct ipt_entry *b)
{
	const struct xt_entry_match *am, *bm;
	size_t aoff = 0;

	if (!ip_covers(&a->ip, &b->ip))
		return false;
	while ((am = lint_match_at(a, &aoff))) {
		size_t boff = 0;
		bool found = false;

		if (match_is(am, "comment"))
			continue;
		while (!found && (bm = lint_match_at(b, &boff)))
			found = strcmp(am->u.user.name, bm->u.user.name) == 0 &&
				match_covers(am, bm);
		if (!found)
			return false;
	}
	return true;
}

/* Whether @e ends the walk of its table for every packet it matches. */
static bool ends_walk(const struct table *t, const struct ipt_entry *e)
{
	static const char *const names[] = {
		"ACCEPT", "DROP", "REJECT",	"QUEUE",    "RETURN",
		"DNAT",	  "SNAT", "MASQUERADE", "REDIRECT", "NETMAP",
	};
	const char *name =
		rule_target_name(FAMILY_IPV4, (const struct entry *)e);

	if ((e->ip.flags & IPT_F_GOTO) &&
	    rule_jump_chain(t, (const struct entry *)e))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (name[0] == names[i][0] && strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Whether rule @e may change what a later match sees (a mark, a
 * connmark, conntrack, or anything in a called chain). */
static bool changes_what_follows(const struct table *t,
				 const struct ipt_entry *e)
{
	static const char *const names[] = {
		"MARK", "CONNMARK", "CT", "NOTRACK", "DNAT", "REDIRECT"
	};

	if (rule_jump_chain(t, (const struct entry *)e))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (target_is(e, names[i]))
			return true;
	return false;
}

/* The words of a packet that matches @e (for a shadowed rule). */
static void witness_of_rule(struct witness *w, const struct chain *c,
			    const struct ipt_entry *e,
			    const struct in_addr *src)
{
	const struct ipt_ip *ip = &e->ip;
	const struct xt_entry_match *m;
	char in[IFNAMSIZ], out[IFNAMSIZ];
	int hook = c->hook;
	bool want_in, want_out;

	witness_init(w);
	if (hook < 0) {
		/* A user chain: pretend a forwarded packet, unless its rules
		 * name only one interface side. */
		hook = NF_INET_FORWARD;
	}
	want_in = hook != NF_INET_LOCAL_OUT;
	want_out = hook != NF_INET_PRE_ROUTING && hook != NF_INET_LOCAL_IN;
	iface_for(in, ip->iniface, ip->iniface_mask,
		  ip->invflags & IPT_INV_VIA_IN, "eth0");
	iface_for(out, ip->outiface, ip->outiface_mask,
		  ip->invflags & IPT_INV_VIA_OUT, "eth1");
	if (strcmp(in, out) == 0 && (ip->invflags & IPT_INV_VIA_OUT))
		snprintf(out, sizeof(out), "eth2");
	if (want_in)
		add_iface(w, "-i", in);
	if (want_out)
		add_iface(w, "-o", out);
	add_addr(w, "-s",
		 src			      ? *src :
		 ip->invflags & IPT_INV_SRCIP ? host_out(ip->src, ip->smsk) :
						host_in(ip->src, ip->smsk));
	add_addr(w, "-d",
		 ip->invflags & IPT_INV_DSTIP ? host_out(ip->dst, ip->dmsk) :
						host_in(ip->dst, ip->dmsk));
	if (ip->proto && !(ip->invflags & IPT_INV_PROTO))
		add_proto(w, ip->proto,
			  ip->proto == IPPROTO_TCP ? "tcp" :
			  ip->proto == IPPROTO_UDP ? "udp" :
						     NULL);
	if ((m = find_match(e, "tcp"))) {
		const struct xt_tcp *i = (const void *)m->data;

		add_ports(w, i->spts[0], i->dpts[0]);
	} else if ((m = find_match(e, "udp"))) {
		const struct xt_udp *i = (const void *)m->data;

		add_ports(w, i->spts[0], i->dpts[0]);
	}
}

/* ---- shadowed by several rules ---------------------------------------- */

/*
 * A rule can be covered by earlier rules together and by none alone: a
 * port or address list split over rules (--dport 1:1023, then
 * 1024:65535; -s 10.0.0.0/9, then 10.128.0.0/9).  Found in one
 * dimension at a time: the earlier rules that cover the rule in every
 * other dimension are the candidates, and their values in that dimension
 * together must hold every value of the rule's.  Exact: each packet of
 * the rule is then taken by some candidate.
 */
enum dim {
	DIM_SRC,
	DIM_DST,
	DIM_SPORT,
	DIM_DPORT,
	DIM_COUNT
};

/* An inclusive interval of one dimension's values. */
struct span {
	uint32_t lo, hi;
};

/* Intervals of one dimension's values; zero-initialised is empty.  The
 * first one is kept in @first (most rules have one interval in each
 * dimension: no allocation then).  Never moved once added to. */
struct spans {
	struct span *v; /* &first, or an array of @cap */
	size_t n, cap;
	struct span first;
};

static void spans_add(struct spans *s, uint32_t lo, uint32_t hi)
{
	if (s->n == s->cap) {
		if (!s->cap) {
			s->v = &s->first;
			s->cap = 1;
		} else {
			struct span *v = malloc(2 * s->cap * sizeof(*v));

			if (!v)
				abort();
			memcpy(v, s->v, s->n * sizeof(*v));
			if (s->v != &s->first)
				free(s->v);
			s->v = v;
			s->cap *= 2;
		}
	}
	s->v[s->n].lo = lo;
	s->v[s->n++].hi = hi;
}

static void spans_free(struct spans *s)
{
	if (s->v != &s->first)
		free(s->v);
}

/* Add [lo, hi] of the values 0..max, or (inverted) the rest of them. */
static void spans_add_inv(struct spans *s, uint32_t lo, uint32_t hi, bool inv,
			  uint32_t max)
{
	if (!inv) {
		spans_add(s, lo, hi);
		return;
	}
	if (lo > 0)
		spans_add(s, 0, lo - 1);
	if (hi < max)
		spans_add(s, hi + 1, max);
}

static int span_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether the union of @u holds every value of @want. */
static bool spans_cover(struct spans *u, const struct spans *want)
{
	if (u->n > 1)
		qsort(u->v, u->n, sizeof(*u->v), span_cmp);
	for (size_t k = 0; k < want->n; k++) {
		uint64_t next = want->v[k].lo; /* first value not yet held */

		for (size_t i = 0; i < u->n && next <= want->v[k].hi; i++)
			if (u->v[i].lo <= next && u->v[i].hi >= next)
				next = (uint64_t)u->v[i].hi + 1;
		if (next <= want->v[k].hi)
			return false;
	}
	return true;
}

/* Whether @a and @b have a value in common. */
static bool spans_meet(const struct spans *a, const struct spans *b)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t k = 0; k < b->n; k++)
			if (a->v[i].lo <= b->v[k].hi &&
			    b->v[k].lo <= a->v[i].hi)
				return true;
	return false;
}

/* Whether each span of @want lies in one span of @s. */
static bool spans_hold(const struct spans *s, const struct spans *want)
{
	if (s->n == 1 && want->n == 1)
		return s->v[0].lo <= want->v[0].lo &&
		       want->v[0].hi <= s->v[0].hi;
	for (size_t k = 0; k < want->n; k++) {
		size_t i = 0;

		while (i < s->n && !(s->v[i].lo <= want->v[k].lo &&
				     want->v[k].hi <= s->v[i].hi))
			i++;
		if (i == s->n)
			return false;
	}
	return true;
}

/* The port ranges of a tcp or udp match: their layouts agree up to the
 * ranges' inversion bits. */
static void tcpudp_ranges(const struct xt_entry_match *m, uint16_t **spts,
			  uint16_t **dpts, uint8_t **inv, unsigned *sinv,
			  unsigned *dinv)
{
	if (strcmp(m->u.user.name, "tcp") == 0) {
		struct xt_tcp *t = (void *)m->data;

		*spts = t->spts;
		*dpts = t->dpts;
		*inv = &t->invflags;
		*sinv = XT_TCP_INV_SRCPT;
		*dinv = XT_TCP_INV_DSTPT;
	} else {
		struct xt_udp *u = (void *)m->data;

		*spts = u->spts;
		*dpts = u->dpts;
		*inv = &u->invflags;
		*sinv = XT_UDP_INV_SRCPT;
		*dinv = XT_UDP_INV_DSTPT;
	}
}

static bool is_tcpudp(const struct xt_entry_match *m)
{
	return match_is(m, "tcp") || match_is(m, "udp");
}

/* Whether @m is a multiport match on the ports of dimension @d. */
static bool multiport_on(const struct xt_entry_match *m, enum dim d)
{
	uint8_t want = d == DIM_SPORT ? XT_MULTIPORT_SOURCE :
					XT_MULTIPORT_DESTINATION;

	return match_is(m, "multiport") &&
	       (m->u.user.revision == 0 || m->u.user.revision == 1) &&
	       ((const struct xt_multiport *)m->data)->flags == want;
}

/* Add the ports multiport @m matches. */
static void multiport_spans(const struct xt_entry_match *m, struct spans *s)
{
	if (m->u.user.revision == 0) {
		const struct xt_multiport *i = (const void *)m->data;

		for (size_t k = 0; k < i->count && k < XT_MULTI_PORTS; k++)
			spans_add(s, i->ports[k], i->ports[k]);
	} else {
		const struct xt_multiport_v1 *i = (const void *)m->data;
		struct spans own = { 0 };
		uint32_t next = 0;

		for (size_t k = 0; k < i->count && k < XT_MULTI_PORTS; k++) {
			uint16_t lo = i->ports[k], hi = lo;

			if (i->pflags[k] && k + 1 < i->count)
				hi = i->ports[++k];
			spans_add(&own, lo, hi);
		}
		if (!i->invert) {
			for (size_t k = 0; k < own.n; k++)
				spans_add(s, own.v[k].lo, own.v[k].hi);
			spans_free(&own);
			return;
		}
		/* Inverted: the ports between the listed ones. */
		if (own.n > 1)
			qsort(own.v, own.n, sizeof(*own.v), span_cmp);
		for (size_t k = 0; k < own.n; k++) {
			if (own.v[k].lo > next)
				spans_add(s, next, own.v[k].lo - 1);
			if (own.v[k].hi + 1 > next)
				next = own.v[k].hi + 1;
		}
		if (next <= 0xFFFF)
			spans_add(s, next, 0xFFFF);
		spans_free(&own);
	}
}

/* Add the values @e allows in dimension @d (all of them, or more).
 * Returns how many matches limit its ports (0: every port), for an
 * address 1, or -1 when an iprange limits it further. */
static int dim_spans(const struct ipt_entry *e, enum dim d, struct spans *s)
{
	const struct xt_entry_match *m, *first = NULL;
	size_t off = 0;
	int n = 0;

	if (d == DIM_SRC || d == DIM_DST) {
		struct in_addr a = d == DIM_SRC ? e->ip.src : e->ip.dst;
		struct in_addr mk = d == DIM_SRC ? e->ip.smsk : e->ip.dmsk;
		bool inv = e->ip.invflags &
			   (d == DIM_SRC ? IPT_INV_SRCIP : IPT_INV_DSTIP);
		uint32_t lo = ntohl(a.s_addr & mk.s_addr);

		spans_add_inv(s, lo, lo | ~ntohl(mk.s_addr), inv, 0xFFFFFFFFu);
		return find_match(e, "iprange") ? -1 : 1;
	}
	while ((m = lint_match_at(e, &off))) {
		if (is_tcpudp(m) || multiport_on(m, d)) {
			n++;
			if (!first)
				first = m;
		}
	}
	if (!first) {
		spans_add(s, 0, 0xFFFF);
	} else if (is_tcpudp(first)) {
		uint16_t *spts, *dpts;
		uint8_t *inv;
		unsigned sinv, dinv;

		tcpudp_ranges(first, &spts, &dpts, &inv, &sinv, &dinv);
		if (d == DIM_SPORT)
			spans_add_inv(s, spts[0], spts[1], *inv & sinv, 0xFFFF);
		else
			spans_add_inv(s, dpts[0], dpts[1], *inv & dinv, 0xFFFF);
	} else {
		multiport_spans(first, s);
	}
	return n;
}

/* Whether @e has a match that needs the packet's ports (no fragment
 * after the first one passes it). */
static bool needs_ports(const struct ipt_entry *e)
{
	const struct xt_entry_match *m;
	size_t off = 0;

	while ((m = lint_match_at(e, &off)))
		if (is_tcpudp(m) || match_is(m, "multiport"))
			return true;
	return false;
}

/* Whether match @am of a rule is found, covering, among @b's matches. */
static bool match_found(const struct xt_entry_match *am,
			const struct ipt_entry *b)
{
	const struct xt_entry_match *bm;
	size_t boff = 0;

	while ((bm = lint_match_at(b, &boff)))
		if (strcmp(am->u.user.name, bm->u.user.name) == 0 &&
		    match_covers(am, bm))
			return true;
	return false;
}

/* rule_covers() with dimension @d left out: every packet of @b, with
 * its value in @d changed to any value, is one of @a's.  @b needs its
 * ports for a port dimension (needs_ports). */
static bool rule_covers_except(const struct ipt_entry *a,
			       const struct ipt_entry *b, enum dim d)
{
	struct ipt_ip ip = a->ip;
	const struct xt_entry_match *am;
	size_t aoff = 0;

	if (d == DIM_SRC) {
		ip.smsk.s_addr = 0;
		ip.invflags &= ~IPT_INV_SRCIP;
	} else if (d == DIM_DST) {
		ip.dmsk.s_addr = 0;
		ip.invflags &= ~IPT_INV_DSTIP;
	}
	if (!ip_covers(&ip, &b->ip))
		return false;
	while ((am = lint_match_at(a, &aoff))) {
		union {
			struct xt_entry_match m;
			char buf[256];
		} w;
		uint16_t *spts, *dpts, *r;
		uint8_t *inv;
		unsigned sinv, dinv;

		if (match_is(am, "comment"))
			continue;
		if (d < DIM_SPORT || !(is_tcpudp(am) || multiport_on(am, d))) {
			if (!match_found(am, b))
				return false;
			continue;
		}
		if (!is_tcpudp(am))
			continue; /* multiport on @d: left out */
		if (am->u.match_size > sizeof(w))
			return false;
		/* tcp or udp with @d's range opened up: nothing left out if
		 * that is all it asked (the ports are there: needs_ports). */
		memcpy(w.buf, am, am->u.match_size);
		tcpudp_ranges(&w.m, &spts, &dpts, &inv, &sinv, &dinv);
		r = d == DIM_SPORT ? spts : dpts;
		r[0] = 0;
		r[1] = 0xFFFF;
		*inv &= (uint8_t) ~(d == DIM_SPORT ? sinv : dinv);
		if (spts[0] == 0 && spts[1] == 0xFFFF && dpts[0] == 0 &&
		    dpts[1] == 0xFFFF && *inv == 0 &&
		    (strcmp(am->u.user.name, "udp") == 0 ||
		     (((struct xt_tcp *)w.m.data)->flg_mask == 0 &&
		      ((struct xt_tcp *)w.m.data)->option == 0)))
			continue;
		if (!match_found(&w.m, b))
			return false;
	}
	return true;
}

/* A rule's values in each dimension when they are one interval (bit d
 * of @single), kept together: most tests look at these only. */
struct box {
	uint32_t lo[DIM_COUNT], hi[DIM_COUNT];
	uint8_t single;
};

/* What the shadowed lint knows of each rule of one chain, found once. */
struct chain_facts {
	const struct chain *c;
	bool *ends;    /* ends the walk for every packet it matches */
	bool *changes; /* may change what a later match sees */
	/* Its values in each dimension (dim_spans), and what that said. */
	struct spans (*spans)[DIM_COUNT];
	int (*nspans)[DIM_COUNT];
	struct box *box;
	uint8_t *which; /* union_covers' answer, a bit per dimension */
};

static void facts_init(struct chain_facts *f, const struct table *t,
		       const struct chain *c)
{
	size_t n = c->nrules + 1;

	f->c = c;
	f->ends = calloc(n, sizeof(*f->ends));
	f->changes = calloc(n, sizeof(*f->changes));
	f->spans = calloc(n, sizeof(*f->spans));
	f->nspans = calloc(n, sizeof(*f->nspans));
	f->which = calloc(n, sizeof(*f->which));
	f->box = calloc(n, sizeof(*f->box));
	if (!f->ends || !f->changes || !f->spans || !f->nspans || !f->which ||
	    !f->box)
		abort();
	for (size_t i = 0; i < c->nrules; i++) {
		const struct ipt_entry *e = entry_v4(c->rules[i].entry);

		f->ends[i] = ends_walk(t, e);
		f->changes[i] = changes_what_follows(t, e);
		for (int d = 0; d < DIM_COUNT; d++) {
			const struct spans *sp = &f->spans[i][d];

			f->nspans[i][d] =
				dim_spans(e, (enum dim)d, &f->spans[i][d]);
			if (sp->n != 1)
				continue;
			f->box[i].lo[d] = sp->v[0].lo;
			f->box[i].hi[d] = sp->v[0].hi;
			f->box[i].single |= (uint8_t)(1u << d);
		}
	}
}

static void facts_free(struct chain_facts *f)
{
	for (size_t i = 0; i < f->c->nrules; i++)
		for (int d = 0; d < DIM_COUNT; d++)
			spans_free(&f->spans[i][d]);
	free(f->ends);
	free(f->changes);
	free(f->spans);
	free(f->nspans);
	free(f->which);
	free(f->box);
}

/* Whether a rule between @from and @to of the chain may change what a
 * match sees. */
static bool changes_between(const struct chain_facts *f, size_t from, size_t to)
{
	for (size_t k = from + 1; k < to; k++)
		if (f->changes[k])
			return true;
	return false;
}

/* Whether rule @i holds every value of rule @j in dimension @d. */
static bool facts_hold(const struct chain_facts *f, size_t i, size_t j, int d)
{
	const struct box *a = &f->box[i], *b = &f->box[j];

	if (a->single & b->single & (1u << d))
		return a->lo[d] <= b->lo[d] && b->hi[d] <= a->hi[d];
	return spans_hold(&f->spans[i][d], &f->spans[j][d]);
}

/* Whether rules @i and @j have a value in common in dimension @d. */
static bool facts_meet(const struct chain_facts *f, size_t i, size_t j, int d)
{
	const struct box *a = &f->box[i], *b = &f->box[j];

	if (a->single & b->single & (1u << d))
		return a->lo[d] <= b->hi[d] && b->lo[d] <= a->hi[d];
	return spans_meet(&f->spans[i][d], &f->spans[j][d]);
}

/* Whether some packet has addresses that both @a and @b allow: a rule
 * of no use in the union otherwise (it would have to hold some of @b's
 * values in one dimension, all of them in the others). */
static bool addrs_meet(const struct ipt_ip *a, const struct ipt_ip *b)
{
	if (!((a->invflags | b->invflags) & IPT_INV_SRCIP) &&
	    ((a->src.s_addr ^ b->src.s_addr) & a->smsk.s_addr & b->smsk.s_addr))
		return false;
	if (!((a->invflags | b->invflags) & IPT_INV_DSTIP) &&
	    ((a->dst.s_addr ^ b->dst.s_addr) & a->dmsk.s_addr & b->dmsk.s_addr))
		return false;
	return true;
}

/*
 * Which earlier rules may cover a rule, found without looking at every
 * earlier rule (addr_index.h): a rule that covers another holds its
 * source addresses, and its destination addresses.
 */
/* The source and destination indexes of one chain's ending rules so far,
 * and a list of candidates with a stamp per rule to list each once. */
struct cover_index {
	struct addr_index src, dst;
	/* By destination port: a rule whose one port match allows one
	 * destination port P is filed as the address P/32, any other rule
	 * as 0/0 (every query returns it). */
	struct addr_index dport;
	size_t *cand;
	size_t ncand;
	size_t *stamp; /* the number of the last query that listed it */
	size_t query;  /* queries so far */
};

/* Whether rule @i allows one value only in dimension @d, and which. */
static bool one_value(const struct chain_facts *f, size_t i, int d, uint32_t *v)
{
	const struct spans *sp = &f->spans[i][d];

	if (sp->n != 1 || sp->v[0].lo != sp->v[0].hi)
		return false;
	*v = sp->v[0].lo;
	return true;
}

static void cover_index_add(struct cover_index *ci, const struct chain_facts *f,
			    size_t i)
{
	const struct ipt_entry *e = entry_v4(f->c->rules[i].entry);
	struct in_addr port = { 0 }, mask = { 0 };
	uint32_t p;

	addr_index_add(&ci->src, e->ip.src, e->ip.smsk,
		       e->ip.invflags & IPT_INV_SRCIP, i);
	addr_index_add(&ci->dst, e->ip.dst, e->ip.dmsk,
		       e->ip.invflags & IPT_INV_DSTIP, i);
	if (f->nspans[i][DIM_DPORT] == 1 && one_value(f, i, DIM_DPORT, &p)) {
		port.s_addr = htonl(p);
		mask.s_addr = 0xFFFFFFFFu;
	}
	addr_index_add(&ci->dport, port, mask, false, i);
}

static int size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The earlier rules that may hold every value of a rule in one
 * dimension: index buckets, and how many rules are in them. */
struct holders {
	const struct addr_bucket *b[ADDR_INDEX_MAXQ];
	size_t n, total; /* total SIZE_MAX: no such list */
};

/* The holders of rule @j's values in dimension @d (DIM_SRC, DIM_DST or
 * DIM_DPORT). */
static void holders_of(const struct cover_index *ci,
		       const struct chain_facts *f, size_t j, int d,
		       struct holders *h)
{
	const struct ipt_entry *e = entry_v4(f->c->rules[j].entry);
	struct in_addr port = { 0 }, mask = { 0 };
	uint32_t p;

	if (d == DIM_SRC) {
		h->n = addr_index_query(&ci->src, e->ip.src, e->ip.smsk,
					e->ip.invflags & IPT_INV_SRCIP, h->b,
					&h->total);
		return;
	}
	if (d == DIM_DST) {
		h->n = addr_index_query(&ci->dst, e->ip.dst, e->ip.dmsk,
					e->ip.invflags & IPT_INV_DSTIP, h->b,
					&h->total);
		return;
	}
	/* Only a rule with one destination port P is filed under P, and it
	 * holds P only; a range or every port (no port match) is held by
	 * the rules filed under 0/0.  Two port matches: no list. */
	if (f->nspans[j][DIM_DPORT] > 1) {
		h->n = 0;
		h->total = SIZE_MAX;
		return;
	}
	if (f->nspans[j][DIM_DPORT] == 1 && one_value(f, j, DIM_DPORT, &p)) {
		port.s_addr = htonl(p);
		mask.s_addr = 0xFFFFFFFFu;
	}
	h->n = addr_index_query(&ci->dport, port, mask, false, h->b, &h->total);
}

/* Add the rules of @h at or after @from to the candidates of the query
 * under way, each once. */
static void cand_add(struct cover_index *ci, const struct holders *h,
		     size_t from)
{
	for (size_t k = 0; k < h->n; k++)
		for (size_t m = 0; m < h->b[k]->n; m++) {
			size_t i = addr_bucket_idx(h->b[k])[m];

			if (i < from || ci->stamp[i] == ci->query)
				continue;
			ci->stamp[i] = ci->query;
			ci->cand[ci->ncand++] = i;
		}
}

/* The holders with the fewest rules among dimensions SRC, DST and DPORT
 * other than @but. */
static const struct holders *fewest(const struct holders h[DIM_COUNT], int but)
{
	static const int dims[] = { DIM_SRC, DIM_DST, DIM_DPORT };
	const struct holders *best = NULL;

	for (size_t k = 0; k < ARRAY_SIZE(dims); k++)
		if (dims[k] != but && h[dims[k]].total != SIZE_MAX &&
		    (!best || h[dims[k]].total < best->total))
			best = &h[dims[k]];
	return best;
}

/*
 * The earlier rules, from @from on, that may cover rule @j, ascending, in
 * ci->cand[0..ncand).  @alone: a rule that covers @j by itself holds its
 * values in every dimension, so the smallest list of holders has it.
 * Else a rule of a union that takes part of @j's values in dimension d
 * holds all of them in the others: for each d in which @j has two values
 * or more (one value cannot be split), the smallest list of holders of
 * another dimension has every such rule.
 */
static void candidates(struct cover_index *ci, const struct chain_facts *f,
		       size_t from, size_t j, bool alone,
		       const struct holders h[DIM_COUNT])
{
	const struct ipt_entry *b = entry_v4(f->c->rules[j].entry);
	const struct holders *use;
	uint32_t v;

	ci->ncand = 0;
	ci->query++;
	/* An inverted address is held by a prefix of its complement too:
	 * look at every rule for a union then. */
	if (!alone && (b->ip.invflags & (IPT_INV_SRCIP | IPT_INV_DSTIP))) {
		for (size_t i = from; i < j; i++)
			ci->cand[ci->ncand++] = i;
		return;
	}
	if (alone) {
		cand_add(ci, fewest(h, -1), from);
	} else {
		for (int d = 0; d < DIM_COUNT; d++) {
			if (one_value(f, j, d, &v) ||
			    (d >= DIM_SPORT && !needs_ports(b)))
				continue;
			use = fewest(h, d);
			cand_add(ci, use, from);
		}
	}
	/* Often in order already (one bucket, or none): the indices are
	 * distinct, so qsort would leave a sorted list as it is. */
	for (size_t k = 1; k < ci->ncand; k++)
		if (ci->cand[k - 1] > ci->cand[k]) {
			qsort(ci->cand, ci->ncand, sizeof(*ci->cand), size_cmp);
			break;
		}
}

/*
 * The dimension in which rules @from.. of the chain before @j cover rule
 * @j together, or -1; @f->which then says (bit d) which rules take some
 * of its packets.  A candidate must cover @j's addresses in the other
 * address dimension: a quick test before rule_covers_except.
 */
static int union_covers(struct chain_facts *f, struct cover_index *ci,
			size_t from, size_t j,
			const struct holders h[DIM_COUNT])
{
	const struct ipt_entry *b = entry_v4(f->c->rules[j].entry);
	const struct spans *want = f->spans[j];
	struct spans have[DIM_COUNT] = { 0 };
	size_t used[DIM_COUNT] = { 0 };
	/* Ports only when @b needs them: later fragments pass the port
	 * matches of the candidates by. */
	unsigned ports =
		needs_ports(b) ? (1u << DIM_SPORT) | (1u << DIM_DPORT) : 0;
	int found = -1;

	candidates(ci, f, from, j, false, h);
	for (size_t k = 0; k < ci->ncand; k++) {
		const size_t i = ci->cand[k];
		const struct ipt_entry *a = entry_v4(f->c->rules[i].entry);
		const struct spans *one = f->spans[i];
		bool src, dst;
		unsigned dims;

		f->which[i] = 0;
		if (!f->ends[i] || !addrs_meet(&a->ip, &b->ip))
			continue;
		src = facts_hold(f, i, j, DIM_SRC);
		dst = facts_hold(f, i, j, DIM_DST);
		/* A dimension needs @a to hold @b's values in the others,
		 * and only some of them in it (all of them: it would cover
		 * @b alone, which the pairwise test looked at). */
		dims = (dst && !src ? 1u << DIM_SRC : 0) |
		       (src && !dst ? 1u << DIM_DST : 0) |
		       (src && dst ? ports : 0);
		for (int d = 0; dims; d++) {
			if (!(dims & (1u << d)))
				continue;
			dims &= ~(1u << d);
			/* @a's values exactly, or it is no use: not two
			 * matches on the same ports, no iprange beside the
			 * address. */
			if (f->nspans[i][d] != 1 || !facts_meet(f, i, j, d) ||
			    (d >= DIM_SPORT && facts_hold(f, i, j, d)) ||
			    !rule_covers_except(a, b, (enum dim)d))
				continue;
			for (size_t v = 0; v < one[d].n; v++)
				spans_add(&have[d], one[d].v[v].lo,
					  one[d].v[v].hi);
			f->which[i] |= 1u << d;
			used[d]++;
		}
	}
	for (int d = 0; d < DIM_COUNT && found < 0; d++)
		if (used[d] > 1 && spans_cover(&have[d], &want[d]))
			found = d;
	for (int d = 0; d < DIM_COUNT; d++)
		spans_free(&have[d]);
	return found;
}

/* Warn that rules of @c together shadow rule @j, if they do. */
static bool lint_shadowed_union(struct lint *l, const struct table *t,
				struct chain_facts *f, struct cover_index *ci,
				size_t from, size_t j,
				const struct holders h[DIM_COUNT])
{
	const struct chain *c = f->c;
	const struct rule *b = &c->rules[j];
	char rules[128] = "", lines[128] = "";
	size_t nr = 0, lr = 0, shown = 0, more = 0;
	struct witness w;
	int d;

	d = union_covers(f, ci, from, j, h);
	if (d < 0 || rule_ignores(&l->lines, b, "shadowed"))
		return d >= 0;
	for (size_t k = 0; k < ci->ncand; k++) {
		const size_t i = ci->cand[k];

		if (!(f->which[i] & (1u << d)))
			continue;
		if (shown == 5) {
			more++;
			continue;
		}
		nr += (size_t)snprintf(rules + nr, sizeof(rules) - nr, "%s%zu",
				       shown ? ", " : "", i + 1);
		lr += (size_t)snprintf(lines + lr, sizeof(lines) - lr, "%s%u",
				       shown ? ", " : "", c->rules[i].loc.line);
		shown++;
	}
	witness_of_rule(&w, c, entry_v4(b->entry), NULL);
	diag_warning(l->dl, &b->loc, 1,
		     "no packet reaches this rule: rules %s%s of %s %s "
		     "(lines %s%s) take every packet it would match "
		     "together [shadowed]",
		     rules, more ? " and more" : "", t->name, c->name, lines,
		     more ? ", ..." : "");
	diag_hint(l->dl,
		  "witness: iptload trace %s %s; to silence: "
		  "'# lint-ignore:shadowed' on the rule's line",
		  l->file, w.words);
	return true;
}

static void lint_shadowed_chain(struct lint *l, const struct table *t,
				const struct chain *c)
{
	struct chain_facts f;
	/* The first rule that may take rule j's packets unchanged: the
	 * last one before j that may change what a match sees. */
	size_t from = 0;

	struct cover_index ci = { 0 };

	facts_init(&f, t, c);
	ci.cand = calloc(c->nrules + 1, sizeof(*ci.cand));
	ci.stamp = calloc(c->nrules + 1, sizeof(*ci.stamp));
	if (!ci.cand || !ci.stamp)
		abort();
	for (size_t j = 1; j < c->nrules; j++) {
		const struct rule *b = &c->rules[j];
		struct holders h[DIM_COUNT];
		bool pairwise = false;

		if (f.ends[j - 1])
			cover_index_add(&ci, &f, j - 1);
		if (f.changes[j - 1])
			from = j - 1;
		/* The holders of @b's values, for both questions. */
		holders_of(&ci, &f, j, DIM_SRC, &h[DIM_SRC]);
		holders_of(&ci, &f, j, DIM_DST, &h[DIM_DST]);
		holders_of(&ci, &f, j, DIM_DPORT, &h[DIM_DPORT]);
		/* The first earlier rule that covers @b, among those that
		 * may (candidates() lists every one that does). */
		candidates(&ci, &f, 0, j, true, h);
		for (size_t k = 0; k < ci.ncand; k++) {
			const size_t i = ci.cand[k];
			const struct rule *a = &c->rules[i];
			struct witness w;

			if (!rule_covers(entry_v4(a->entry),
					 entry_v4(b->entry)))
				continue;
			if (changes_between(&f, i, j))
				break;
			pairwise = true;
			if (rule_ignores(&l->lines, b, "shadowed"))
				break;
			witness_of_rule(&w, c, entry_v4(b->entry), NULL);
			diag_warning(l->dl, &b->loc, 1,
				     "no packet reaches this rule: rule %zu of "
				     "%s %s (line %u) takes every packet it "
				     "would match [shadowed]",
				     i + 1, t->name, c->name, a->loc.line);
			diag_hint(l->dl,
				  "witness: iptload trace %s %s; to silence: "
				  "'# lint-ignore:shadowed' on the rule's line",
				  l->file, w.words);
			break;
		}
		if (!pairwise && j - from > 1)
			lint_shadowed_union(l, t, &f, &ci, from, j, h);
	}
	facts_free(&f);
	addr_index_free(&ci.src);
	addr_index_free(&ci.dst);
	addr_index_free(&ci.dport);
	free(ci.cand);
	free(ci.stamp);
}

static void lint_shadowed(struct lint *l)
{
	for (int id = 0; id < TABLE_COUNT; id++) {
		const struct table *t = &l->rs->tables[id];

		if (!t->named)
			continue;
		for (size_t i = 0; i < t->nchains; i++)
			lint_shadowed_chain(l, t, t->chains[i]);
	}
}

/* ---- the IPsec picture of the ruleset --------------------------------- */

/* What the policy-matched rules say about the VPN. */
struct vpn {
	/* The remote side: sources of --dir in rules, destinations of
	 * --dir out rules. */
	struct in_addr net[16], mask[16];
	size_t nnets;
	/* Our tunnel end, when a rule names it (--tunnel-dst of --dir in,
	 * --tunnel-src of --dir out). */
	struct in_addr local;
	bool has_local;
	char ext[IFNAMSIZ];	    /* the interface the tunnel comes in by */
	const struct rule *in_rule; /* a --dir in --pol ipsec rule */
	const struct rule *out_rule;
};

static void vpn_add_net(struct vpn *v, struct in_addr a, struct in_addr m)
{
	for (size_t i = 0; i < v->nnets; i++)
		if (v->net[i].s_addr == a.s_addr &&
		    v->mask[i].s_addr == m.s_addr)
			return;
	if (v->nnets < ARRAY_SIZE(v->net) && m.s_addr) {
		v->net[v->nnets] = a;
		v->mask[v->nnets++] = m;
	}
}

static void vpn_note(struct vpn *v, const struct rule *r)
{
	const struct ipt_entry *e = entry_v4(r->entry);
	const struct xt_policy_info *pi = policy_of(e);
	const struct xt_policy_elem *pe = pi ? &pi->pol[0] : NULL;

	if (requires_ipsec(e, XT_POLICY_MATCH_IN)) {
		if (!(e->ip.invflags & IPT_INV_SRCIP))
			vpn_add_net(v, e->ip.src, e->ip.smsk);
		if (pe->match.daddr && pe->dmask.a4.s_addr == 0xFFFFFFFFu &&
		    !v->has_local) {
			v->local = pe->daddr.a4;
			v->has_local = true;
		}
		if (!v->ext[0] && e->ip.iniface[0] &&
		    !(e->ip.invflags & IPT_INV_VIA_IN))
			iface_for(v->ext, e->ip.iniface, e->ip.iniface_mask,
				  false, "");
		if (!v->in_rule)
			v->in_rule = r;
	} else if (requires_ipsec(e, XT_POLICY_MATCH_OUT)) {
		if (!(e->ip.invflags & IPT_INV_DSTIP))
			vpn_add_net(v, e->ip.dst, e->ip.dmsk);
		if (pe->match.saddr && pe->smask.a4.s_addr == 0xFFFFFFFFu &&
		    !v->has_local) {
			v->local = pe->saddr.a4;
			v->has_local = true;
		}
		if (!v->ext[0] && e->ip.outiface[0] &&
		    !(e->ip.invflags & IPT_INV_VIA_OUT))
			iface_for(v->ext, e->ip.outiface, e->ip.outiface_mask,
				  false, "");
		if (!v->out_rule)
			v->out_rule = r;
	}
}

static void vpn_scan(const struct ruleset *rs, struct vpn *v)
{
	memset(v, 0, sizeof(*v));
	for (int id = 0; id < TABLE_COUNT; id++) {
		const struct table *t = &rs->tables[id];

		if (!t->named)
			continue;
		for (size_t i = 0; i < t->nchains; i++)
			for (size_t j = 0; j < t->chains[i]->nrules; j++)
				vpn_note(v, &t->chains[i]->rules[j]);
	}
}

/* The SA words of a tunnel between a client and our end. */
static void add_sa(struct witness *w, const struct vpn *v, bool in)
{
	char local[INET_ADDRSTRLEN];
	struct trace_sa *sa = in ? &w->p.in_sa[w->p.nin++] :
				   &w->p.out_sa[w->p.nout++];

	ipv4_text(v->local, local);
	put_blank(w);
	put_text(w, in ? "--ipsec-in mode=tunnel,proto=esp,src=" :
			 "--ipsec-out mode=tunnel,proto=esp,src=");
	put_text(w, in ? ANY_REMOTE : local);
	put_text(w, ",dst=");
	put_text(w, in ? local : ANY_REMOTE);
	sa->mode = 1; /* XFRM_MODE_TUNNEL */
	sa->proto = IPPROTO_ESP;
	sa->src.s_addr = in ? htonl(ANY_REMOTE_HOST) : v->local.s_addr;
	sa->dst.s_addr = in ? v->local.s_addr : htonl(ANY_REMOTE_HOST);
	if (in) {
		put_text(w, " --ipsec-leg inner");
		w->p.leg = TRACE_LEG_INNER;
	}
}

/* Whether @e's source overlaps VPN network @k. */
static bool src_overlaps(const struct ipt_entry *e, const struct vpn *v,
			 size_t k)
{
	uint32_t m = ntohl(e->ip.smsk.s_addr) & ntohl(v->mask[k].s_addr);

	if (!e->ip.smsk.s_addr || (e->ip.invflags & IPT_INV_SRCIP))
		return false;
	return (ntohl(e->ip.src.s_addr) & m) == (ntohl(v->net[k].s_addr) & m);
}

/*
 * spoofable: a rule of filter INPUT or FORWARD that accepts NEW packets
 * from a VPN network without requiring that they came out of a tunnel:
 * anyone outside can send them.  Confirmed by tracing such a packet with
 * no SA: it must be accepted by that rule.
 */
static void lint_spoofable(struct lint *l, const struct vpn *v)
{
	const struct table *t = &l->rs->tables[TABLE_FILTER];

	for (size_t i = 0; t->named && i < t->nchains; i++) {
		const struct chain *c = t->chains[i];

		if (c->hook != NF_INET_LOCAL_IN && c->hook != NF_INET_FORWARD)
			continue;
		for (size_t j = 0; j < c->nrules; j++) {
			const struct rule *r = &c->rules[j];
			const struct ipt_entry *e = entry_v4(r->entry);

			if (!target_is(e, "ACCEPT") ||
			    requires_ipsec(e, XT_POLICY_MATCH_IN) ||
			    !admits_new(e))
				continue;
			for (size_t k = 0; k < v->nnets; k++) {
				struct witness w;
				struct in_addr s;
				char net[INET_ADDRSTRLEN];

				if (!src_overlaps(e, v, k) ||
				    rule_ignores(&l->lines, r, "spoofable"))
					continue;
				/* The source: in both the rule's and the
				 * VPN's network. */
				s = ntohl(e->ip.smsk.s_addr) >=
						    ntohl(v->mask[k].s_addr) ?
					    host_in(e->ip.src, e->ip.smsk) :
					    host_in(v->net[k], v->mask[k]);
				witness_of_rule(&w, c, e, &s);
				if (!witness_done(&w))
					continue;
				lint_trace(l, &w);
				if (!trace_hits(l, r, "ACCEPT"))
					continue;
				inet_ntop(AF_INET, &v->net[k], net,
					  sizeof(net));
				warn(l, r, "spoofable", &w,
				     "accepts packets from the VPN network "
				     "%s/%d without -m policy --dir in --pol "
				     "ipsec: anyone can send them from outside "
				     "the tunnel",
				     net,
				     __builtin_popcount(v->mask[k].s_addr));
				break;
			}
		}
	}
}

/* The words of an IKE or ESP packet to our tunnel end: udp from and to
 * @port, or ESP when @port is 0. */
static void ike_witness(struct witness *w, const struct vpn *v, uint16_t port)
{
	struct in_addr any = { .s_addr = htonl(ANY_REMOTE_HOST) };

	witness_init(w);
	add_iface(w, "-i", v->ext);
	add_addr(w, "-s", any);
	add_addr(w, "-d", v->local);
	if (port) {
		add_proto(w, IPPROTO_UDP, "udp");
		add_ports(w, port, port);
	} else {
		add_proto(w, IPPROTO_ESP, "esp");
	}
}

/*
 * ike: the tunnel rules name our end and its interface, but IKE (udp
 * 500) is not accepted there, or neither ESP nor udp 4500 (NAT-T) is: no
 * tunnel can come up, or none can carry anything.
 */
static void lint_ike(struct lint *l, const struct vpn *v)
{
	const struct rule *r = v->in_rule ? v->in_rule : v->out_rule;
	struct witness w;

	if (!r || !v->has_local || !v->ext[0] ||
	    rule_ignores(&l->lines, r, "ike"))
		return;
	ike_witness(&w, v, 500);
	if (witness_done(&w)) {
		lint_trace(l, &w);
		if (!some_verdict(l, "ACCEPT")) {
			warn(l, r, "ike", &w,
			     "this tunnel rule needs IKE, but udp port 500 "
			     "to its address on %s is not accepted",
			     v->ext);
			return;
		}
	}
	ike_witness(&w, v, 4500);
	if (!witness_done(&w))
		return;
	lint_trace(l, &w);
	if (some_verdict(l, "ACCEPT"))
		return;
	ike_witness(&w, v, 0);
	if (!witness_done(&w))
		return;
	lint_trace(l, &w);
	if (some_verdict(l, "ACCEPT"))
		return;
	warn(l, r, "ike", &w,
	     "this tunnel rule needs ESP or udp 4500 (NAT traversal) to its "
	     "address on %s, and neither is accepted",
	     v->ext);
}

/*
 * return-path: a FORWARD rule accepts traffic out of the tunnel, but
 * the answers back into it are not accepted (no --dir out rule, no
 * ESTABLISHED accept).  Traced: the answer, ESTABLISHED, into an SA.
 */
static void lint_return_path(struct lint *l, const struct vpn *v)
{
	const struct table *t = &l->rs->tables[TABLE_FILTER];
	const struct chain *c = t->named ? table_find_chain(t, "FORWARD") :
					   NULL;
	const struct in_addr any = { .s_addr = htonl(ANY_REMOTE_HOST) };

	for (size_t j = 0; c && j < c->nrules && v->has_local; j++) {
		const struct rule *r = &c->rules[j];
		const struct ipt_entry *e = entry_v4(r->entry);
		struct witness w;
		char in[IFNAMSIZ], out[IFNAMSIZ];

		if (!target_is(e, "ACCEPT") ||
		    !requires_ipsec(e, XT_POLICY_MATCH_IN) ||
		    rule_ignores(&l->lines, r, "return-path"))
			continue;
		iface_for(in, e->ip.iniface, e->ip.iniface_mask,
			  e->ip.invflags & IPT_INV_VIA_IN, v->ext);
		iface_for(out, e->ip.outiface, e->ip.outiface_mask,
			  e->ip.invflags & IPT_INV_VIA_OUT, in);
		witness_init(&w);
		add_iface(&w, "-i", out);
		add_iface(&w, "-o", in);
		if (e->ip.dmsk.s_addr && !(e->ip.invflags & IPT_INV_DSTIP))
			add_addr(&w, "-s", host_in(e->ip.dst, e->ip.dmsk));
		else
			add_addr(&w, "-s", any);
		add_addr(&w, "-d", host_in(e->ip.src, e->ip.smsk));
		add_proto(&w, IPPROTO_UDP, "udp");
		add_ports(&w, 53, 40000);
		add_established(&w);
		add_sa(&w, v, false);
		if (!witness_done(&w))
			continue;
		lint_trace(l, &w);
		if (some_verdict(l, "ACCEPT"))
			continue;
		warn(l, r, "return-path", &w,
		     "traffic out of the tunnel is forwarded, but the answers "
		     "back into it are not accepted (no -m policy --dir out "
		     "rule and no ESTABLISHED accept)");
	}
}

/* The LAN side of a tunnel-bound packet: the interface and source of
 * the --dir out rule that lets it into the tunnel, else of the NAT rule
 * @e, else a private address. */
static void lan_side(const struct vpn *v, const struct ipt_entry *e, char *in,
		     struct in_addr *src)
{
	const struct ipt_entry *o = v->out_rule ? entry_v4(v->out_rule->entry) :
						  NULL;

	iface_for(in, o ? o->ip.iniface : "", o ? o->ip.iniface_mask : NULL,
		  o ? o->ip.invflags & IPT_INV_VIA_IN : true, "lan0");
	if (o && o->ip.smsk.s_addr && !(o->ip.invflags & IPT_INV_SRCIP))
		*src = host_in(o->ip.src, o->ip.smsk);
	else if (e->ip.smsk.s_addr && !(e->ip.invflags & IPT_INV_SRCIP))
		*src = host_in(e->ip.src, e->ip.smsk);
	else
		inet_pton(AF_INET, "192.168.77.7", src);
}

/*
 * masquerade: a MASQUERADE or SNAT in nat POSTROUTING catches a packet
 * that is bound for the tunnel: its source changes before the policy
 * lookup, and the tunnel's policy no longer matches it.  Traced: a
 * packet to the VPN network, routed into an SA.
 */
static void lint_masquerade(struct lint *l, const struct vpn *v)
{
	const struct table *t = &l->rs->tables[TABLE_NAT];
	const struct chain *c = t->named ? table_find_chain(t, "POSTROUTING") :
					   NULL;

	for (size_t j = 0; c && v->has_local && j < c->nrules; j++) {
		const struct rule *r = &c->rules[j];
		const struct ipt_entry *e = entry_v4(r->entry);

		if (!target_is(e, "MASQUERADE") && !target_is(e, "SNAT"))
			continue;
		for (size_t k = 0; k < v->nnets; k++) {
			struct witness w;
			char in[IFNAMSIZ], out[IFNAMSIZ];
			struct in_addr src;

			if (rule_ignores(&l->lines, r, "masquerade"))
				break;
			iface_for(out, e->ip.outiface, e->ip.outiface_mask,
				  e->ip.invflags & IPT_INV_VIA_OUT, v->ext);
			lan_side(v, e, in, &src);
			witness_init(&w);
			add_iface(&w, "-i", in);
			add_iface(&w, "-o", out);
			add_addr(&w, "-s", src);
			add_addr(&w, "-d", host_in(v->net[k], v->mask[k]));
			add_proto(&w, IPPROTO_UDP, "udp");
			add_ports(&w, 40000, 53);
			add_sa(&w, v, false);
			if (!witness_done(&w))
				continue;
			lint_trace(l, &w);
			if (!trace_hits(l, r, NULL))
				continue;
			warn(l, r, "masquerade", &w,
			     "%s catches traffic bound for the IPsec tunnel: "
			     "put an exemption before it (-m policy --dir out "
			     "--pol ipsec -j ACCEPT) or add -m policy --dir "
			     "out --pol none to it",
			     rule_target_name(FAMILY_IPV4,
					      (const struct entry *)e));
			break;
		}
	}
}

void lint_ruleset(const struct ruleset *rs, const char *file,
		  struct diag_list *dl)
{
	struct lint l = { .rs = rs, .file = file, .dl = dl };
	struct vpn v;

	l.tr = tracer_new(rs);
	l.res = calloc(1, sizeof(*l.res));
	if (!l.res)
		abort();
	lint_shadowed(&l);
	vpn_scan(rs, &v);
	if (v.nnets || v.has_local) {
		lint_spoofable(&l, &v);
		lint_ike(&l, &v);
		lint_return_path(&l, &v);
		lint_masquerade(&l, &v);
	}
	free(l.res);
	tracer_free(l.tr);
	line_cache_free(&l.lines);
}
