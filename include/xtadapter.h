/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xtadapter.h - the one door to libxtables: every match and target that
 * iptload does not encode natively is parsed, checked, saved and printed
 * by the iptables extension (.so) that iptables itself would use, so that
 * the entry bytes are the ones iptables-legacy builds.
 *
 * Only xtadapter.c includes <xtables.h>; this header shows no libxtables
 * type.  libxtables is one global state (the extension lists, getopt's
 * optind/optarg, the error callback), so there is at most one rule being
 * parsed at a time: xtadapter_rule_new() ... xtadapter_rule_free().
 *
 * The caller (encode.c) walks the command line itself, as it does for the
 * native encoders, and hands the adapter one extension option at a time:
 *
 *	r = xtadapter_rule_new();
 *	x = xtadapter_add_match(r, "conntrack")     -m conntrack
 *	xtadapter_find_option(x, "ctstate", 7, ...)  which option, how many args
 *	xtadapter_parse(r, &opt, argv, next, ...)   --ctstate NEW
 *	xtadapter_finish(r, x)                      its final check
 *	xtadapter_match_blob(x) / _target_blob()    the xt_entry_* bytes
 *	xtadapter_rule_free(r)
 *
 * Errors never end the process: a message iptables would have printed
 * before exiting comes back as a string for a located diagnostic.
 */
#ifndef IPTLOAD_XTADAPTER_H
#define IPTLOAD_XTADAPTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "entry.h"

/* The libxtables side of one rule being parsed; opaque. */
struct xtrule;
/* One extension (match or target) of that rule; opaque, owned by it. */
struct xtext;

/*
 * One option of an extension, as getopt_long would see it: @code is the
 * value getopt_long would return for it (unique within the rule), and
 * @takes_arg says whether the next word is its argument.
 */
struct xtopt {
	const char *name;
	unsigned code;
	bool takes_arg;
};

/*
 * Start a rule of family @f (libxtables then serves that family's
 * extensions: libip6t_*.so for IPv6): reset the per-rule state of every loaded extension, as
 * iptables does before each command.  Loads libxtables on first use.
 * Never returns NULL (aborts when out of memory, like the rest of iptload).
 */
struct xtrule *xtadapter_rule_new(enum family f);
/* Free everything the rule holds: extension data, scratch areas, clones. */
void xtadapter_rule_free(struct xtrule *r);

/* The message of the last failed call on @r ("" if none).  Valid until
 * the next call on @r. */
const char *xtadapter_error(const struct xtrule *r);
/*
 * What libxtables or an extension printed on stderr during the last call
 * (deprecation notices, "Notice: ... converted"), one message a line, or
 * NULL.  The caller owns the string; the adapter forgets it.
 */
char *xtadapter_take_notes(struct xtrule *r);

/* -m NAME: load match NAME.  NULL on error, with *@missing set when no
 * extension has that name. */
struct xtext *xtadapter_add_match(struct xtrule *r, const char *name,
				  bool *missing);
/*
 * The match iptables loads for an option no one knows when -p @proto was
 * given (-p sctp --dport 5).  NULL when there is none; not an error.
 */
struct xtext *xtadapter_add_proto_match(struct xtrule *r, uint8_t proto);
/*
 * -j NAME: load target NAME if an extension of that name exists.  NULL
 * with *@failed false means NAME is no extension (it may be a chain);
 * NULL with *@failed true is an error.
 */
struct xtext *xtadapter_add_target(struct xtrule *r, const char *name,
				   bool *failed);
/* Whether a target extension called @name exists (iptables -N refuses
 * such chain names); the verdicts are not extensions.  Not while a rule
 * is being parsed. */
bool xtadapter_is_target(enum family f, const char *name);

/* Whether iptables would take revision @rev of target @name in family @f
 * here: the kernel's answer, asked as libxtables asks (yes when iptload
 * may not ask).  No extension is loaded. */
bool xtadapter_target_revision_ok(enum family f, const char *name, uint8_t rev);

/* --resolve: extensions' address options may name hosts; libxtables looks
 * them up (by default they are refused, as -s and -d are). */
void xtadapter_resolve_names(bool on);
/* The name the rule will hold for @x ("conntrack" for -m state). */
const char *xtadapter_ext_name(const struct xtext *x);

/*
 * Look up --NAME (its first @len bytes) among @x's options, either as an
 * exact name or as a prefix.  Returns 1 and fills @opt when one option
 * fits, -1 when several different ones do (ambiguous), 0 when none does.
 * A second instance of an extension in a rule ("-m mark ... -m mark")
 * has no options of its own: the first instance's options reach it, as
 * with getopt_long in iptables.
 */
int xtadapter_find_option(const struct xtext *x, const char *name, size_t len,
			  bool exact, struct xtopt *opt);

/*
 * Parse option @opt.  @argv is the whole command line (NULL-terminated),
 * @next the index of the first word after the option and its argument
 * (@arg, or NULL).  Extensions of the old API take further words from
 * @argv: *@consumed says how many.  @ip is the IP part as parsed so far
 * (extensions look at -p).  Returns 0, or -1 (see xtadapter_error()).
 */
int xtadapter_parse(struct xtrule *r, const struct xtopt *opt, char **argv,
		    int next, const char *arg, bool invert,
		    const struct ipt_ip *ip, int *consumed);

/*
 * The final check of extension @x (mandatory options, options that
 * exclude each other), made once the whole line is parsed; iptables makes
 * them for the matches in order, then the target.  Returns 0 or -1.
 */
int xtadapter_finish(struct xtrule *r, struct xtext *x);

/* After xtadapter_finish(): the xt_entry_match / xt_entry_target bytes of
 * @x, header included (u.match_size / u.target_size bytes). */
const struct xt_entry_match *xtadapter_match_blob(const struct xtext *x);
const struct xt_entry_target *xtadapter_target_blob(const struct xtext *x);

/*
 * Print match @m (" -m NAME options") or target @t (" -j NAME options") of
 * a rule of family @f with IP part @ip (struct ipt_ip or ip6t_ip6) to @out as iptables-legacy-save does, through the
 * extension's own save function.  Returns -1, printing nothing, when no
 * extension knows the name or the data has not the size it expects.
 */
int xtadapter_save_match(enum family f, const void *ip,
			 const struct xt_entry_match *m, FILE *out);
int xtadapter_save_target(enum family f, const void *ip,
			  const struct xt_entry_target *t, FILE *out);

/*
 * Seal libxtables (@on) or open it again.  While sealed (the committer
 * holds the xtables lock), the save functions above load nothing: no
 * xtables_init, no dlopen of an extension, whose registration may call
 * exit(); an extension not loaded yet is "not known" (-1), and noted.
 */
void xtadapter_seal(bool on);
/* Whether a sealed save call missed an extension not tried since. */
bool xtadapter_sealed_missed(void);
/* Unsealed: load (once each) the extensions sealed calls missed. */
void xtadapter_load_missed(void);

/*
 * The kernel's restrictions on where an extension may be used (its table,
 * the hooks that reach the rule, the rule's protocol, and a few that
 * depend on options), checked before any commit.  @hooks has bit NF_INET_x
 * set for each hook that reaches the rule (0: none yet, then hook checks
 * pass, as in the kernel).  Returns 0, or -1 with a message in @why and
 * *@which set to the 0-based index of the offending match, or -1 for the
 * target.
 */
int xtadapter_check_entry(const char *table, unsigned hooks, enum family f,
			  const struct entry *e, char *why, size_t len,
			  int *which);

#endif
