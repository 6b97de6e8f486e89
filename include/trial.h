/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trial.h - load a ruleset into a scratch network namespace, never the
 * live one: for "check --kernel", and to find which rule the kernel
 * refused after "apply" was refused.
 */
#ifndef IPTLOAD_TRIAL_H
#define IPTLOAD_TRIAL_H

#include "diag.h"
#include "ruleset.h"

/*
 * Commit every named table of @rs in a new network namespace of a forked
 * child.  Returns 0 when the kernel accepts it all.  When it refuses a
 * table, adds an error located at the rule that makes the table
 * unacceptable (found by bisecting the table's rules), with what the
 * kernel logged about it, and returns -1.  Also -1, with an error, when
 * no trial could be made (no permission for namespaces).
 */
int trial_load(const struct ruleset *rs, struct diag_list *dl);

#endif
