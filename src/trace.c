/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace.c - walk a packet through the built ruleset as the kernel would.
 *
 * The hooks a packet passes follow from its interfaces (as the issue of
 * routing is the user's to state); at each hook the tables run in the
 * kernel's priority order (raw -300, conntrack -200, mangle -150, nat
 * destination -100, filter 0, security 50, nat source 100).  Each chain
 * is walked as ipt_do_table() walks it: the IP part first, then the
 * matches in order, stopping at the first that fails; a jump pushes a
 * return point, a goto does not; RETURN or the end of a user chain pops;
 * falling off a built-in chain (or RETURN in it) applies its policy,
 * whose counters move as a rule's do.
 *
 * Matches are decoded from the kernel structs in the entry
 * (<linux/netfilter/xt_*.h>); nothing here includes xtables.h.  A match
 * that is not modelled (limit, hashlimit, recent, any other extension),
 * or that tests a field the packet leaves out, forks the walk: both
 * outcomes are followed and each path says which way it went.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_CONNMARK.h>
#include <linux/netfilter/xt_CT.h>
#include <linux/netfilter/xt_MARK.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_iprange.h>
#include <linux/netfilter/xt_length.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_multiport.h>
#include <linux/netfilter/xt_policy.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/rtnetlink.h>

#include "print.h"
#include "addr_index.h"
#include "trace.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MATCH_DATA_SIZE(m) \
	((size_t)(m)->u.match_size - XT_ALIGN(sizeof(struct xt_entry_match)))
#define TARGET_DATA_SIZE(t) \
	((size_t)(t)->u.target_size - XT_ALIGN(sizeof(struct xt_entry_target)))

/* Deepest chain nesting a walk follows (the kernel's limit is the number
 * of chains; a real ruleset nests a few deep). */
#define WALK_STACK_MAX 64

enum match_kind {
	MK_TCP,
	MK_UDP,
	MK_ICMP,
	MK_POLICY,
	MK_CONNTRACK,
	MK_STATE,
	MK_MARK,
	MK_CONNMARK,
	MK_MULTIPORT0,
	MK_MULTIPORT1,
	MK_IPRANGE,
	MK_ADDRTYPE,
	MK_COMMENT,
	MK_LENGTH,
	MK_RATE,  /* limit, hashlimit, recent: depend on other packets */
	MK_OTHER, /* not modelled */
};

/* The conntrack match of any revision, in one form. */
struct ct_norm {
	uint16_t match_flags, invert_flags, state_mask;
	uint16_t l4proto;
	struct in_addr osrc, osrc_mask, odst, odst_mask;
	uint16_t osport[2], odport[2]; /* host order, inclusive */
};

/* One match of a rule, decoded once. */
struct cmatch {
	enum match_kind kind;
	const void *data;
	const char *name;
	struct ct_norm ct; /* MK_CONNTRACK */
};

enum target_kind {
	TK_NONE, /* no target: the rule only counts */
	TK_ACCEPT,
	TK_DROP,
	TK_QUEUE,
	TK_RETURN,
	TK_JUMP,
	TK_GOTO,
	TK_REJECT,
	TK_NFQUEUE,
	TK_DNAT,
	TK_SNAT,
	TK_MASQUERADE,
	TK_REDIRECT,
	TK_MARK,
	TK_CONNMARK,
	TK_NOTRACK,
	TK_CONTINUE, /* a known target that changes nothing we model */
	TK_UNKNOWN,
};

struct cchain;

/* One rule, decoded once. */
struct crule {
	const struct rule *rule;
	const struct ipt_entry *e;
	struct cmatch *m;
	size_t nm;
	enum target_kind tk;
	const struct xt_entry_target *t;
	struct cchain *to; /* TK_JUMP, TK_GOTO */
};

/* One chain, decoded once. */
struct cchain {
	const struct table *table;
	const struct chain *chain;
	struct crule *rules;
	size_t n;
	struct cmatch *matches; /* the rules' matches, in one allocation */
	/* A long chain's rules filed by source and by destination, when
	 * that tells most of them apart (NULL otherwise): a walk skips
	 * the rules whose -s or -d the packet's address is not in. */
	struct addr_index *by_src, *by_dst;
};

/* A prepared table: its chains, and the built-in one of each hook. */
struct ctable {
	const struct table *t;
	struct cchain *chains;
	size_t n;
	struct cchain *hook[NF_INET_NUMHOOKS];
};

struct tracer {
	const struct ruleset *rs;
	struct ctable tables[TABLE_COUNT];
	/* The steps of the walk under way, and the saved paths. */
	struct trace_step *steps;
	size_t nsteps, capsteps;
	struct trace_step *pathbuf[TRACE_MAX_PATHS];
	size_t pathcap[TRACE_MAX_PATHS];
	struct trace_result *res;
	const struct trace_packet *req;
	struct walk *top; /* the walk of tracer_run, kept for the next run */
};

/* ---- preparing the ruleset ------------------------------------------ */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();
	return p;
}

static void ct_normalise(const struct xt_entry_match *m, struct ct_norm *n)
{
	int rev = m->u.user.revision;

	memset(n, 0, sizeof(*n));
	if (rev == 1) {
		const struct xt_conntrack_mtinfo1 *i = (const void *)m->data;

		n->match_flags = i->match_flags;
		n->invert_flags = i->invert_flags;
		n->state_mask = i->state_mask;
		n->l4proto = i->l4proto;
		n->osrc = i->origsrc_addr.in;
		n->osrc_mask = i->origsrc_mask.in;
		n->odst = i->origdst_addr.in;
		n->odst_mask = i->origdst_mask.in;
		n->osport[0] = n->osport[1] = ntohs(i->origsrc_port);
		n->odport[0] = n->odport[1] = ntohs(i->origdst_port);
	} else if (rev == 2) {
		const struct xt_conntrack_mtinfo2 *i = (const void *)m->data;

		n->match_flags = i->match_flags;
		n->invert_flags = i->invert_flags;
		n->state_mask = i->state_mask;
		n->l4proto = i->l4proto;
		n->osrc = i->origsrc_addr.in;
		n->osrc_mask = i->origsrc_mask.in;
		n->odst = i->origdst_addr.in;
		n->odst_mask = i->origdst_mask.in;
		n->osport[0] = n->osport[1] = ntohs(i->origsrc_port);
		n->odport[0] = n->odport[1] = ntohs(i->origdst_port);
	} else {
		const struct xt_conntrack_mtinfo3 *i = (const void *)m->data;

		n->match_flags = i->match_flags;
		n->invert_flags = i->invert_flags;
		n->state_mask = i->state_mask;
		n->l4proto = i->l4proto;
		n->osrc = i->origsrc_addr.in;
		n->osrc_mask = i->origsrc_mask.in;
		n->odst = i->origdst_addr.in;
		n->odst_mask = i->origdst_mask.in;
		n->osport[0] = i->origsrc_port;
		n->osport[1] = i->origsrc_port_high;
		n->odport[0] = i->origdst_port;
		n->odport[1] = i->origdst_port_high;
	}
}

/* Which match @m is, by name, revision and size. */
static enum match_kind match_kind_of(const struct xt_entry_match *m)
{
	static const struct {
		const char *name;
		int rev;
		size_t size;
		enum match_kind kind;
	} known[] = {
		{ "tcp", 0, sizeof(struct xt_tcp), MK_TCP },
		{ "udp", 0, sizeof(struct xt_udp), MK_UDP },
		{ "icmp", 0, sizeof(struct ipt_icmp), MK_ICMP },
		{ "policy", 0, sizeof(struct xt_policy_info), MK_POLICY },
		{ "conntrack", 1, sizeof(struct xt_conntrack_mtinfo1),
		  MK_CONNTRACK },
		{ "conntrack", 2, sizeof(struct xt_conntrack_mtinfo2),
		  MK_CONNTRACK },
		{ "conntrack", 3, sizeof(struct xt_conntrack_mtinfo3),
		  MK_CONNTRACK },
		{ "state", 0, sizeof(struct xt_state_info), MK_STATE },
		{ "mark", 1, sizeof(struct xt_mark_mtinfo1), MK_MARK },
		{ "connmark", 1, sizeof(struct xt_connmark_mtinfo1),
		  MK_CONNMARK },
		{ "multiport", 0, sizeof(struct xt_multiport), MK_MULTIPORT0 },
		{ "multiport", 1, sizeof(struct xt_multiport_v1),
		  MK_MULTIPORT1 },
		{ "iprange", 1, sizeof(struct xt_iprange_mtinfo), MK_IPRANGE },
		{ "addrtype", 1, sizeof(struct xt_addrtype_info_v1),
		  MK_ADDRTYPE },
		{ "comment", 0, sizeof(struct xt_comment_info), MK_COMMENT },
		{ "length", 0, sizeof(struct xt_length_info), MK_LENGTH },
	};
	static const char *const rate[] = { "limit", "hashlimit", "recent" };
	size_t size = MATCH_DATA_SIZE(m);

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(m->u.user.name, known[i].name) == 0 &&
		    m->u.user.revision == known[i].rev &&
		    size == XT_ALIGN(known[i].size))
			return known[i].kind;
	for (size_t i = 0; i < ARRAY_SIZE(rate); i++)
		if (strcmp(m->u.user.name, rate[i]) == 0)
			return MK_RATE;
	return MK_OTHER;
}

/* Targets that return XT_CONTINUE and change nothing the tracer models. */
static bool target_continues(const char *name)
{
	static const char *const names[] = {
		"AUDIT", "CHECKSUM",  "CLASSIFY",  "CONNSECMARK", "DSCP",
		"ECN",	 "HMARK",     "IDLETIMER", "LED",	  "LOG",
		"NFLOG", "SECMARK",   "TCPMSS",	   "TCPOPTSTRIP", "TEE",
		"TOS",	 "TPROXY_NO", "TRACE",	   "TTL",	  "ULOG",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static enum target_kind extension_target_kind(const struct xt_entry_target *t)
{
	static const struct {
		const char *name;
		enum target_kind kind;
	} known[] = {
		{ "REJECT", TK_REJECT },
		{ "NFQUEUE", TK_NFQUEUE },
		{ "DNAT", TK_DNAT },
		{ "SNAT", TK_SNAT },
		{ "MASQUERADE", TK_MASQUERADE },
		{ "REDIRECT", TK_REDIRECT },
		{ "MARK", TK_MARK },
		{ "CONNMARK", TK_CONNMARK },
		{ "NOTRACK", TK_NOTRACK },
		{ "CT", TK_NOTRACK },
	};
	const char *name = t->u.user.name;

	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (strcmp(name, known[i].name) == 0)
			return known[i].kind;
	return target_continues(name) ? TK_CONTINUE : TK_UNKNOWN;
}

static struct cchain *ctable_find(struct ctable *ct, const char *name)
{
	for (size_t i = 0; i < ct->n; i++)
		if (strcmp(ct->chains[i].chain->name, name) == 0)
			return &ct->chains[i];
	return NULL;
}

static void crule_target(struct ctable *ct, struct crule *cr)
{
	const struct ipt_entry *e = cr->e;
	/* The trace walks the IPv4 tables only. */
	const struct entry *r_entry = (const struct entry *)e;
	const struct xt_entry_target *t =
		(const void *)((const char *)e + e->target_offset);
	const char *name = t->u.user.name;

	cr->t = t;
	/* rule_is_standard() goes by size, and REJECT or MARK data is as
	 * big as a verdict: a standard target names a verdict or a chain
	 * (iptables refuses chains named as target extensions). */
	if (name[0] == '\0' && rule_is_standard(FAMILY_IPV4, r_entry))
		cr->tk = TK_NONE;
	else if (strcmp(name, "ACCEPT") == 0)
		cr->tk = TK_ACCEPT;
	else if (strcmp(name, "DROP") == 0)
		cr->tk = TK_DROP;
	else if (strcmp(name, "QUEUE") == 0)
		cr->tk = TK_QUEUE;
	else if (strcmp(name, "RETURN") == 0)
		cr->tk = TK_RETURN;
	else if (rule_is_standard(FAMILY_IPV4, r_entry) &&
		 (cr->to = ctable_find(ct, name)))
		cr->tk = e->ip.flags & IPT_F_GOTO ? TK_GOTO : TK_JUMP;
	else
		cr->tk = extension_target_kind(t);
}

/* How many matches @e has. */
static size_t entry_matches(const struct ipt_entry *e)
{
	size_t off = sizeof(*e), n = 0;

	while (off < e->target_offset) {
		const struct xt_entry_match *m =
			(const void *)((const char *)e + off);

		if (m->u.match_size == 0)
			break;
		off += m->u.match_size;
		n++;
	}
	return n;
}

/* Decode rule @r into @cr, its matches into @ms (entry_matches of them,
 * zeroed). */
static void crule_init(struct ctable *ct, struct crule *cr,
		       const struct rule *r, struct cmatch *ms)
{
	const struct ipt_entry *e = entry_v4(r->entry);
	size_t off, n = entry_matches(e);

	cr->rule = r;
	cr->e = e;
	cr->m = ms;
	off = sizeof(*e);
	for (size_t i = 0; i < n; i++) {
		const struct xt_entry_match *m =
			(const void *)((const char *)e + off);

		cr->m[i].kind = match_kind_of(m);
		cr->m[i].data = m->data;
		cr->m[i].name = m->u.user.name;
		if (cr->m[i].kind == MK_CONNTRACK)
			ct_normalise(m, &cr->m[i].ct);
		off += m->u.match_size;
	}
	cr->nm = n;
	crule_target(ct, cr);
}

/* Below this many rules a walk is fast enough without an index. */
#define INDEX_MIN_RULES 64

/* The index of one address part of @cc's rules (@dst: -d), or NULL when
 * more than a quarter of them would be looked at for every packet. */
static struct addr_index *cchain_index_of(const struct cchain *cc, bool dst)
{
	struct addr_index *x = xcalloc(1, sizeof(*x));

	for (size_t j = 0; j < cc->n; j++) {
		const struct ipt_ip *ip = &cc->rules[j].e->ip;

		if (dst)
			addr_index_add(x, ip->dst, ip->dmsk,
				       ip->invflags & IPT_INV_DSTIP, j);
		else
			addr_index_add(x, ip->src, ip->smsk,
				       ip->invflags & IPT_INV_SRCIP, j);
	}
	if (addr_index_always(x) <= cc->n / 4)
		return x;
	addr_index_free(x);
	free(x);
	return NULL;
}

static void cchain_index(struct cchain *cc)
{
	if (cc->n < INDEX_MIN_RULES)
		return;
	cc->by_src = cchain_index_of(cc, false);
	cc->by_dst = cchain_index_of(cc, true);
}

static void ctable_init(struct ctable *ct, const struct table *t)
{
	ct->t = t;
	ct->n = t->nchains;
	ct->chains = xcalloc(ct->n, sizeof(*ct->chains));
	for (size_t i = 0; i < ct->n; i++) {
		ct->chains[i].table = t;
		ct->chains[i].chain = t->chains[i];
		if (t->chains[i]->hook >= 0)
			ct->hook[t->chains[i]->hook] = &ct->chains[i];
	}
	for (size_t i = 0; i < ct->n; i++) {
		struct cchain *cc = &ct->chains[i];

		size_t nm = 0;

		cc->n = cc->chain->nrules;
		cc->rules = xcalloc(cc->n, sizeof(*cc->rules));
		for (size_t j = 0; j < cc->n; j++)
			nm += entry_matches(
				entry_v4(cc->chain->rules[j].entry));
		cc->matches = xcalloc(nm, sizeof(*cc->matches));
		nm = 0;
		for (size_t j = 0; j < cc->n; j++) {
			crule_init(ct, &cc->rules[j], &cc->chain->rules[j],
				   cc->matches + nm);
			nm += cc->rules[j].nm;
		}
		cchain_index(cc);
	}
}

struct tracer *tracer_new(const struct ruleset *rs)
{
	struct tracer *tr = xcalloc(1, sizeof(*tr));

	tr->rs = rs;
	for (int id = 0; id < TABLE_COUNT; id++)
		if (rs->tables[id].named)
			ctable_init(&tr->tables[id], &rs->tables[id]);
	return tr;
}

void tracer_free(struct tracer *tr)
{
	if (!tr)
		return;
	for (int id = 0; id < TABLE_COUNT; id++) {
		struct ctable *ct = &tr->tables[id];

		for (size_t i = 0; i < ct->n; i++) {
			free(ct->chains[i].matches);
			free(ct->chains[i].rules);
			if (ct->chains[i].by_src)
				addr_index_free(ct->chains[i].by_src);
			if (ct->chains[i].by_dst)
				addr_index_free(ct->chains[i].by_dst);
			free(ct->chains[i].by_src);
			free(ct->chains[i].by_dst);
		}
		free(ct->chains);
	}
	free(tr->steps);
	free(tr->top);
	for (size_t i = 0; i < TRACE_MAX_PATHS; i++)
		free(tr->pathbuf[i]);
	free(tr);
}

/* ---- the packet as the kernel sees it at one point of the walk ------ */

/* What is known of the packet, and of its conntrack entry, now. */
struct pstate {
	const char *in, *out; /* "" when the hook has no such device */
	struct in_addr src, dst;
	struct in_addr osrc, odst; /* the conntrack's original tuple */
	uint16_t osport, odport;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint16_t length;
	unsigned known;
	unsigned ctstate; /* XT_CONNTRACK_STATE_* of the user */
	bool untracked;	  /* CT --notrack was applied */
	uint32_t mark, ctmark;
	const struct trace_sa *sp; /* the inbound SA chain (sec_path) */
	size_t nsp;
	const struct trace_sa *dst_xfrm; /* the outbound bundle */
	size_t nxfrm;
	int hook;
	bool raw; /* in the raw table: not tracked yet */
};

/* The outcome of one test. */
enum tri {
	T_NO,
	T_YES,
	T_MAYBE,
};

static enum tri tri_of(bool b)
{
	return b ? T_YES : T_NO;
}

/* ifname_compare_aligned: each byte where the mask is set must equal. */
static bool iface_matches(const char *dev, const char *name,
			  const unsigned char *mask)
{
	char d[IFNAMSIZ] = { 0 };

	strncpy(d, dev, IFNAMSIZ - 1);
	for (int i = 0; i < IFNAMSIZ; i++)
		if ((d[i] ^ name[i]) & mask[i])
			return false;
	return true;
}

static enum tri addr_test(bool known, struct in_addr a, struct in_addr want,
			  struct in_addr mask, bool inv)
{
	if (mask.s_addr == 0)
		return tri_of(!inv);
	if (!known)
		return T_MAYBE;
	return tri_of((((a.s_addr ^ want.s_addr) & mask.s_addr) == 0) ^ inv);
}

/*
 * ip_packet_match(), one test at a time: the tests of a rule are numbered
 * IPT_SRC..IPT_PROTO for its IP part, then IPT_MATCH0 + i for match i, so
 * that an undecided test can be assumed either way and the rest resumed.
 */
enum {
	IPT_SRC,
	IPT_DST,
	IPT_IFACE,
	IPT_PROTO,
	IPT_MATCH0,
};

static enum tri ip_test(const struct pstate *p, const struct ipt_ip *ip,
			int which, const char **why)
{
	switch (which) {
	case IPT_SRC:
		*why = "-s (the packet's source is not given)";
		return addr_test(p->known & TF_SRC, p->src, ip->src, ip->smsk,
				 ip->invflags & IPT_INV_SRCIP);
	case IPT_DST:
		*why = "-d (the packet's destination is not known)";
		return addr_test(p->known & TF_DST, p->dst, ip->dst, ip->dmsk,
				 ip->invflags & IPT_INV_DSTIP);
	case IPT_IFACE:
		if (iface_matches(p->in, ip->iniface, ip->iniface_mask) ==
		    !!(ip->invflags & IPT_INV_VIA_IN))
			return T_NO;
		if (iface_matches(p->out, ip->outiface, ip->outiface_mask) ==
		    !!(ip->invflags & IPT_INV_VIA_OUT))
			return T_NO;
		/* The packet is never a later fragment. */
		return tri_of(!(ip->flags & IPT_F_FRAG) ||
			      (ip->invflags & IPT_INV_FRAG));
	default:
		if (!ip->proto)
			return T_YES;
		*why = "-p (the packet's protocol is not given)";
		if (!(p->known & TF_PROTO))
			return T_MAYBE;
		return tri_of((p->proto == ip->proto) ^
			      !!(ip->invflags & IPT_INV_PROTO));
	}
}

static enum tri port_test(const struct pstate *p, unsigned field, uint16_t port,
			  const uint16_t range[2], bool inv)
{
	if (range[0] == 0 && range[1] == 0xFFFF)
		return tri_of(!inv);
	if (!(p->known & field))
		return T_MAYBE;
	return tri_of((port >= range[0] && port <= range[1]) ^ inv);
}

static enum tri tcp_test(const struct pstate *p, const struct xt_tcp *i,
			 const char **why)
{
	enum tri r;

	*why = "--sport (the packet's source port is not given)";
	r = port_test(p, TF_SPORT, p->sport, i->spts,
		      i->invflags & XT_TCP_INV_SRCPT);
	if (r != T_YES)
		return r;
	*why = "--dport (the packet's destination port is not known)";
	r = port_test(p, TF_DPORT, p->dport, i->dpts,
		      i->invflags & XT_TCP_INV_DSTPT);
	if (r != T_YES)
		return r;
	if (((p->tcp_flags & i->flg_mask) == i->flg_cmp) ==
	    !!(i->invflags & XT_TCP_INV_FLAGS))
		return T_NO;
	if (i->option) {
		*why = "--tcp-option (TCP options are not modelled)";
		return T_MAYBE;
	}
	return T_YES;
}

static enum tri udp_test(const struct pstate *p, const struct xt_udp *i,
			 const char **why)
{
	enum tri r;

	*why = "--sport (the packet's source port is not given)";
	r = port_test(p, TF_SPORT, p->sport, i->spts,
		      i->invflags & XT_UDP_INV_SRCPT);
	if (r != T_YES)
		return r;
	*why = "--dport (the packet's destination port is not known)";
	return port_test(p, TF_DPORT, p->dport, i->dpts,
			 i->invflags & XT_UDP_INV_DSTPT);
}

static enum tri icmp_test(const struct pstate *p, const struct ipt_icmp *i,
			  const char **why)
{
	bool inv = i->invflags & IPT_ICMP_INV;

	if (i->type == 0xFF)
		return tri_of(!inv);
	if (!(p->known & TF_ICMP)) {
		*why = "--icmp-type (the packet's ICMP type is not given)";
		return T_MAYBE;
	}
	return tri_of((p->icmp_type == i->type && p->icmp_code >= i->code[0] &&
		       p->icmp_code <= i->code[1]) ^
		      inv);
}

/* match_xfrm_state() of xt_policy.c. */
static bool policy_elem_matches(const struct xt_policy_elem *e,
				const struct trace_sa *x)
{
	if (e->match.saddr && !((((x->src.s_addr ^ e->saddr.a4.s_addr) &
				  e->smask.a4.s_addr) == 0) ^
				e->invert.saddr))
		return false;
	if (e->match.daddr && !((((x->dst.s_addr ^ e->daddr.a4.s_addr) &
				  e->dmask.a4.s_addr) == 0) ^
				e->invert.daddr))
		return false;
	if (e->match.proto && !((e->proto == x->proto) ^ e->invert.proto))
		return false;
	if (e->match.mode && !((e->mode == x->mode) ^ e->invert.mode))
		return false;
	if (e->match.spi && !((e->spi == htonl(x->spi)) ^ e->invert.spi))
		return false;
	if (e->match.reqid && !((e->reqid == x->reqid) ^ e->invert.reqid))
		return false;
	return true;
}

/*
 * match_policy_in(): -1 without a sec_path.  The kernel walks the SAs
 * from the last one decapsulated; in strict mode it indexes the rule's
 * elements with i - len + 1, which is below 0 past the first SA: with
 * nested SAs the kernel reads memory before the elements, so that case
 * is undecided here.
 */
static int policy_in(const struct pstate *p, const struct xt_policy_info *pi,
		     bool *maybe)
{
	bool strict = pi->flags & XT_POLICY_MATCH_STRICT;
	int len = (int)p->nsp;

	if (!p->sp || len == 0)
		return -1;
	if (strict && pi->len != len)
		return 0;
	for (int i = len - 1; i >= 0; i--) {
		int pos = strict ? i - len + 1 : 0;

		if (pos < 0) {
			*maybe = true;
			return 0;
		}
		if (pos >= pi->len)
			return 0;
		if (policy_elem_matches(&pi->pol[pos], &p->sp[i])) {
			if (!strict)
				return 1;
		} else if (strict) {
			return 0;
		}
	}
	return strict ? 1 : 0;
}

/* match_policy_out(): the bundle from its first transform. */
static int policy_out(const struct pstate *p, const struct xt_policy_info *pi)
{
	bool strict = pi->flags & XT_POLICY_MATCH_STRICT;
	int i;

	if (p->nxfrm == 0)
		return -1;
	for (i = 0; i < (int)p->nxfrm; i++) {
		int pos = strict ? i : 0;

		if (pos >= pi->len)
			return 0;
		if (policy_elem_matches(&pi->pol[pos], &p->dst_xfrm[i])) {
			if (!strict)
				return 1;
		} else if (strict) {
			return 0;
		}
	}
	return strict ? i == pi->len : 0;
}

static enum tri policy_test(const struct pstate *p,
			    const struct xt_policy_info *pi, const char **why)
{
	bool maybe = false;
	int ret = pi->flags & XT_POLICY_MATCH_IN ? policy_in(p, pi, &maybe) :
						   policy_out(p, pi);

	if (maybe) {
		*why = "--strict with nested SAs (the kernel reads outside "
		       "the rule's elements)";
		return T_MAYBE;
	}
	if (ret < 0)
		return tri_of(pi->flags & XT_POLICY_MATCH_NONE);
	if (pi->flags & XT_POLICY_MATCH_NONE)
		return T_NO;
	return tri_of(ret);
}

/* Whether the packet has a conntrack entry at this point. */
static bool has_ct(const struct pstate *p)
{
	return !p->raw && !p->untracked &&
	       !(p->ctstate &
		 (XT_CONNTRACK_STATE_INVALID | XT_CONNTRACK_STATE_UNTRACKED));
}

/* The state bits conntrack_mt() computes. */
static unsigned ct_statebits(const struct pstate *p)
{
	if (p->raw)
		return XT_CONNTRACK_STATE_INVALID;
	if (p->untracked)
		return XT_CONNTRACK_STATE_UNTRACKED;
	return p->ctstate;
}

static enum tri ct_port(const struct pstate *p, unsigned field, uint16_t port,
			const uint16_t r[2], bool inv)
{
	if (!(p->known & field))
		return T_MAYBE;
	return tri_of((port >= r[0] && port <= r[1]) ^ inv);
}

/* conntrack_mt(), for the options that can be known; others are
 * undecided. */
static enum tri conntrack_test(const struct pstate *p, const struct ct_norm *c,
			       const char **why)
{
	unsigned f = c->match_flags, inv = c->invert_flags;
	bool is_new = p->ctstate & XT_CONNTRACK_STATE_BIT(IP_CT_NEW);
	enum tri r;

	if (f & XT_CONNTRACK_STATE) {
		unsigned bits = ct_statebits(p);

		if (!has_ct(p))
			bits &= XT_CONNTRACK_STATE_INVALID |
				XT_CONNTRACK_STATE_UNTRACKED;
		if (!!(c->state_mask & bits) == !!(inv & XT_CONNTRACK_STATE))
			return T_NO;
	}
	if (!has_ct(p))
		return tri_of(f & XT_CONNTRACK_STATE);
	*why = "a conntrack option that depends on the connection's history";
	if (f & (XT_CONNTRACK_REPLSRC | XT_CONNTRACK_REPLDST |
		 XT_CONNTRACK_STATUS | XT_CONNTRACK_EXPIRES |
		 XT_CONNTRACK_REPLSRC_PORT | XT_CONNTRACK_REPLDST_PORT))
		return T_MAYBE;
	if ((f & (XT_CONNTRACK_DIRECTION | XT_CONNTRACK_ORIGSRC |
		  XT_CONNTRACK_ORIGDST | XT_CONNTRACK_ORIGSRC_PORT |
		  XT_CONNTRACK_ORIGDST_PORT)) &&
	    !is_new)
		return T_MAYBE; /* which direction the packet goes is unknown */
	if ((f & XT_CONNTRACK_DIRECTION) && !(inv & XT_CONNTRACK_DIRECTION))
		return T_NO; /* a NEW packet goes in the original direction */
	r = addr_test(p->known & TF_SRC, p->osrc, c->osrc, c->osrc_mask,
		      inv & XT_CONNTRACK_ORIGSRC);
	if ((f & XT_CONNTRACK_ORIGSRC) && r != T_YES)
		return r;
	r = addr_test(p->known & TF_DST, p->odst, c->odst, c->odst_mask,
		      inv & XT_CONNTRACK_ORIGDST);
	if ((f & XT_CONNTRACK_ORIGDST) && r != T_YES)
		return r;
	if (f & XT_CONNTRACK_PROTO) {
		if (!(p->known & TF_PROTO))
			return T_MAYBE;
		if ((p->proto == c->l4proto) == !!(inv & XT_CONNTRACK_PROTO))
			return T_NO;
	}
	if (f & XT_CONNTRACK_ORIGSRC_PORT) {
		r = ct_port(p, TF_SPORT, p->osport, c->osport,
			    inv & XT_CONNTRACK_ORIGSRC_PORT);
		if (r != T_YES)
			return r;
	}
	if (f & XT_CONNTRACK_ORIGDST_PORT) {
		r = ct_port(p, TF_DPORT, p->odport, c->odport,
			    inv & XT_CONNTRACK_ORIGDST_PORT);
		if (r != T_YES)
			return r;
	}
	return T_YES;
}

static enum tri state_test(const struct pstate *p,
			   const struct xt_state_info *i)
{
	unsigned bits = ct_statebits(p);
	unsigned sb = 0;

	if (bits & XT_CONNTRACK_STATE_INVALID)
		sb = XT_STATE_INVALID;
	else if (bits & XT_CONNTRACK_STATE_UNTRACKED)
		sb = XT_STATE_UNTRACKED;
	else
		sb = bits & 0x1E; /* ESTABLISHED, RELATED, NEW: same bits */
	return tri_of(i->statemask & sb);
}

static enum tri multiport_test(const struct pstate *p, uint8_t flags,
			       uint8_t count, const uint16_t *ports,
			       const uint8_t *pflags, bool inv,
			       const char **why)
{
	bool need_s = flags != XT_MULTIPORT_DESTINATION;
	bool need_d = flags != XT_MULTIPORT_SOURCE;

	if ((need_s && !(p->known & TF_SPORT)) ||
	    (need_d && !(p->known & TF_DPORT))) {
		*why = "multiport (a port of the packet is not given)";
		return T_MAYBE;
	}
	for (unsigned i = 0; i < count && i < XT_MULTI_PORTS; i++) {
		uint16_t s = ports[i], e = s;

		if (pflags && pflags[i] && i + 1 < count)
			e = ports[++i];
		if ((need_s && p->sport >= s && p->sport <= e) ||
		    (need_d && p->dport >= s && p->dport <= e))
			return tri_of(!inv);
	}
	return tri_of(inv);
}

static enum tri iprange_test(const struct pstate *p,
			     const struct xt_iprange_mtinfo *i,
			     const char **why)
{
	if (i->flags & IPRANGE_SRC) {
		uint32_t a = ntohl(p->src.s_addr);

		if (!(p->known & TF_SRC)) {
			*why = "iprange --src-range (the source is not given)";
			return T_MAYBE;
		}
		if ((a < ntohl(i->src_min.ip) || a > ntohl(i->src_max.ip)) ^
		    !!(i->flags & IPRANGE_SRC_INV))
			return T_NO;
	}
	if (i->flags & IPRANGE_DST) {
		uint32_t a = ntohl(p->dst.s_addr);

		if (!(p->known & TF_DST)) {
			*why = "iprange --dst-range (the destination is not "
			       "known)";
			return T_MAYBE;
		}
		if ((a < ntohl(i->dst_min.ip) || a > ntohl(i->dst_max.ip)) ^
		    !!(i->flags & IPRANGE_DST_INV))
			return T_NO;
	}
	return T_YES;
}

/*
 * inet_dev_addr_type() for @a: 0.0.0.0/8 and 255.255.255.255 are
 * BROADCAST, 224/4 MULTICAST; then the local routing table: 127/8 and the
 * router's addresses LOCAL, the broadcast of their networks BROADCAST,
 * anything else UNICAST.  -1 when the router's addresses are not given.
 */
static int addr_type(const struct trace_packet *req, struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if ((h >> 24) == 0 || h == 0xFFFFFFFFu)
		return RTN_BROADCAST;
	if ((h >> 28) == 0xE)
		return RTN_MULTICAST;
	if ((h >> 24) == 127)
		return RTN_LOCAL;
	if (req->nlocal == 0)
		return -1;
	for (size_t i = 0; i < req->nlocal; i++) {
		uint32_t m = ntohl(req->local_mask[i].s_addr);
		uint32_t l = ntohl(req->local[i].s_addr);

		if (h == l)
			return RTN_LOCAL;
		if (m != 0xFFFFFFFFu && m != 0xFFFFFFFEu && h == (l | ~m))
			return RTN_BROADCAST;
	}
	return RTN_UNICAST;
}

static enum tri addrtype_one(const struct trace_packet *req, bool known,
			     struct in_addr a, uint16_t mask, bool inv,
			     bool limit)
{
	int type;

	if (!known)
		return T_MAYBE;
	type = addr_type(req, a);
	if (type < 0 || (limit && type == RTN_LOCAL))
		return T_MAYBE;
	return tri_of(!!(mask & (1u << type)) ^ inv);
}

static enum tri addrtype_test(const struct pstate *p,
			      const struct trace_packet *req,
			      const struct xt_addrtype_info_v1 *i,
			      const char **why)
{
	bool limit = i->flags &
		     (XT_ADDRTYPE_LIMIT_IFACE_IN | XT_ADDRTYPE_LIMIT_IFACE_OUT);
	enum tri r = T_YES;

	*why = "addrtype (give the router's addresses with --local)";
	if (i->source)
		r = addrtype_one(req, p->known & TF_SRC, p->src, i->source,
				 i->flags & XT_ADDRTYPE_INVERT_SOURCE, limit);
	if (r == T_YES && i->dest)
		r = addrtype_one(req, p->known & TF_DST, p->dst, i->dest,
				 i->flags & XT_ADDRTYPE_INVERT_DEST, limit);
	return r;
}

/* One match of a rule; @why says why when the answer is T_MAYBE. */
static enum tri match_test(const struct tracer *tr, const struct pstate *p,
			   const struct cmatch *m, const char **why)
{
	switch (m->kind) {
	case MK_TCP:
		return tcp_test(p, m->data, why);
	case MK_UDP:
		return udp_test(p, m->data, why);
	case MK_ICMP:
		return icmp_test(p, m->data, why);
	case MK_POLICY:
		return policy_test(p, m->data, why);
	case MK_CONNTRACK:
		return conntrack_test(p, &m->ct, why);
	case MK_STATE:
		return state_test(p, m->data);
	case MK_MARK: {
		const struct xt_mark_mtinfo1 *i = m->data;

		return tri_of(((p->mark & i->mask) == i->mark) ^ i->invert);
	}
	case MK_CONNMARK: {
		const struct xt_connmark_mtinfo1 *i = m->data;

		if (!has_ct(p))
			return T_NO;
		return tri_of(((p->ctmark & i->mask) == i->mark) ^ i->invert);
	}
	case MK_MULTIPORT0: {
		const struct xt_multiport *i = m->data;

		return multiport_test(p, i->flags, i->count, i->ports, NULL,
				      false, why);
	}
	case MK_MULTIPORT1: {
		const struct xt_multiport_v1 *i = m->data;

		return multiport_test(p, i->flags, i->count, i->ports,
				      i->pflags, i->invert, why);
	}
	case MK_IPRANGE:
		return iprange_test(p, m->data, why);
	case MK_ADDRTYPE:
		return addrtype_test(p, tr->req, m->data, why);
	case MK_COMMENT:
		return T_YES;
	case MK_LENGTH: {
		const struct xt_length_info *i = m->data;

		if (!(p->known & TF_LENGTH)) {
			*why = "length (the packet's --length is not given)";
			return T_MAYBE;
		}
		return tri_of((p->length >= i->min && p->length <= i->max) ^
			      i->invert);
	}
	case MK_RATE:
		*why = "(depends on the rate of earlier packets: may match)";
		return T_MAYBE;
	case MK_OTHER:
		*why = "(this match is not modelled)";
		return T_MAYBE;
	}
	return T_MAYBE;
}

/* ---- targets that change the packet ---------------------------------- */

/* A NAT range as one form: the first address and port, and whether the
 * choice is one value. */
struct nat_range {
	bool map_ips, map_ports, exact;
	struct in_addr addr;
	uint16_t port;
};

static bool nat_range_of(const struct xt_entry_target *t, struct nat_range *r)
{
	size_t size = TARGET_DATA_SIZE(t);
	unsigned flags;
	uint32_t lo, hi;
	uint16_t plo, phi;

	memset(r, 0, sizeof(*r));
	if (t->u.user.revision == 0 &&
	    size == XT_ALIGN(sizeof(struct nf_nat_ipv4_multi_range_compat))) {
		const struct nf_nat_ipv4_multi_range_compat *m =
			(const void *)t->data;

		flags = m->range[0].flags;
		lo = m->range[0].min_ip;
		hi = m->range[0].max_ip;
		plo = m->range[0].min.all;
		phi = m->range[0].max.all;
	} else if ((t->u.user.revision == 1 &&
		    size == XT_ALIGN(sizeof(struct nf_nat_range))) ||
		   (t->u.user.revision == 2 &&
		    size == XT_ALIGN(sizeof(struct nf_nat_range2)))) {
		const struct nf_nat_range *m = (const void *)t->data;

		flags = m->flags;
		lo = m->min_addr.ip;
		hi = m->max_addr.ip;
		plo = m->min_proto.all;
		phi = m->max_proto.all;
	} else {
		return false;
	}
	r->map_ips = flags & NF_NAT_RANGE_MAP_IPS;
	r->map_ports = flags & NF_NAT_RANGE_PROTO_SPECIFIED;
	r->addr.s_addr = lo;
	r->port = ntohs(plo);
	r->exact = (!r->map_ips || lo == hi) && (!r->map_ports || plo == phi) &&
		   !(flags & NF_NAT_RANGE_PROTO_RANDOM_ALL);
	return true;
}

/* DNAT or REDIRECT: what later rules see.  False when the result is not
 * one value (a range, or REDIRECT's interface address). */
static void apply_dnat(struct pstate *p, const struct crule *cr,
		       struct trace_step *s)
{
	struct nat_range r;
	struct in_addr old = p->dst;
	uint16_t oldport = p->dport;

	if (!nat_range_of(cr->t, &r)) {
		p->known &= ~(TF_DST | TF_DPORT);
		snprintf(s->detail, sizeof(s->detail),
			 "destination now unknown");
		p->ctstate |= XT_CONNTRACK_STATE_DNAT;
		return;
	}
	if (cr->tk == TK_REDIRECT) {
		/* The address of the incoming interface, or 127.0.0.1 for
		 * a locally generated packet. */
		if (p->hook == NF_INET_LOCAL_OUT) {
			p->dst.s_addr = htonl(INADDR_LOOPBACK);
		} else {
			p->known &= ~TF_DST;
		}
		r.map_ips = false;
	}
	if (r.map_ips)
		p->dst = r.addr;
	if (r.map_ports)
		p->dport = r.port;
	if (!r.exact)
		p->known &= ~((r.map_ips ? TF_DST : 0) |
			      (r.map_ports ? TF_DPORT : 0));
	if (p->dst.s_addr != old.s_addr || p->dport != oldport ||
	    !(p->known & TF_DST) || !r.exact)
		p->ctstate |= XT_CONNTRACK_STATE_DNAT;
	if (p->known & TF_DST) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &p->dst, a, sizeof(a));
		if (r.map_ports)
			snprintf(s->detail, sizeof(s->detail),
				 "destination now %s:%u", a, p->dport);
		else
			snprintf(s->detail, sizeof(s->detail),
				 "destination now %s", a);
	} else {
		snprintf(s->detail, sizeof(s->detail),
			 "destination now a local address");
	}
}

static void apply_snat(struct pstate *p, const struct crule *cr,
		       struct trace_step *s)
{
	struct nat_range r;

	if (cr->tk == TK_SNAT && nat_range_of(cr->t, &r) && r.map_ips &&
	    r.exact) {
		char a[INET_ADDRSTRLEN];

		if (r.addr.s_addr != p->src.s_addr || !(p->known & TF_SRC))
			p->ctstate |= XT_CONNTRACK_STATE_SNAT;
		p->src = r.addr;
		p->known |= TF_SRC;
		inet_ntop(AF_INET, &p->src, a, sizeof(a));
		snprintf(s->detail, sizeof(s->detail), "source now %s", a);
		return;
	}
	p->ctstate |= XT_CONNTRACK_STATE_SNAT;
	p->known &= ~TF_SRC;
	snprintf(s->detail, sizeof(s->detail), "source now %s",
		 cr->tk == TK_MASQUERADE ? "the address of -o" : "unknown");
}

static void apply_mark(struct pstate *p, const struct crule *cr,
		       struct trace_step *s)
{
	const struct xt_mark_tginfo2 *i = (const void *)cr->t->data;

	p->mark = (p->mark & ~i->mask) ^ i->mark;
	snprintf(s->detail, sizeof(s->detail), "mark now 0x%x", p->mark);
}

static uint32_t connmark_shift(uint32_t v, const struct xt_connmark_tginfo2 *i,
			       bool v2)
{
	if (!v2)
		return v;
	return i->shift_dir == D_SHIFT_RIGHT ? v >> i->shift_bits :
					       v << i->shift_bits;
}

static void apply_connmark(struct pstate *p, const struct crule *cr,
			   struct trace_step *s)
{
	const struct xt_connmark_tginfo2 *i2 = (const void *)cr->t->data;
	const struct xt_connmark_tginfo1 *i1 = (const void *)cr->t->data;
	bool v2 = cr->t->u.user.revision == 2;
	uint32_t ctmark = v2 ? i2->ctmark : i1->ctmark;
	uint32_t ctmask = v2 ? i2->ctmask : i1->ctmask;
	uint32_t nfmask = v2 ? i2->nfmask : i1->nfmask;
	uint8_t mode = v2 ? i2->mode : i1->mode;
	uint32_t v;

	if (!has_ct(p))
		return;
	switch (mode) {
	case XT_CONNMARK_SET:
		p->ctmark =
			connmark_shift((p->ctmark & ~ctmask) ^ ctmark, i2, v2);
		break;
	case XT_CONNMARK_SAVE:
		v = connmark_shift(p->mark & nfmask, i2, v2);
		p->ctmark = (p->ctmark & ~ctmask) | (v & ctmask);
		break;
	case XT_CONNMARK_RESTORE:
		v = connmark_shift(p->ctmark & ctmask, i2, v2);
		p->mark = (p->mark & ~nfmask) | (v & nfmask);
		break;
	}
	snprintf(s->detail, sizeof(s->detail), "mark 0x%x, ctmark 0x%x",
		 p->mark, p->ctmark);
}

static void apply_notrack(struct pstate *p, const struct crule *cr)
{
	uint16_t flags;

	if (strcmp(cr->t->u.user.name, "NOTRACK") == 0) {
		p->untracked = true;
		return;
	}
	memcpy(&flags, cr->t->data, sizeof(flags));
	if (flags & XT_CT_NOTRACK)
		p->untracked = true;
}

/* ---- the walk --------------------------------------------------------- */

/* One pass of a packet through hooks: the ESP packet, or the packet
 * inside it. */
struct leg {
	const char *name; /* NULL: the only leg */
	struct pstate p;
	int hooks[3];
	size_t nhooks;
};

/* A position in a chain: the chain and the next rule to look at. */
struct frame {
	const struct cchain *c;
	size_t pos;
};

/* Where one walk is: the leg, hook and table, and within the table the
 * chain position with its return stack. */
struct walk {
	struct pstate p;
	const struct leg *legs;
	size_t nlegs, leg;
	size_t hook_i, table_i;
	bool in_chain;
	bool leg_started;
	struct frame cur;
	struct frame stack[WALK_STACK_MAX];
	size_t depth;
	const struct cchain *base;
};

static struct trace_step *step_push(struct tracer *tr,
				    enum trace_step_kind kind)
{
	struct trace_step *s;

	if (tr->nsteps == tr->capsteps) {
		tr->capsteps = tr->capsteps ? tr->capsteps * 2 : 256;
		tr->steps =
			realloc(tr->steps, tr->capsteps * sizeof(*tr->steps));
		if (!tr->steps)
			abort();
	}
	s = &tr->steps[tr->nsteps++];
	s->kind = kind;
	s->table = NULL;
	s->chain = NULL;
	s->rule = 0;
	s->hook = -1;
	s->matched = false;
	s->what = NULL;
	s->detail[0] = '\0';
	return s;
}

static void path_finish(struct tracer *tr, const char *verdict)
{
	struct trace_result *res = tr->res;
	struct trace_path *path;
	size_t i = res->npaths;

	if (i == TRACE_MAX_PATHS) {
		res->truncated = true;
		return;
	}
	path = &res->paths[i];
	if (tr->pathcap[i] < tr->nsteps) {
		free(tr->pathbuf[i]);
		tr->pathcap[i] = tr->nsteps + 64;
		tr->pathbuf[i] = malloc(tr->pathcap[i] * sizeof(*path->steps));
		if (!tr->pathbuf[i])
			abort();
	}
	path->steps = tr->pathbuf[i];
	memcpy(path->steps, tr->steps, tr->nsteps * sizeof(*path->steps));
	path->nsteps = tr->nsteps;
	path->verdict = verdict;
	res->npaths++;
}

/* The tables at @hook in the kernel's priority order. */
static size_t hook_tables(int hook, const enum table_id **out)
{
	static const enum table_id pre[] = { TABLE_RAW, TABLE_MANGLE,
					     TABLE_NAT };
	static const enum table_id in[] = { TABLE_MANGLE, TABLE_FILTER,
					    TABLE_SECURITY, TABLE_NAT };
	static const enum table_id fwd[] = { TABLE_MANGLE, TABLE_FILTER,
					     TABLE_SECURITY };
	static const enum table_id loc[] = { TABLE_RAW, TABLE_MANGLE, TABLE_NAT,
					     TABLE_FILTER, TABLE_SECURITY };
	static const enum table_id post[] = { TABLE_MANGLE, TABLE_NAT };

	switch (hook) {
	case NF_INET_PRE_ROUTING:
		*out = pre;
		return ARRAY_SIZE(pre);
	case NF_INET_LOCAL_IN:
		*out = in;
		return ARRAY_SIZE(in);
	case NF_INET_FORWARD:
		*out = fwd;
		return ARRAY_SIZE(fwd);
	case NF_INET_LOCAL_OUT:
		*out = loc;
		return ARRAY_SIZE(loc);
	default:
		*out = post;
		return ARRAY_SIZE(post);
	}
}

/* Whether the nat table sees this packet: only a connection's first
 * packet (NEW, tracked) passes through it. */
static bool nat_consulted(const struct pstate *p)
{
	return has_ct(p) && (p->ctstate & XT_CONNTRACK_STATE_BIT(IP_CT_NEW));
}

static void walk_run(struct tracer *tr, struct walk *w);

/* Test @which of rule @cr (an IPT_* number). */
static enum tri rule_check(const struct tracer *tr, const struct pstate *p,
			   const struct crule *cr, int which, const char **why)
{
	if (which < IPT_MATCH0)
		return ip_test(p, &cr->e->ip, which, why);
	return match_test(tr, p, &cr->m[which - IPT_MATCH0], why);
}

/* The tests of @cr from @from on, in the kernel's order; on T_MAYBE,
 * *@at is the undecided one.  T_NO wins over an earlier T_MAYBE only
 * in rest_may_match. */
static enum tri rule_test(const struct tracer *tr, const struct pstate *p,
			  const struct crule *cr, int from, int *at,
			  const char **why)
{
	int last = IPT_MATCH0 + (int)cr->nm;

	for (int i = from; i < last; i++) {
		enum tri r = rule_check(tr, p, cr, i, why);

		if (r != T_YES) {
			*at = i;
			return r;
		}
	}
	return T_YES;
}

/* Whether the tests of @cr from @from on can all pass. */
static bool rest_may_match(const struct tracer *tr, const struct pstate *p,
			   const struct crule *cr, int from)
{
	int last = IPT_MATCH0 + (int)cr->nm;
	const char *why;

	for (int i = from; i < last; i++)
		if (rule_check(tr, p, cr, i, &why) == T_NO)
			return false;
	return true;
}

static void step_undecided(struct tracer *tr, const struct cchain *cc,
			   const struct crule *cr, int at, const char *why,
			   bool matched)
{
	struct trace_step *s = step_push(tr, TS_UNDECIDED);

	s->table = cc->table;
	s->chain = cc->chain;
	s->rule = (size_t)(cr - cc->rules) + 1;
	s->what = at < IPT_MATCH0 ? "" : cr->m[at - IPT_MATCH0].name;
	snprintf(s->detail, sizeof(s->detail), "%s", why);
	s->matched = matched;
}

/*
 * Decide rule @cr for walk @w: T_YES or T_NO.  At each undecided test
 * whose other outcome can still change something, the walk forks: the
 * "does not match" side runs to its end at once (from the next rule), and
 * this call goes on with the "matches" side.
 */
static enum tri rule_decide(struct tracer *tr, struct walk *w,
			    const struct crule *cr, const struct cchain *cc)
{
	int from = IPT_SRC;

	for (;;) {
		const char *why = "";
		int at;
		enum tri r = rule_test(tr, &w->p, cr, from, &at, &why);
		size_t mark;
		struct walk *alt;

		if (r != T_MAYBE)
			return r;
		if (!rest_may_match(tr, &w->p, cr, at + 1))
			return T_NO;
		mark = tr->nsteps;
		step_undecided(tr, cc, cr, at, why, false);
		alt = malloc(sizeof(*alt));
		if (!alt)
			abort();
		*alt = *w;
		alt->cur.pos++;
		walk_run(tr, alt);
		free(alt);
		tr->nsteps = mark;
		step_undecided(tr, cc, cr, at, why, true);
		from = at + 1;
	}
}

static void step_rule(struct tracer *tr, const struct walk *w,
		      const struct crule *cr, const char *what)
{
	struct trace_step *s = step_push(tr, TS_RULE);

	s->table = w->cur.c->table;
	s->chain = w->cur.c->chain;
	s->rule = w->cur.pos + 1;
	s->what = what;
	if (cr->to)
		snprintf(s->detail, sizeof(s->detail), "%s",
			 cr->to->chain->name);
}

/* The built-in chain's policy: returns true when the walk goes on. */
static bool apply_policy(struct tracer *tr, struct walk *w)
{
	struct trace_step *s = step_push(tr, TS_POLICY);
	bool accept = w->base->chain->policy != POLICY_DROP;

	s->table = w->base->table;
	s->chain = w->base->chain;
	s->what = accept ? "ACCEPT" : "DROP";
	w->in_chain = false;
	if (!accept)
		path_finish(tr, "DROP");
	return accept;
}

/* RETURN, or the end of a user chain: back to the caller, or the policy
 * when no jump is on the stack.  Returns true when the walk goes on. */
static bool chain_return(struct tracer *tr, struct walk *w)
{
	if (w->depth == 0)
		return apply_policy(tr, w);
	w->cur = w->stack[--w->depth];
	return true;
}

/* What a matched rule's target does; returns true when the walk goes
 * on. */
static bool rule_target(struct tracer *tr, struct walk *w,
			const struct crule *cr)
{
	static const char *const names[] = {
		[TK_NONE] = "no target",    [TK_ACCEPT] = "ACCEPT",
		[TK_DROP] = "DROP",	    [TK_QUEUE] = "QUEUE",
		[TK_RETURN] = "RETURN",	    [TK_JUMP] = "jump",
		[TK_GOTO] = "goto",	    [TK_REJECT] = "REJECT",
		[TK_NFQUEUE] = "NFQUEUE",   [TK_DNAT] = "DNAT",
		[TK_SNAT] = "SNAT",	    [TK_MASQUERADE] = "MASQUERADE",
		[TK_REDIRECT] = "REDIRECT", [TK_MARK] = "MARK",
		[TK_CONNMARK] = "CONNMARK", [TK_NOTRACK] = "NOTRACK",
		[TK_CONTINUE] = "continue", [TK_UNKNOWN] = "not modelled",
	};
	struct trace_step *s;

	step_rule(tr, w, cr,
		  cr->tk == TK_CONTINUE ? cr->t->u.user.name : names[cr->tk]);
	s = &tr->steps[tr->nsteps - 1];
	w->cur.pos++;
	switch (cr->tk) {
	case TK_NONE:
	case TK_CONTINUE:
		return true;
	case TK_ACCEPT:
		w->in_chain = false;
		return true;
	case TK_DROP:
	case TK_REJECT:
		path_finish(tr, names[cr->tk]);
		return false;
	case TK_QUEUE:
	case TK_NFQUEUE:
		path_finish(tr, "QUEUE");
		return false;
	case TK_RETURN:
		return chain_return(tr, w);
	case TK_JUMP:
		if (w->depth == WALK_STACK_MAX) {
			step_push(tr, TS_ABORT)->what = "chains nest too deep";
			path_finish(tr, "UNKNOWN");
			return false;
		}
		w->stack[w->depth++] = w->cur;
		w->cur.c = cr->to;
		w->cur.pos = 0;
		return true;
	case TK_GOTO:
		w->cur.c = cr->to;
		w->cur.pos = 0;
		return true;
	case TK_DNAT:
	case TK_REDIRECT:
		apply_dnat(&w->p, cr, s);
		w->in_chain = false;
		return true;
	case TK_SNAT:
	case TK_MASQUERADE:
		apply_snat(&w->p, cr, s);
		w->in_chain = false;
		return true;
	case TK_MARK:
		apply_mark(&w->p, cr, s);
		return true;
	case TK_CONNMARK:
		apply_connmark(&w->p, cr, s);
		return true;
	case TK_NOTRACK:
		apply_notrack(&w->p, cr);
		return true;
	case TK_UNKNOWN:
		/* Whether it lets the packet go on is not known: one
		 * outcome stops here, the other goes on. */
		snprintf(s->detail, sizeof(s->detail), "%s",
			 cr->t->u.user.name);
		path_finish(tr, "UNKNOWN");
		return true;
	}
	return true;
}

/* The devices a hook sees: no output device before routing, no input
 * device for a locally generated packet. */
static void hook_devices(struct walk *w, int hook)
{
	const struct pstate *lp = &w->legs[w->leg].p;

	w->p.hook = hook;
	w->p.in = hook == NF_INET_LOCAL_OUT ? "" : lp->in;
	w->p.out = hook == NF_INET_PRE_ROUTING || hook == NF_INET_LOCAL_IN ?
			   "" :
			   lp->out;
}

/* Move to the next table that has a chain at the current hook; false
 * when every leg is done. */
static bool next_table(struct tracer *tr, struct walk *w)
{
	for (;;) {
		const struct leg *leg;
		const enum table_id *ids;
		size_t n;
		int hook;

		if (w->leg >= w->nlegs)
			return false;
		leg = &w->legs[w->leg];
		if (!w->leg_started) {
			w->p = leg->p;
			w->leg_started = true;
			if (leg->name)
				step_push(tr, TS_LEG)->what = leg->name;
		}
		if (w->hook_i >= leg->nhooks) {
			w->leg++;
			w->hook_i = w->table_i = 0;
			w->leg_started = false;
			continue;
		}
		hook = leg->hooks[w->hook_i];
		if (w->table_i == 0) {
			hook_devices(w, hook);
			step_push(tr, TS_HOOK)->hook = hook;
		}
		n = hook_tables(hook, &ids);
		if (w->table_i >= n) {
			w->hook_i++;
			w->table_i = 0;
			continue;
		}
		const int id = ids[w->table_i++];
		const struct ctable *ct = &tr->tables[id];

		/* Conntrack runs after raw: any table past it sees the
		 * packet tracked, whether raw was walked or not. */
		w->p.raw = id == TABLE_RAW;
		if (!ct->t || !ct->hook[hook])
			continue;
		if (ct->t->id == TABLE_NAT && !nat_consulted(&w->p)) {
			struct trace_step *s = step_push(tr, TS_NAT_SKIP);

			s->table = ct->t;
			s->hook = hook;
			continue;
		}
		w->base = ct->hook[hook];
		w->cur.c = w->base;
		w->cur.pos = 0;
		w->depth = 0;
		w->in_chain = true;
		return true;
	}
}

/* The first rule of @cc at or after @pos that the packet's known
 * addresses may match (every rule skipped fails its -s or -d test), or
 * SIZE_MAX. */
static size_t cchain_next(const struct cchain *cc, const struct pstate *p,
			  size_t pos)
{
	const bool src = cc->by_src && (p->known & TF_SRC);
	const bool dst = cc->by_dst && (p->known & TF_DST);

	/* Leapfrog: the first position both indexes allow. */
	for (;;) {
		size_t a = src ? addr_index_next(cc->by_src, p->src, pos) : pos;
		size_t b = dst && a != SIZE_MAX ?
				   addr_index_next(cc->by_dst, p->dst, a) :
				   a;

		if (b == a)
			return a;
		pos = b;
	}
}

static void walk_run(struct tracer *tr, struct walk *w)
{
	for (;;) {
		const struct cchain *cc;
		const struct crule *cr;

		if (!w->in_chain && !next_table(tr, w)) {
			path_finish(tr, "ACCEPT");
			return;
		}
		cc = w->cur.c;
		if (w->cur.pos >= cc->n) {
			if (cc != w->base) {
				struct trace_step *s = step_push(tr, TS_END);

				s->table = cc->table;
				s->chain = cc->chain;
			}
			if (!chain_return(tr, w))
				return;
			continue;
		}
		if (cc->by_src || cc->by_dst) {
			w->cur.pos = cchain_next(cc, &w->p, w->cur.pos);
			if (w->cur.pos >= cc->n) {
				w->cur.pos = cc->n;
				continue;
			}
		}
		cr = &cc->rules[w->cur.pos];
		if (rule_decide(tr, w, cr, cc) == T_NO) {
			w->cur.pos++;
			continue;
		}
		if (!rule_target(tr, w, cr))
			return;
	}
}

/* ---- legs ---------------------------------------------------------- */

/* The packet of the request, before any hook. */
static void base_state(const struct trace_packet *req, struct pstate *p)
{
	memset(p, 0, sizeof(*p));
	p->in = req->in;
	p->out = req->out;
	p->src = p->osrc = req->src;
	p->dst = p->odst = req->dst;
	p->proto = req->proto;
	p->sport = p->osport = req->sport;
	p->dport = p->odport = req->dport;
	p->icmp_type = req->icmp_type;
	p->icmp_code = req->icmp_code;
	p->length = req->length;
	p->known = req->known;
	p->ctstate = req->ctstate;
	p->mark = req->mark;
	p->ctmark = req->ctmark;
	if (req->has_tcp_flags)
		p->tcp_flags = req->tcp_flags;
	else
		p->tcp_flags =
			req->ctstate & XT_CONNTRACK_STATE_BIT(IP_CT_NEW) ?
				0x02 :
				0x10; /* SYN for NEW, else ACK */
}

/* The packet that carries @p in SA @sa (the ESP, AH, IPComp or UDP
 * packet on the wire).  It belongs to the tunnel's own connection, not to
 * @p's: conntrack has seen that one both ways (IKE, the tunnel's traffic),
 * so it is ESTABLISHED, and the nat table never sees it. */
static void outer_state(struct pstate *p, const struct trace_sa *sa)
{
	p->ctstate = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED);
	p->known &= ~(TF_ICMP | TF_LENGTH | TF_SPORT | TF_DPORT);
	p->known |= TF_SRC | TF_DST | TF_PROTO;
	p->src = p->osrc = sa->src;
	p->dst = p->odst = sa->dst;
	p->proto = sa->encap ? IPPROTO_UDP : sa->proto;
	if (sa->encap) {
		p->sport = p->dport = p->osport = p->odport = 4500;
		p->known |= TF_SPORT | TF_DPORT;
	}
	p->sp = NULL;
	p->nsp = 0;
}

static void leg_hooks(struct leg *l, const struct pstate *p)
{
	if (p->in[0] && p->out[0]) {
		l->hooks[0] = NF_INET_PRE_ROUTING;
		l->hooks[1] = NF_INET_FORWARD;
		l->hooks[2] = NF_INET_POST_ROUTING;
		l->nhooks = 3;
	} else if (p->in[0]) {
		l->hooks[0] = NF_INET_PRE_ROUTING;
		l->hooks[1] = NF_INET_LOCAL_IN;
		l->nhooks = 2;
	} else {
		l->hooks[0] = NF_INET_LOCAL_OUT;
		l->hooks[1] = NF_INET_POST_ROUTING;
		l->nhooks = 2;
	}
}

/* The legs of @req, in the order the kernel sees them. */
static size_t build_legs(const struct trace_packet *req, struct leg *legs)
{
	enum trace_leg_choice c = req->leg;
	bool in_outer = req->nin && c != TRACE_LEG_INNER;
	bool out_outer = req->nout &&
			 (c == TRACE_LEG_BOTH || c == TRACE_LEG_OUTER);
	bool inner = c != TRACE_LEG_OUTER || (!req->nin && !req->nout);
	struct pstate p;
	size_t n = 0;

	base_state(req, &p);
	p.sp = req->nin ? req->in_sa : NULL;
	p.nsp = req->nin;
	p.dst_xfrm = req->out_sa;
	p.nxfrm = req->nout;
	if (in_outer) {
		legs[n].name = "outer";
		legs[n].p = p;
		legs[n].p.out = "";
		outer_state(&legs[n].p, &req->in_sa[0]);
		legs[n].p.nxfrm = 0;
		leg_hooks(&legs[n], &legs[n].p);
		n++;
	}
	if (inner) {
		legs[n].name = in_outer || out_outer ? "inner" : NULL;
		legs[n].p = p;
		leg_hooks(&legs[n], &p);
		n++;
	}
	for (size_t k = 0; out_outer && k < req->nout; k++) {
		legs[n].name = "outer";
		legs[n].p = p;
		legs[n].p.in = "";
		outer_state(&legs[n].p, &req->out_sa[k]);
		legs[n].p.dst_xfrm = req->out_sa + k + 1;
		legs[n].p.nxfrm = req->nout - k - 1;
		leg_hooks(&legs[n], &legs[n].p);
		n++;
	}
	return n;
}

void tracer_run(struct tracer *tr, const struct trace_packet *p,
		struct trace_result *res)
{
	struct leg legs[2 + TRACE_SA_MAX];
	struct walk *w = tr->top;

	/* A walk is big (its stack of frames): one for every run, since
	 * the lints trace a packet per rule. */
	if (!w) {
		w = tr->top = malloc(sizeof(*w));
		if (!w)
			abort();
	}
	tr->res = res;
	tr->req = p;
	res->npaths = 0;
	res->truncated = false;
	tr->nsteps = 0;
	memset(w, 0, offsetof(struct walk, stack));
	w->legs = legs;
	w->nlegs = build_legs(p, legs);
	walk_run(tr, w);
}

/* ---- printing ---------------------------------------------------------- */

static const char *hook_name(int hook)
{
	return hook_chain_name(hook);
}

static const char *rule_file(const struct trace_step *s)
{
	const struct rule *r = &s->chain->rules[s->rule - 1];

	return r->loc.src ? r->loc.src->name : "-";
}

static unsigned rule_line(const struct trace_step *s)
{
	return s->chain->rules[s->rule - 1].loc.line;
}

static void print_step_rule(const struct trace_step *s, FILE *out)
{
	const struct rule *r = &s->chain->rules[s->rule - 1];

	fprintf(out, "  %s %s #%zu (%s:%u", s->table->name, s->chain->name,
		s->rule, rule_file(s), rule_line(s));
	/* A rule of a macro or an included file: where it was called. */
	for (const struct src_loc *v = r->loc.via; v; v = v->via)
		fprintf(out, ", from %s:%u", v->src ? v->src->name : "-",
			v->line);
	fputs("): ", out);
	print_rule(s->table, s->chain->name, r->entry, out);
	fputc('\n', out);
}

static void print_step_text(const struct trace_step *s, FILE *out)
{
	switch (s->kind) {
	case TS_LEG:
		fprintf(out, "%s packet:\n", s->what);
		break;
	case TS_HOOK:
		fprintf(out, "%s\n", hook_name(s->hook));
		break;
	case TS_NAT_SKIP:
		fprintf(out,
			"  nat %s: not consulted (not the first packet of "
			"a tracked connection)\n",
			hook_name(s->hook));
		break;
	case TS_RULE:
		print_step_rule(s, out);
		if (s->detail[0] && (strcmp(s->what, "jump") == 0 ||
				     strcmp(s->what, "goto") == 0))
			fprintf(out, "    -> %s %s\n", s->what, s->detail);
		else if (s->detail[0])
			fprintf(out, "    -> %s: %s\n", s->what, s->detail);
		else
			fprintf(out, "    -> %s\n", s->what);
		break;
	case TS_POLICY:
		fprintf(out, "  %s %s: policy %s\n", s->table->name,
			s->chain->name, s->what);
		break;
	case TS_END:
		fprintf(out, "  %s %s: end of chain, return\n", s->table->name,
			s->chain->name);
		break;
	case TS_UNDECIDED:
		fprintf(out,
			"  %s %s #%zu (%s:%u): undecided: ", s->table->name,
			s->chain->name, s->rule, rule_file(s), rule_line(s));
		if (s->what[0])
			fprintf(out, "-m %s ", s->what);
		fprintf(out, "%s; assumed %s\n", s->detail,
			s->matched ? "to match" : "not to match");
		break;
	case TS_ABORT:
		fprintf(out, "  walk stopped: %s\n", s->what);
		break;
	}
}

void trace_print_text(const struct trace_result *res, FILE *out)
{
	for (size_t i = 0; i < res->npaths; i++) {
		const struct trace_path *p = &res->paths[i];

		if (res->npaths > 1)
			fprintf(out, "%soutcome %zu of %zu%s:\n", i ? "\n" : "",
				i + 1, res->npaths,
				res->truncated ? " (more were cut)" : "");
		for (size_t k = 0; k < p->nsteps; k++)
			print_step_text(&p->steps[k], out);
		fprintf(out, "verdict: %s\n", p->verdict);
	}
}

static void json_string(const char *s, FILE *out)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_where(const struct trace_step *s, FILE *out)
{
	fputs("{\"table\": ", out);
	json_string(s->table->name, out);
	fputs(", \"chain\": ", out);
	json_string(s->chain->name, out);
}

static void json_matched(const struct trace_path *p, FILE *out)
{
	bool first = true;

	fputs("\"matched\": [", out);
	for (size_t k = 0; k < p->nsteps; k++) {
		const struct trace_step *s = &p->steps[k];

		if (s->kind != TS_RULE && s->kind != TS_POLICY)
			continue;
		fputs(first ? "" : ", ", out);
		first = false;
		json_where(s, out);
		if (s->kind == TS_RULE)
			fprintf(out, ", \"rule\": %zu, \"line\": %u}", s->rule,
				rule_line(s));
		else
			fputs(", \"policy\": true}", out);
	}
	fputc(']', out);
}

/* Whether step @s is an undecided test already listed before path @pi,
 * step @k. */
static bool undecided_seen(const struct trace_result *res, size_t pi, size_t k,
			   const struct trace_step *s)
{
	for (size_t i = 0; i <= pi; i++) {
		const struct trace_path *p = &res->paths[i];
		size_t end = i == pi ? k : p->nsteps;

		for (size_t j = 0; j < end; j++) {
			const struct trace_step *t = &p->steps[j];

			if (t->kind == TS_UNDECIDED && t->chain == s->chain &&
			    t->rule == s->rule && strcmp(t->what, s->what) == 0)
				return true;
		}
	}
	return false;
}

static void json_undecided(const struct trace_result *res, FILE *out)
{
	bool first = true;

	fputs(", \"undecided\": [", out);
	for (size_t i = 0; i < res->npaths; i++)
		for (size_t k = 0; k < res->paths[i].nsteps; k++) {
			const struct trace_step *s = &res->paths[i].steps[k];

			if (s->kind != TS_UNDECIDED ||
			    undecided_seen(res, i, k, s))
				continue;
			fputs(first ? "" : ", ", out);
			first = false;
			json_where(s, out);
			fprintf(out,
				", \"rule\": %zu, \"line\": %u, \"match\": ",
				s->rule, rule_line(s));
			json_string(s->what[0] ? s->what : s->detail, out);
			fputc('}', out);
		}
	fputc(']', out);
}

void trace_print_json(const struct trace_result *res, FILE *out)
{
	bool undecided = res->npaths > 1;

	for (size_t k = 0; res->npaths && k < res->paths[0].nsteps; k++)
		undecided |= res->paths[0].steps[k].kind == TS_UNDECIDED;
	fputs("{\"verdict\": ", out);
	json_string(res->npaths ? res->paths[0].verdict : "UNKNOWN", out);
	fputs(", ", out);
	if (res->npaths)
		json_matched(&res->paths[0], out);
	if (undecided) {
		json_undecided(res, out);
		fputs(", \"outcomes\": [", out);
		for (size_t i = 0; i < res->npaths; i++) {
			fputs(i ? ", {\"verdict\": " : "{\"verdict\": ", out);
			json_string(res->paths[i].verdict, out);
			fputs(", ", out);
			json_matched(&res->paths[i], out);
			fputc('}', out);
		}
		fputc(']', out);
		if (res->truncated)
			fputs(", \"truncated\": true", out);
	}
	fputs("}\n", out);
}

/* Split @line at blanks into at most @max words (in place). */
static int split_words(char *line, char **argv, int max)
{
	int argc = 0;
	char *save;

	for (char *w = strtok_r(line, " \t\n", &save); w && argc < max;
	     w = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = w;
	return argc;
}

/* --batch: one packet a line on @in, one JSON object a line on @out;
 * a bad line prints {"error": "..."}. */
/* The config's router addresses, for trace_command and trace_batch. */
struct config_locals {
	const char *const *v;
	size_t n;
};

/* Give @p the config's router addresses; -1 with @why when one of them
 * cannot be (not an address, or too many). */
static int add_config_locals(struct trace_packet *p,
			     const struct config_locals *cl, char *why,
			     size_t len)
{
	for (size_t i = 0; i < cl->n; i++) {
		if (strchr(cl->v[i], ':'))
			continue; /* IPv6: not traced */
		if (trace_packet_local(p, cl->v[i]) < 0) {
			snprintf(why, len,
				 "the config's router address '%s' (an "
				 "address() value): not an IPv4 address, or "
				 "more than %d router addresses",
				 cl->v[i], TRACE_LOCAL_MAX);
			return -1;
		}
	}
	return 0;
}

static int trace_batch(struct tracer *tr, struct trace_result *res, FILE *in,
		       FILE *out, const struct config_locals *cl)
{
	char *line = NULL, why[512], *argv[128];
	size_t cap = 0;
	struct trace_packet p;

	while (getline(&line, &cap, in) > 0) {
		int argc = split_words(line, argv, 128);

		if (argc == 0)
			continue;
		if (trace_packet_parse(argc, argv, &p, why, sizeof(why)) < 0 ||
		    add_config_locals(&p, cl, why, sizeof(why)) < 0) {
			fputs("{\"error\": ", out);
			json_string(why, out);
			fputs("}\n", out);
			continue;
		}
		tracer_run(tr, &p, res);
		trace_print_json(res, out);
		fflush(out);
	}
	free(line);
	return 0;
}

int trace_command(const struct ruleset *rs, const char *const *locals,
		  size_t nlocals, int argc, char **argv, FILE *out, FILE *err)
{
	struct config_locals cl = { locals, nlocals };
	struct trace_packet p;
	struct trace_result *res;
	struct tracer *tr;
	char why[512];
	bool batch = argc == 1 && strcmp(argv[0], "--batch") == 0;

	if (!batch &&
	    (trace_packet_parse(argc, argv, &p, why, sizeof(why)) < 0 ||
	     add_config_locals(&p, &cl, why, sizeof(why)) < 0)) {
		fprintf(err, "iptload: trace: %s\n", why);
		return -1;
	}
	res = xcalloc(1, sizeof(*res));
	tr = tracer_new(rs);
	if (batch) {
		trace_batch(tr, res, stdin, out, &cl);
	} else {
		tracer_run(tr, &p, res);
		if (p.json)
			trace_print_json(res, out);
		else
			trace_print_text(res, out);
	}
	tracer_free(tr);
	free(res);
	return 0;
}
