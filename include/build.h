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
 * Replay every command of @cl against @rs, in order.  Each table starts
 * empty the first time a command names it.  Errors go to @dl and the
 * replay goes on with the next command; returns 0 or -1.
 */
int build_ruleset(struct ruleset *rs, const struct cmd_list *cl,
		  struct diag_list *dl);

#endif
