/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * encode_match.c - native encoders for the common extension matches, beside
 * encode.c's own (udp, tcp, icmp, icmp6, policy).  Each writes the bytes the
 * iptables extension of the same name writes at the revision it picks on a
 * kernel that has it; tests/kernel prove them against iptables-legacy.
 */
#include "encode_native.h"

/* Sorted by name for bsearch.  (None yet: the placeholder is never found,
 * its name being no valid match name.) */
const struct match_def encode_more_matches[] = {
	{ "", 0, 0, 0, NULL, 0, NULL, NULL, NULL },
};
const size_t encode_more_nmatches = 0;
