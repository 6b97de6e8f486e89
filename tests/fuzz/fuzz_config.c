/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - libFuzzer target over reader, expander, builder and
 * validator: any bytes in, diagnostics or a ruleset out, no crash, no
 * leak, no undefined behaviour.  Nothing here touches the kernel.
 */
#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "diag.h"
#include "expand.h"
#include "reader.h"
#include "ruleset.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source *src = source_from_bytes("fuzz.conf", (const char *)data,
					       size);
	struct script script = { 0 };
	struct cmd_list cmds = { 0 };
	struct expander *ex = expander_new();
	struct diag_list dl;
	struct ruleset rs;
	FILE *devnull = fopen("/dev/null", "w");

	expander_forbid_includes(ex);
	diag_list_init(&dl);
	ruleset_init(&rs);
	reader_read(src, &script, &dl);
	expander_run(ex, &script, &cmds, &dl);
	if (build_ruleset(&rs, &cmds, &dl) == 0)
		validate_ruleset(&rs, &dl);
	if (devnull) {
		diag_list_print(&dl, devnull); /* the printer is fuzzed too */
		fclose(devnull);
	}
	ruleset_free(&rs);
	cmd_list_free(&cmds);
	script_free(&script);
	expander_free(ex);
	diag_list_free(&dl);
	source_free(src);
	return 0;
}
