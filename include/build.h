/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * build.h - replays concrete commands (iptables command lines and
 * iptables-save lines) against the in-memory ruleset, encoding each rule as
 * the ipt_entry bytes iptables-legacy would build.
 */
#ifndef IPTLOAD_BUILD_H
#define IPTLOAD_BUILD_H

#include "diag.h"
#include "expand.h"
#include "ruleset.h"

/*
 * The rules a config may make (each -A/-I/-R, once per source and
 * destination address), and the bytes of their kernel entries: far above
 * real configs, so that a mistaken address list is an error at its line,
 * not a boot that runs out of memory; the bytes also keep every table far
 * below the 4 GiB its 32-bit size can say.
 */
#define BUILD_MAX_RULES 1000000u
#define BUILD_MAX_ENTRY_BYTES (1u << 30)

/*
 * Replay every command of @cl against @rs, in order.  Each table starts
 * empty the first time a command names it.  Errors go to @dl and the
 * replay goes on with the next command; returns 0 or -1.
 */
int build_ruleset(struct ruleset *rs, const struct cmd_list *cl,
		  struct diag_list *dl);

/*
 * The same, one command at a time: builder_new, builder_add for each
 * command in order (0, or -1 after an error in that command), and
 * builder_finish (which frees the builder; -1 if a *table block was left
 * open).  @c is not kept.
 */
struct builder;

struct builder *builder_new(struct ruleset *rs, struct diag_list *dl);
int builder_add(struct builder *b, const struct cmd *c);
/* The family of statements that do not say theirs (as "ip6tables ..."
 * and "-6 ..." do) until a "family" line: FAMILY_IPV4 unless set
 * (iptload -6).  "family both" builds each statement into the families
 * its addresses and parts are of (split.h). */
void builder_set_family(struct builder *b, enum family f);
/* --boot: a rule whose address() value has no address of its family yet
 * is left out with a warning (counted in *@left_out), not refused. */
void builder_set_boot(struct builder *b, size_t *left_out);
/* --resolve: host names in addresses are looked up (once, now) instead of
 * refused. */
void builder_resolve_names(struct builder *b);
int builder_finish(struct builder *b);

#endif
