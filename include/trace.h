/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace.h - which rules decide a packet, from the built ruleset alone:
 * the kernel's hooks and tables in their order, each chain walked as
 * ipt_do_table walks it, every rule's matches evaluated as the kernel's
 * match functions evaluate them (xt_policy included).  A match that is
 * not modelled, or that tests a field the packet description leaves out,
 * is never guessed: the walk forks and follows both outcomes.
 *
 * The tracer reads the model (struct ruleset), never the kernel.
 */
#ifndef IPTLOAD_TRACE_H
#define IPTLOAD_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ruleset.h"

/* Most SAs one packet carries (the kernel's XFRM_MAX_DEPTH). */
#define TRACE_SA_MAX 6
/* Most router addresses --local takes. */
#define TRACE_LOCAL_MAX 32

/* One IPsec SA the packet came out of or goes into. */
struct trace_sa {
	uint8_t proto; /* IPPROTO_ESP, IPPROTO_AH, IPPROTO_COMP */
	uint8_t mode;  /* 0 transport, 1 tunnel (XFRM_MODE_*) */
	bool has_reqid;
	bool has_spi;
	bool encap; /* ESP in UDP (NAT traversal, udp 4500) */
	struct in_addr src, dst;
	uint32_t reqid;
	uint32_t spi; /* host order */
};

/* The fields of a packet description; a field not given is unknown. */
enum trace_field {
	TF_SRC = 1u << 0,
	TF_DST = 1u << 1,
	TF_PROTO = 1u << 2,
	TF_SPORT = 1u << 3,
	TF_DPORT = 1u << 4,
	TF_ICMP = 1u << 5,
	TF_LENGTH = 1u << 6,
};

enum trace_leg_choice {
	TRACE_LEG_DEFAULT,
	TRACE_LEG_OUTER,
	TRACE_LEG_INNER,
	TRACE_LEG_BOTH,
};

/* A packet as `iptload trace` takes it (iptables' words). */
struct trace_packet {
	char in[16], out[16]; /* "" when not given */
	struct in_addr src, dst;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tcp_flags; /* the flags byte of the TCP header */
	bool has_tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint16_t length;
	unsigned ctstate; /* XT_CONNTRACK_STATE_* bits; default NEW */
	uint32_t mark, ctmark;
	unsigned known;			     /* TF_* */
	struct trace_sa in_sa[TRACE_SA_MAX]; /* in decapsulation order */
	size_t nin;
	struct trace_sa out_sa[TRACE_SA_MAX]; /* in encapsulation order */
	size_t nout;
	enum trace_leg_choice leg;
	struct in_addr local[TRACE_LOCAL_MAX]; /* the router's addresses */
	struct in_addr local_mask[TRACE_LOCAL_MAX];
	size_t nlocal;
	bool json;
};

/*
 * Parse the packet words @argv[0..@argc) into @p.  Returns 0, or -1 with
 * a message in @err.
 */
int trace_packet_parse(int argc, char **argv, struct trace_packet *p, char *err,
		       size_t errlen);

/* The checks trace_packet_parse makes of the whole description once its
 * words are read (for a packet built without words); 0, or -1 with a
 * message in @err. */
int trace_packet_check(const struct trace_packet *p, char *err, size_t len);

/* What one step of a walk was. */
enum trace_step_kind {
	TS_LEG,	      /* a new leg (outer/inner) begins */
	TS_HOOK,      /* a hook begins */
	TS_NAT_SKIP,  /* nat table not consulted: not the first packet */
	TS_RULE,      /* a rule matched (its counters move) */
	TS_POLICY,    /* a built-in chain's policy applied */
	TS_END,	      /* fell off the end of a user chain */
	TS_UNDECIDED, /* a match could not be decided; the walk forked */
	TS_ABORT,     /* the walk cannot go on (chain depth) */
};

/* One step of a walk. */
struct trace_step {
	enum trace_step_kind kind;
	const struct table *table;
	const struct chain *chain;
	size_t rule; /* 1-based, as iptables -L --line-numbers */
	int hook;
	bool matched;	  /* TS_UNDECIDED: the branch this path took */
	const char *what; /* TS_RULE: jump/goto/return/verdict text;
			     TS_UNDECIDED: which match and why;
			     TS_LEG: the leg's name */
	char detail[64];  /* TS_RULE: what a target changed */
};

/* One complete walk: its steps and its verdict. */
struct trace_path {
	struct trace_step *steps;
	size_t nsteps;
	const char *verdict; /* "ACCEPT", "DROP", "REJECT", "QUEUE", ... */
};

/* Most outcomes one trace follows; more forks than this are cut. */
#define TRACE_MAX_PATHS 64

/* Every outcome of one trace. */
struct trace_result {
	struct trace_path paths[TRACE_MAX_PATHS];
	size_t npaths;
	bool truncated; /* more outcomes existed than were kept */
};

/* A ruleset prepared for tracing (decoded once, traced many times). */
struct tracer;

/* Prepare @rs, which must outlive the tracer.  Never NULL. */
struct tracer *tracer_new(const struct ruleset *rs);
void tracer_free(struct tracer *tr);

/*
 * Trace @p through the prepared ruleset into @res (which the tracer
 * reuses: the result is valid until the next trace or tracer_free).
 */
void tracer_run(struct tracer *tr, const struct trace_packet *p,
		struct trace_result *res);

/* Print @res as text (file:line and the rule as iptables-save prints
 * it), or as the JSON object of --json. */
void trace_print_text(const struct trace_result *res, FILE *out);
void trace_print_json(const struct trace_result *res, FILE *out);

/* Add @a/@mask to the router's addresses of @p (addrtype LOCAL);
 * returns -1 when the list is full. */
int trace_packet_add_local(struct trace_packet *p, struct in_addr a,
			   struct in_addr mask);
/* The same from ADDR or ADDR/LEN, as --local takes it; -1 when @s is no
 * IPv4 address or the list is full. */
int trace_packet_local(struct trace_packet *p, const char *s);

/*
 * `iptload trace`: parse the packet words @argv, trace, print to @out.
 * @locals (@nlocals of them, ADDR or ADDR/LEN) are the router's own
 * addresses the config names (expander_addresses): every packet has them
 * as if given with --local; IPv6 ones are left out.  Returns 0, or -1
 * after printing a usage error to @err.
 */
int trace_command(const struct ruleset *rs, const char *const *locals,
		  size_t nlocals, int argc, char **argv, FILE *out, FILE *err);

#endif
