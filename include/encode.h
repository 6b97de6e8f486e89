/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * encode.h - one iptables command line, parsed: the command, its chain and
 * arguments, and the rule it carries, encoded natively (IP part, udp, tcp,
 * icmp, policy, standard targets) into the bytes iptables-legacy builds.
 * Part of the builder stage: build.c replays what encode.c parses.
 */
#ifndef IPTLOAD_ENCODE_H
#define IPTLOAD_ENCODE_H

#include "diag.h"
#include "expand.h"
#include "ruleset.h"

struct xtext; /* an extension being parsed (xtadapter.h) */

enum cmd_op {
	OP_NONE,
	OP_APPEND,	 /* -A chain rule */
	OP_INSERT,	 /* -I chain [num] rule */
	OP_DELETE,	 /* -D chain rule | -D chain num */
	OP_REPLACE,	 /* -R chain num rule */
	OP_NEW_CHAIN,	 /* -N chain */
	OP_DELETE_CHAIN, /* -X [chain] */
	OP_RENAME_CHAIN, /* -E old new */
	OP_FLUSH,	 /* -F [chain] */
	OP_POLICY,	 /* -P chain ACCEPT|DROP */
	OP_ZERO,	 /* -Z [chain]: counters only, nothing to load */
};

/*
 * One match of a rule as the user wrote it, encoded: natively (@def set,
 * options in @data) or by an iptables extension through the libxtables
 * adapter (@def NULL; @blob is then the whole xt_entry_match, malloc'd).
 */
struct encoded_match {
	const struct match_def *def;
	struct xtext *ext; /* while the line is parsed; then NULL */
	struct xt_entry_match *blob;
	struct arg where; /* the -m NAME, or the option that loaded it */
	struct arg blame; /* policy: its --dir; a tunnel address */
	struct arg tunnel;
	unsigned seen;			     /* bit per option id given */
	_Alignas(8) unsigned char data[312]; /* aligned for u64 fields */
};

/* An address list item of -s/-d: one network. */
struct addr_item {
	struct in_addr addr;
	struct in_addr mask;
};

/* The same in an IPv6 rule. */
struct addr6_item {
	struct in6_addr addr;
	struct in6_addr mask;
};

/*
 * A parsed command.  @chain/@arg2 are the command's operands, @rulenum is
 * 1-based (0: none given).  The rule part is kept unexpanded in the
 * address lists so that -s a,b -d c,d makes one entry per pair.
 */
struct parsed_cmd {
	enum family family; /* of the rule: which head it is encoded with */
	enum cmd_op op;
	const struct arg *op_arg;
	const char *table;
	const struct arg *table_arg;
	const struct arg *chain;
	const struct arg *in_arg; /* -i and -o as written, for messages */
	const struct arg *out_arg;
	const struct arg *arg2;
	unsigned rulenum;
	bool has_rule; /* any rule option given */
	/* The IP part as iptables builds it; in an IPv6 rule the fields
	 * ip6t_ip6 shares with it (interfaces, proto, invflags: same bits),
	 * and the addresses in @srcs6/@dsts6. */
	struct ipt_ip ip;
	bool proto_given; /* -p was given (IPv6: IP6T_F_PROTO) */
	struct addr_item *srcs;
	size_t nsrcs;
	struct addr_item *dsts;
	size_t ndsts;
	struct addr6_item *srcs6; /* IPv6: @nsrcs of them */
	struct addr6_item *dsts6; /* IPv6: @ndsts of them */
	struct encoded_match *matches;
	size_t nmatches;
	const struct arg *target;
	/* The extension target -j named (malloc'd xt_entry_target), or
	 * NULL: a verdict or a chain.  A chain of that name wins, and then
	 * the first option given to the extension (@ext_target_opt) is an
	 * error, as in iptables-restore. */
	struct xt_entry_target *ext_target;
	const struct arg *ext_target_opt;
	bool native_target; /* @ext_target was encoded natively */
	bool is_goto;
	bool resolve; /* ENCODE_RESOLVE was given */
	bool has_counters;
	struct xt_counters counters;
	/* Values glued to their option ("-tnat", "--dport=53"), kept here
	 * because the pointers above may refer to them. */
	struct arg glued[16];
	size_t nglued;
};

/* encode_parse's flags: look host names up (--resolve) in -s, -d and the
 * policy match's tunnel addresses (extensions: xtadapter_resolve_names). */
#define ENCODE_RESOLVE 0x1u
/* Every extension target through the libxtables adapter, none native:
 * for the tests that prove the native bytes equal the adapter's, and for
 * the cases a native target leaves to the adapter. */
#define ENCODE_NO_NATIVE_TARGETS 0x2u
/* The same for the matches of encode_match.c. */
#define ENCODE_NO_NATIVE_MATCHES 0x4u

/* The largest entry the kernel can hold: its offsets are 16 bits. */
#define ENCODE_ENTRY_MAX 65535u

/*
 * Parse @c (args after an optional leading "iptables", and after a leading
 * "[pkts:bytes]") into @pc, a rule of family @f, with the ENCODE_* @flags.
 * Errors go to @dl; returns 0 or -1.
 */
int encode_parse(const struct cmd *c, size_t first, enum family f,
		 struct parsed_cmd *pc, unsigned flags, struct diag_list *dl);
void parsed_cmd_free(struct parsed_cmd *pc);

/* Encode the rule of @pc for source @si and destination @di, targeting
 * @target_name ("" for none).  Returns a malloc'd entry. */
/* encode_entry in two steps, for memory the caller provides (zeroed, of
 * encode_entry_size bytes). */
size_t encode_entry_size(const struct parsed_cmd *pc);
void encode_entry_into(const struct parsed_cmd *pc, size_t si, size_t di,
		       struct entry *e);

struct entry *encode_entry(const struct parsed_cmd *pc, size_t si, size_t di);

/* Kernel-side checks of one match against the IP part (e.g. -m udp needs
 * -p udp), made once the whole rule is known.  Returns 0 or -1. */
int encode_check_matches(const struct parsed_cmd *pc, struct diag_list *dl);

#endif
