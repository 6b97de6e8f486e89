/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * validate.h - the checks the kernel makes on a whole table, made before
 * any kernel call so that each error points at the rule that causes it:
 * jump loops, and policy-match directions against the hooks from which a
 * rule can be reached.
 */
#ifndef IPTLOAD_VALIDATE_H
#define IPTLOAD_VALIDATE_H

#include "diag.h"
#include "ruleset.h"

/* Check every named table of @rs.  Returns 0, or -1 with errors in @dl. */
int validate_ruleset(const struct ruleset *rs, struct diag_list *dl);

#endif
