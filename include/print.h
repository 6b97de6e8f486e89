/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * print.h - the ruleset as iptables-save text: the inverse of the builder.
 * Tables, chains and rules appear in the order and spelling that
 * iptables-legacy-save uses, so that the output can be compared with it
 * line for line and fed back to iptload or iptables-legacy-restore.
 */
#ifndef IPTLOAD_PRINT_H
#define IPTLOAD_PRINT_H

#include <stdio.h>

#include "ruleset.h"

/* Print every named table of @rs ("*table", chains, "-A" lines, "COMMIT"). */
void print_ruleset(const struct ruleset *rs, FILE *out);
/* The same, both families, for a reader whose default family is @deflt:
 * the other family's tables come after a "family" line. */
void print_ruleset_as(const struct ruleset *rs, enum family deflt, FILE *out);
void print_table(const struct table *t, FILE *out);
/* Print one rule as "-A CHAIN ..." without the newline. */
void print_rule(const struct table *t, const char *chain, const struct entry *e,
		FILE *out);

#endif
