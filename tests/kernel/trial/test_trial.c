/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_trial.c - trial_load() finds the rule the kernel refuses.
 *
 * The config is valid to iptload; then the udp match of one rule gets an
 * invflags bit the kernel does not know (xt_udp's checkentry refuses it),
 * the kind of refusal only the kernel can make.  trial_load() must blame
 * exactly that rule, by its line, and must leave the namespace it runs in
 * untouched (it loads into a scratch namespace of its own).
 *
 * The same over both families: a "family both" config whose IPv6 copy of
 * that rule is made bad must be refused in the trial, blamed at the same
 * line and named as the IPv6 table, while its IPv4 copy stays good.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/xt_tcpudp.h>

#include "build.h"
#include "diag.h"
#include "expand.h"
#include "reader.h"
#include "ruleset.h"
#include "trial.h"

static const char config[] =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":svc - [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -p udp --dport 53 -j svc\n"
	"-A svc -p udp --sport 53 -j ACCEPT\n"
	"-A svc -p udp --sport 5353 -j ACCEPT\n" /* line 7: made bad */
	"-A svc -p udp --sport 123 -j ACCEPT\n"
	"COMMIT\n";

/* The same, in both families; the IPv6 copy of line 8 is made bad. */
static const char config_both[] =
	"family both\n"
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":svc - [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -p udp --dport 53 -j svc\n"
	"-A svc -p udp --sport 53 -j ACCEPT\n"
	"-A svc -p udp --sport 5353 -j ACCEPT\n" /* line 8 */
	"-A svc -p udp --sport 123 -j ACCEPT\n"
	"COMMIT\n";

static int fail(const char *what)
{
	fprintf(stderr, "FAIL: %s\n", what);
	return 1;
}

/* The tables of this namespace, both families. */
static int tables_before(char *buf, size_t size)
{
	FILE *f = fopen("/proc/net/ip_tables_names", "r");
	size_t n = f ? fread(buf, 1, size - 1, f) : 0;

	if (f)
		fclose(f);
	f = fopen("/proc/net/ip6_tables_names", "r");
	if (f) {
		n += fread(buf + n, 1, size - 1 - n, f);
		fclose(f);
	}
	buf[n] = '\0';
	return 0;
}

/* Build @text into @rs; 0, or -1 (the diagnostics are printed). */
static int build(const char *text, struct ruleset *rs, struct expander *ex,
		 struct script *script, struct cmd_list *cmds,
		 struct diag_list *dl)
{
	struct source *src = source_from_string("trial.conf", text);
	int rc = 0;

	if (reader_read(src, script, dl) ||
	    expander_run(ex, script, cmds, dl) || build_ruleset(rs, cmds, dl))
		rc = -1;
	source_free(src);
	return rc;
}

/* The dual-stack case; returns 0 when it passes. */
static int dual_stack(void)
{
	struct expander *ex = expander_new();
	struct script script = { 0 };
	struct cmd_list cmds = { 0 };
	struct diag_list dl;
	struct ruleset rs;
	struct chain *svc;
	struct xt_entry_match *m;
	struct xt_udp *udp;
	int rc = 0;

	diag_list_init(&dl);
	ruleset_init(&rs);
	if (build(config_both, &rs, ex, &script, &cmds, &dl) < 0)
		return fail("the dual-stack config does not build");
	if (trial_load(&rs, &dl) != 0 || dl.errors)
		rc |= fail("the valid dual-stack ruleset is not accepted");
	svc = table_find_chain(ruleset_table_of(&rs, FAMILY_IPV6, TABLE_FILTER),
			       "svc");
	m = (void *)entry_v6(svc->rules[1].entry)->elems;
	udp = (void *)m->data;
	udp->invflags |= 0x80;
	if (trial_load(&rs, &dl) != -1)
		rc |= fail("the bad IPv6 rule is accepted");
	else if (dl.count != 1 || dl.items[0].loc.line != 8)
		rc |= fail("the IPv6 refusal is not located at line 8");
	else if (!strstr(dl.items[0].message, "table filter (IPv6) "))
		rc |= fail("the refusal does not name the IPv6 table");
	else
		printf("located: trial.conf:%u: %s\n", dl.items[0].loc.line,
		       dl.items[0].message);
	ruleset_free(&rs);
	cmd_list_free(&cmds);
	script_free(&script);
	expander_free(ex);
	diag_list_free(&dl);
	return rc;
}

int main(void)
{
	struct source *src = source_from_string("trial.conf", config);
	struct expander *ex = expander_new();
	struct script script = { 0 };
	struct cmd_list cmds = { 0 };
	struct diag_list dl;
	struct ruleset rs;
	struct chain *svc;
	struct xt_entry_match *m;
	struct xt_udp *udp;
	char before[256], after[256];
	int rc = 0;

	diag_list_init(&dl);
	ruleset_init(&rs);
	if (reader_read(src, &script, &dl) ||
	    expander_run(ex, &script, &cmds, &dl) ||
	    build_ruleset(&rs, &cmds, &dl))
		return fail("the config does not build");
	tables_before(before, sizeof(before));

	if (trial_load(&rs, &dl) != 0 || dl.errors)
		rc |= fail("the valid ruleset is not accepted by the trial");

	svc = table_find_chain(&rs.tables[TABLE_FILTER], "svc");
	m = (void *)entry_v4(svc->rules[1].entry)->elems;
	udp = (void *)m->data;
	udp->invflags |= 0x80; /* unknown to the kernel: EINVAL */
	if (trial_load(&rs, &dl) != -1)
		rc |= fail("the bad ruleset is accepted");
	else if (dl.count != 1 || dl.items[0].loc.line != 7)
		rc |= fail("the refusal is not located at line 7");
	else
		printf("located: trial.conf:%u: %s\n  hint: %s\n",
		       dl.items[0].loc.line, dl.items[0].message,
		       dl.items[0].hint ? dl.items[0].hint : "");
	rc |= dual_stack();
	tables_before(after, sizeof(after));
	if (strcmp(before, after) != 0)
		rc |= fail("the trial changed this namespace's tables");

	ruleset_free(&rs);
	cmd_list_free(&cmds);
	script_free(&script);
	expander_free(ex);
	diag_list_free(&dl);
	source_free(src);
	return rc;
}
