/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lint.h - the warnings of `iptload check` about a ruleset that loads but
 * leaks or is deaf: shadowed rules, and the IPsec mistakes (a VPN network
 * accepted without a policy match, IKE or ESP not accepted, no way back
 * into the tunnel, a MASQUERADE or SNAT that catches tunnel traffic).
 */
#ifndef IPTLOAD_LINT_H
#define IPTLOAD_LINT_H

#include <stdbool.h>

#include "diag.h"
#include "ruleset.h"

/*
 * Add a located warning to @dl for each finding in @rs, with a witness
 * packet as `iptload trace @file ...` takes it in the hint.  A rule
 * whose line (or the line above it, or its -m comment) holds
 * "lint-ignore" or "lint-ignore:NAME[,NAME]" is left alone.
 */
void lint_ruleset(const struct ruleset *rs, const char *file,
		  struct diag_list *dl);

/*
 * For tests: the lints build each witness packet beside its words; when
 * this is true they also parse the words (as `iptload trace` would) and
 * abort() if that gives another packet, or another verdict on whether
 * the words make one.
 */
extern bool lint_check_witnesses;

#endif
