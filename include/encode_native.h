/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * encode_native.h - what a native encoder is made of, for encode.c and the
 * files that hold more native encoders beside it (encode_match.c).  Private
 * to the builder: nothing outside the encoder files includes it.
 *
 * A native match is a table of options and callbacks that fill the
 * match's data, byte for byte what iptables' extension would write at the
 * revision iptables picks on a kernel that has it (@revision).  encode.c's
 * option parser does the rest (abbreviations, "!", merge order, "given
 * once"), exactly as for the extensions it loads through libxtables.
 */
#ifndef IPTLOAD_ENCODE_NATIVE_H
#define IPTLOAD_ENCODE_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "encode.h"

/* One option: --name, its short letter (0: none), number of arguments. */
struct opt_def {
	const char *name;
	char letter;
	unsigned char nargs;
	unsigned char id; /* bit in encoded_match.seen: below 32 */
	bool invertible;
	bool multi; /* may be given more than once */
};

/* What a parse callback gets for one option occurrence. */
struct opt_call {
	const struct opt_def *opt;
	const struct arg *word; /* the option as written */
	const struct arg *val[2];
	bool invert;
	struct parsed_cmd *pc;
	struct diag_list *dl;
};

/*
 * A natively encoded match: its options (sorted by name) and how to parse
 * and check them.  @final runs once the line is parsed (NULL: nothing to
 * check).  @size is of its data, before XT_ALIGN, at most
 * sizeof(encoded_match.data).
 */
struct match_def {
	const char *name;
	uint8_t revision;
	uint8_t proto; /* the -p it requires, 0: none */
	size_t size;
	const struct opt_def *opts;
	size_t nopts;
	void (*init)(void *data);
	int (*parse)(struct opt_call *call, struct encoded_match *m);
	int (*final)(struct encoded_match *m, struct diag_list *dl);
	/* The name the entry holds, when not @name ("state" is conntrack
	 * with a flag), or NULL. */
	const char *real_name;
};

/*
 * A natively encoded target (encode_target.c): its options, parse and
 * final callbacks and data in the form of a native match (@m: @m.size is
 * of the data after the xt_entry_target, @m.proto unused), so that its
 * options join the lookup where iptables merges the target's, and encode.c
 * handles abbreviations, "!" and "given once" as for a match.  @families
 * has bit (1u << family) for each family it serves (the other family's
 * target of that name, if any, is another entry).
 *
 * A callback returns ENCODE_FALLBACK, with no diagnostic, for a case it
 * does not encode exactly as iptables would (a rare spelling, or an error
 * whose wording is the extension's): encode_parse() then parses the line
 * again with the target through the libxtables adapter, as before.  The
 * native matches of encode_match.c do the same (a rare form of a value, a
 * value iptables refuses in its own words, a missing mandatory option).
 */
struct target_def {
	struct match_def m;
	unsigned families;
};

#define ENCODE_FALLBACK (-2)

/* The native targets, sorted by name, then by family bit. */
extern const struct target_def encode_targets[];
extern const size_t encode_ntargets;

/*
 * The native matches defined outside encode.c (encode_match.c), sorted by
 * name; encode.c looks a name up in its own table first, then here.
 */
extern const struct match_def encode_more_matches[];
extern const size_t encode_more_nmatches;

/* Value parsers shared by the encoders.  The int ones report at the
 * option's value and return -1; the bool ones only say whether @s is valid. */
int encode_bad_value(struct opt_call *c, int i, const char *what);
bool encode_parse_decimal(const char *s, unsigned long max, unsigned long *out);
bool encode_parse_strtoui(const char *s, unsigned long max, unsigned long *out);
bool encode_parse_u32(const char *s, uint32_t *out);
bool encode_parse_port(const char *s, bool tcp, uint16_t *out);
int encode_parse_port_range(struct opt_call *c, bool tcp, uint16_t range[2]);

#endif
