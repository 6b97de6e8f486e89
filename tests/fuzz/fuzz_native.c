/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_native.c - libFuzzer target: the native encoders against the
 * iptables extensions.  Every command of the input (read and expanded as
 * a config) is encoded twice in each family: as iptload encodes it (the
 * native encoders of encode.c, encode_match.c and encode_target.c, with
 * their fallback to the adapter) and with every extension through the
 * libxtables adapter (ENCODE_NO_NATIVE_MATCHES | ENCODE_NO_NATIVE_TARGETS).
 * Both must accept or both refuse, and an accepted line must give the
 * same entry bytes; else the target traps.  Nothing here loads a table;
 * the set match and the revision probes ask the kernel read-only
 * questions, so run it in a network namespace of its own (unshare -n).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "encode.h"
#include "expand.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Encode @c in family @f with @flags: 0 and the entry (malloc'd, its
 * size in *@size), or -1. */
static int encode_one(const struct cmd *c, enum family f, unsigned flags,
		      struct entry **e, size_t *size)
{
	struct parsed_cmd pc;
	struct diag_list dl;
	int rc;

	diag_list_init(&dl);
	rc = encode_parse(c, 0, f, &pc, flags, &dl);
	*e = NULL;
	if (rc == 0) {
		*size = encode_entry_size(&pc);
		*e = encode_entry(&pc, 0, 0);
	}
	parsed_cmd_free(&pc); /* after a refusal too, as build.c does */
	diag_list_free(&dl);
	return rc;
}

static void compare(const struct cmd *c, enum family f)
{
	struct entry *a, *b;
	size_t sa = 0, sb = 0;
	int ra = encode_one(c, f, 0, &a, &sa);
	int rb = encode_one(c, f,
			    ENCODE_NO_NATIVE_MATCHES | ENCODE_NO_NATIVE_TARGETS,
			    &b, &sb);

	if (ra != rb || sa != sb || (a && memcmp(a, b, sa) != 0))
		__builtin_trap();
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source *src =
		source_from_bytes("fuzz.conf", (const char *)data, size);
	struct expander *ex = expander_new();
	struct script script = { 0 };
	struct cmd_list cmds = { 0 };
	struct diag_list dl;

	expander_forbid_includes(ex);
	diag_list_init(&dl);
	if (reader_read(src, &script, &dl) == 0 &&
	    expander_run(ex, &script, &cmds, &dl) == 0)
		for (size_t i = 0; i < cmds.count && i < 64; i++) {
			compare(&cmds.items[i], FAMILY_IPV4);
			compare(&cmds.items[i], FAMILY_IPV6);
		}
	cmd_list_free(&cmds);
	script_free(&script);
	expander_free(ex);
	diag_list_free(&dl);
	source_free(src);
	return 0;
}
