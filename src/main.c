/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - the command line: parse options, run the stages in order,
 * print the diagnostics once, and turn the outcome into an exit status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#include "build.h"
#include "commit.h"
#include "diag.h"
#include "expand.h"
#include "print.h"
#include "reader.h"
#include "ruleset.h"
#include "validate.h"

/* Exit statuses; documented in --help, README and iptload(8). */
enum {
	EXIT_OK = 0,
	EXIT_CONFIG = 2,   /* the config is wrong: nothing was changed */
	EXIT_KERNEL = 3,   /* the kernel refused: nothing was changed */
	EXIT_LOCK = 4,	   /* the xtables lock was not free in time */
	EXIT_PARTIAL = 5,  /* --boot: loaded, but some rules wait for a
			      value (an interface's address) */
	EXIT_LOCKDOWN = 6, /* --boot: the config is unusable; the built-in
			      lockdown ruleset was loaded instead */
	EXIT_MIXED = 7,	   /* a table was refused and putting back the
			      tables already committed failed: the
			      kernel holds a mix of old and new */
	EXIT_USAGE = 64,
};

/*
 * What --boot loads when the config cannot be read or has errors: fail
 * closed, but keep the machine talking to itself.
 */
static const char lockdown_ruleset[] =
	"*filter\n"
	":INPUT DROP [0:0]\n"
	":FORWARD DROP [0:0]\n"
	":OUTPUT DROP [0:0]\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A OUTPUT -o lo -j ACCEPT\n"
	"COMMIT\n";

enum command { CMD_APPLY, CMD_CHECK, CMD_PRINT };

/* What the command line asked for. */
struct options {
	enum command command;
	const char *file;
	char **defines;
	size_t ndefines;
	int wait_seconds;
	bool boot;
	bool quiet;
	bool verbose;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: iptload [OPTION]... COMMAND [FILE]\n"
		"Load an iptables ruleset into the kernel, atomically, "
		"through libiptc.\n"
		"\n"
		"Commands:\n"
		"  apply [FILE]   build, check and commit the ruleset\n"
		"  check [FILE]   everything but the commit; touches nothing\n"
		"  print [FILE]   the expanded ruleset as iptables-save text\n"
		"\n"
		"FILE defaults to %s; - reads standard input.\n"
		"\n"
		"Options:\n"
		"  -D, --define NAME=VALUE  set a variable (wins over the "
		"file)\n"
		"  -w, --wait[=SECONDS]     wait at most SECONDS for the "
		"xtables lock\n"
		"                           (default: wait as long as it "
		"takes)\n"
		"      --boot               apply: fail closed at boot; leave "
		"out the rules\n"
		"                           whose values are not known yet, "
		"and load a\n"
		"                           lockdown (DROP, loopback only) if "
		"the config\n"
		"                           cannot be used\n"
		"  -q, --quiet              print errors and warnings only\n"
		"  -v, --verbose            say what is committed\n"
		"  -h, --help               this text\n"
		"  -V, --version            the version\n"
		"\n"
		"Exit status: 0 done; 2 error in the config; 3 the kernel "
		"refused the\n"
		"ruleset; 4 the xtables lock was busy; 5 --boot loaded all "
		"but the rules\n"
		"that wait for a value; 6 --boot loaded the lockdown; 7 "
		"the roll-back\n"
		"after a refusal failed (the kernel holds a mix: see the "
		"message);\n"
		"64 usage error.  On 2, 3 and 4 the kernel's tables are left "
		"exactly\n"
		"as they were.\n",
		IPTLOAD_DEFAULT_CONFIG);
}

static int parse_wait(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > 86400)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_command(const char *word, enum command *out)
{
	static const char *const names[] = { [CMD_APPLY] = "apply",
					     [CMD_CHECK] = "check",
					     [CMD_PRINT] = "print" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(word, names[i]) == 0) {
			*out = (enum command)i;
			return 0;
		}
	return -1;
}

/* Returns -1 to go on, or the exit status to leave with. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "define", required_argument, NULL, 'D' },
		{ "wait", optional_argument, NULL, 'w' },
		{ "boot", no_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->wait_seconds = -1;
	while ((c = getopt_long(argc, argv, "D:w::qvhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'D':
			o->defines = reallocarray(o->defines, o->ndefines + 1,
						  sizeof(*o->defines));
			if (!o->defines)
				abort();
			o->defines[o->ndefines++] = optarg;
			break;
		case 'w':
			if (!optarg && optind < argc &&
			    parse_wait(argv[optind], &o->wait_seconds) == 0)
				optind++; /* "-w 5", as iptables spells it */
			else if (optarg &&
				 parse_wait(optarg, &o->wait_seconds) < 0) {
				fprintf(stderr, "iptload: -w takes seconds "
						"(0-86400), not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'B':
			o->boot = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("iptload %s\n", IPTLOAD_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc || parse_command(argv[optind], &o->command) < 0) {
		if (optind < argc)
			fprintf(stderr, "iptload: unknown command '%s'\n",
				argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (o->boot && o->command != CMD_APPLY) {
		fprintf(stderr, "iptload: --boot goes with apply\n");
		return EXIT_USAGE;
	}
	o->file = optind + 1 < argc ? argv[optind + 1] : IPTLOAD_DEFAULT_CONFIG;
	if (optind + 2 < argc) {
		fprintf(stderr, "iptload: unexpected argument '%s'\n",
			argv[optind + 2]);
		return EXIT_USAGE;
	}
	return -1;
}

/* Reader, expander, builder, validator: the config to a ruleset. */
static int load_config(const struct options *o, struct source *src,
		       struct expander *ex, struct ruleset *rs,
		       struct diag_list *dl)
{
	struct script script = { 0 };
	struct cmd_list cmds = { 0 };
	int rc = reader_read(src, &script, dl);

	if (o->boot)
		expander_set_boot(ex);
	for (size_t i = 0; i < o->ndefines; i++)
		if (expander_define(ex, o->defines[i], dl) < 0)
			rc = -1;
	if (expander_run(ex, &script, &cmds, dl) < 0)
		rc = -1;
	if (build_ruleset(rs, &cmds, dl) < 0)
		rc = -1;
	if (rc == 0 && validate_ruleset(rs, dl) < 0)
		rc = -1;
	cmd_list_free(&cmds);
	script_free(&script);
	return rc;
}

static size_t count_rules(const struct ruleset *rs, size_t *tables)
{
	size_t n = 0;

	*tables = 0;
	for (int id = 0; id < TABLE_COUNT; id++) {
		const struct table *t = &rs->tables[id];

		if (!t->named)
			continue;
		++*tables;
		for (size_t i = 0; i < t->nchains; i++)
			n += t->chains[i]->nrules;
	}
	return n;
}

static int run(const struct options *o, struct ruleset *rs,
	       struct diag_list *dl)
{
	struct commit_options copt = { .wait_seconds = o->wait_seconds };
	struct commit_report report = { 0 };
	size_t tables, rules = count_rules(rs, &tables);

	switch (o->command) {
	case CMD_PRINT:
		print_ruleset(rs, stdout);
		return EXIT_OK;
	case CMD_CHECK:
		if (!o->quiet)
			printf("%s: ok: %zu tables, %zu rules\n", o->file,
			       tables, rules);
		return EXIT_OK;
	case CMD_APPLY:
		if (commit_ruleset(rs, &copt, &report, dl) < 0)
			return report.status == COMMIT_LOCK_FAILED ? EXIT_LOCK
			       : report.status == COMMIT_PARTIAL   ? EXIT_MIXED
								   : EXIT_KERNEL;
		if (o->verbose)
			printf("%s: committed %u tables (%zu rules), %u "
			       "retries\n",
			       o->file, report.tables_committed, rules,
			       report.retries);
		return EXIT_OK;
	}
	return EXIT_USAGE;
}

/* --boot with an unusable config: load the lockdown ruleset instead. */
static int apply_lockdown(const struct options *o, struct diag_list *dl)
{
	struct options lo = { .command = CMD_APPLY, .file = "lockdown",
			      .wait_seconds = o->wait_seconds };
	struct source *src = source_from_string("<lockdown>", lockdown_ruleset);
	struct expander *ex = expander_new();
	struct ruleset rs;
	int status;

	ruleset_init(&rs);
	status = load_config(&lo, src, ex, &rs, dl) < 0 ? EXIT_CONFIG
							  : run(&lo, &rs, dl);
	fprintf(stderr, "iptload: %s: the config cannot be used; %s\n",
		o->file,
		status == EXIT_OK ? "loaded the lockdown ruleset (policies "
				    "DROP, loopback allowed)"
				  : "loading the lockdown ruleset failed too");
	ruleset_free(&rs);
	expander_free(ex);
	source_free(src);
	return status == EXIT_OK ? EXIT_LOCKDOWN : status;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct expander *ex;
	char *why = NULL;
	struct diag_list dl;
	struct ruleset rs;
	struct source *src;
	int status = parse_options(argc, argv, &o);

	if (status >= 0) {
		free(o.defines);
		return status;
	}
	diag_list_init(&dl);
	src = source_read(o.file, &why);
	if (!src) {
		fprintf(stderr, "iptload: cannot read %s: %s\n", o.file, why);
		free(why);
		status = o.boot ? apply_lockdown(&o, &dl) : EXIT_CONFIG;
		diag_list_print(&dl, stderr);
		diag_list_free(&dl);
		free(o.defines);
		return status;
	}
	/* The expander holds included files and call sites that the
	 * diagnostics point into: it lives until they are printed. */
	ex = expander_new();
	ruleset_init(&rs);
	if (load_config(&o, src, ex, &rs, &dl) < 0)
		status = EXIT_CONFIG;
	else
		status = run(&o, &rs, &dl);
	diag_list_print(&dl, stderr);
	if (status == EXIT_CONFIG && dl.errors)
		fprintf(stderr, "iptload: %zu error%s in %s; nothing was "
				"changed\n",
			dl.errors, dl.errors == 1 ? "" : "s", o.file);
	if (status == EXIT_CONFIG && o.boot) {
		diag_list_free(&dl);
		diag_list_init(&dl);
		status = apply_lockdown(&o, &dl);
		diag_list_print(&dl, stderr);
	} else if (status == EXIT_OK && expander_left_out(ex) > 0) {
		fprintf(stderr, "iptload: %s: loaded, but %zu rule%s for "
				"values not known yet (see above)\n",
			o.file, expander_left_out(ex),
			expander_left_out(ex) == 1 ? " waits" : "s wait");
		status = EXIT_PARTIAL;
	}
	ruleset_free(&rs);
	diag_list_free(&dl);
	expander_free(ex);
	source_free(src);
	free(o.defines);
	return status;
}
