/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - the command line: parse options, run the stages in order,
 * print the diagnostics once, and turn the outcome into an exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"

#include "build.h"
#include "cache.h"
#include "commit.h"
#include "confirm.h"
#include "diag.h"
#include "expand.h"
#include "lint.h"
#include "nftcheck.h"
#include "oplog.h"
#include "pipeline.h"
#include "plan.h"
#include "print.h"
#include "reader.h"
#include "ruleset.h"
#include "trace.h"
#include "trial.h"
#include "validate.h"

/* Exit statuses; documented in --help, README and iptload(8). */
enum {
	EXIT_OK = 0,
	EXIT_DIFFERS = 1,  /* diff: the kernel holds something else;
			      confirm: nothing waits for a confirmation */
	EXIT_CONFIG = 2,   /* the config is wrong: nothing was changed */
	EXIT_KERNEL = 3,   /* the kernel refused: nothing was changed */
	EXIT_LOCK = 4,	   /* the xtables lock was not free in time */
	EXIT_PARTIAL = 5,  /* --boot: loaded, but some rules wait for a
			      value (an interface's address) */
	EXIT_LOCKDOWN = 6, /* --boot: the ruleset could not be applied
			      (config, kernel, lock, mixed); the
			      built-in lockdown was loaded instead */
	EXIT_MIXED = 7,	   /* a table was refused and putting back the
			      tables already committed failed: the
			      kernel holds a mix of old and new */
	EXIT_PENDING = 8,  /* an apply --confirm waits for its
			      confirmation: nothing was changed */
	EXIT_USAGE = 64,
};

/*
 * What --boot loads when the config cannot be applied, whatever the
 * reason (boot_fail_closed): fail closed, but keep the machine talking to
 * itself.  Every family's tables go here, loaded together by
 * boot_lockdown().  conf/lockdown.rules is the same ruleset for
 * iptload-lockdown.service, which takes over when iptload itself fails.
 */
static const char lockdown_ruleset[] = "*filter\n"
				       ":INPUT DROP [0:0]\n"
				       ":FORWARD DROP [0:0]\n"
				       ":OUTPUT DROP [0:0]\n"
				       "-A INPUT -i lo -j ACCEPT\n"
				       "-A OUTPUT -o lo -j ACCEPT\n"
				       "COMMIT\n"
				       /* The same in IPv6, where the kernel
					  has IPv6 (see boot_lockdown). */
				       "family ipv6\n"
				       "*filter\n"
				       ":INPUT DROP [0:0]\n"
				       ":FORWARD DROP [0:0]\n"
				       ":OUTPUT DROP [0:0]\n"
				       "-A INPUT -i lo -j ACCEPT\n"
				       "-A OUTPUT -o lo -j ACCEPT\n"
				       "COMMIT\n";

enum command {
	CMD_APPLY,
	CMD_CHECK,
	CMD_CONFIRM,
	CMD_DIFF,
	CMD_INTERFACES,
	CMD_PRINT,
	CMD_SAVE,
	CMD_TRACE,
};

/* What the command line asked for. */
struct options {
	enum command command;
	const char *file;
	char **defines;
	size_t ndefines;
	int wait_seconds;
	int confirm_seconds; /* apply --confirm; 0: none */
	const char *table;   /* save -t */
	bool boot;
	bool kernel;   /* check --kernel: a trial load in a scratch netns */
	bool resolve;  /* look host names up instead of refusing them */
	bool no_cache; /* apply: neither use nor write the apply cache */
	struct cache_inputs *cache; /* apply: its inputs, noted as read */
	struct keeper *keeper;	    /* apply FILE: gives the model up while
				       committing */
	bool quiet;
	bool verbose;
	/* -4 / -6: the family of statements that do not say theirs, and
	 * of save (without either, save reads both). */
	enum family family;
	bool family_given;
	char **packet; /* trace: the packet words */
	int npacket;
	const char *const *addrs; /* trace: the config's router addresses */
	size_t naddrs;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: iptload [OPTION]... COMMAND [FILE]\n"
		"Load an iptables ruleset into the kernel, atomically, "
		"through libiptc.\n"
		"\n"
		"Commands:\n"
		"  apply [FILE]   build, check, and commit the tables that "
		"differ\n"
		"  check [FILE]   everything but the commit; touches nothing\n"
		"                 (--kernel: also a trial load in a scratch "
		"network\n"
		"                 namespace, which names a rule the kernel "
		"refuses)\n"
		"  diff [FILE]    what apply would change in the kernel's "
		"tables\n"
		"  print [FILE]   the expanded ruleset as iptables-save text\n"
		"  interfaces [FILE]  the interfaces whose address() or "
		"network() the\n"
		"                 config reads, one per line (for interface "
		"hooks)\n"
		"  save           the kernel's tables as a config (apply takes "
		"it back\n"
		"                 unchanged)\n"
		"  confirm        keep the ruleset of a pending apply "
		"--confirm\n"
		"  trace [FILE] [--json] PACKET...\n"
		"                 which rules decide a packet described in "
		"iptables'\n"
		"                 words (see iptload(8)); reads the config, "
		"never the kernel\n"
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
		"      --confirm SECONDS    apply: put the previous tables back "
		"after\n"
		"                           SECONDS unless 'iptload confirm' is "
		"run;\n"
		"                           a watchdog does it even if this "
		"session is lost\n"
		"      --boot               apply: fail closed at boot; leave "
		"out the rules\n"
		"                           whose values are not known yet, "
		"and load a\n"
		"                           lockdown (DROP, loopback only) if "
		"the ruleset\n"
		"                           cannot be applied, whatever the "
		"reason\n"
		"      --kernel             check: a trial load in a scratch "
		"network\n"
		"                           namespace; the live tables are "
		"not touched\n"
		"      --resolve            look host names in addresses up "
		"once, now\n"
		"                           (default: refuse them; a firewall "
		"must not\n"
		"                           depend on DNS at boot)\n"
		"      --no-cache           apply: build and compare in full "
		"even when the\n"
		"                           inputs and the kernel's tables are "
		"those the\n"
		"                           last apply left (and keep no "
		"record)\n"
		"  -4, --ipv4               statements that name no family are "
		"IPv4 (the\n"
		"                           default); save: only the IPv4 "
		"tables\n"
		"  -6, --ipv6               statements that name no family are "
		"IPv6: an\n"
		"                           ip6tables-save file loads as it "
		"is; save: only\n"
		"                           the IPv6 tables (neither: save "
		"both)\n"
		"  -t, --table TABLE        save: only this table\n"
		"  -q, --quiet              print errors and warnings only\n"
		"  -v, --verbose            say what is committed\n"
		"  -h, --help               this text\n"
		"  -V, --version            the version\n"
		"\n"
		"In a table block, 'preserve GLOB' keeps the kernel's user "
		"chains whose\n"
		"names match (e.g. preserve f2b-*) with their rules, and the "
		"rules that\n"
		"jump to them, where they are.  Tables that do not change are "
		"not\n"
		"committed; rules that stay keep their counters.  Every apply "
		"that\n"
		"changes something is logged to syslog.\n"
		"\n"
		"Examples:\n"
		"  iptload diff                what apply would change (exit "
		"1: something)\n"
		"  iptload apply --confirm 60  apply; roll back in 60 s unless "
		"...\n"
		"  iptload confirm             ... this is run (from any "
		"shell)\n"
		"  iptload save > now.conf     the kernel's tables; applying "
		"them is a no-op\n"
		"\n"
		"Exit status: 0 done (diff: no difference); 1 diff: the kernel "
		"differs,\n"
		"confirm: nothing waits for a confirmation; 2 error in the "
		"config;\n"
		"3 the kernel refused the ruleset; 4 the xtables lock was "
		"busy;\n"
		"5 --boot loaded all but the rules that wait for a value; 6 "
		"--boot\n"
		"loaded the lockdown; 7 the roll-back after a refusal failed "
		"(the\n"
		"kernel holds a mix: see the message); 8 an apply --confirm "
		"waits for\n"
		"its confirmation; 64 usage error.  On 2, 3, 4 and 8 the "
		"kernel's\n"
		"tables are left exactly as they were.\n",
		IPTLOAD_DEFAULT_CONFIG);
}

/* A number of seconds in [@min, @max]. */
static int parse_seconds(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_wait(const char *s, int *out)
{
	return parse_seconds(s, 0, 86400, out);
}

static int parse_command(const char *word, enum command *out)
{
	static const char *const names[] = {
		[CMD_APPLY] = "apply",		 [CMD_CHECK] = "check",
		[CMD_CONFIRM] = "confirm",	 [CMD_DIFF] = "diff",
		[CMD_PRINT] = "print",		 [CMD_SAVE] = "save",
		[CMD_INTERFACES] = "interfaces", [CMD_TRACE] = "trace",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(word, names[i]) == 0) {
			*out = (enum command)i;
			return 0;
		}
	return -1;
}

/* True for the tables iptables knows. */
static bool table_known(const char *name)
{
	static const char *const names[] = { "filter", "mangle", "nat", "raw",
					     "security" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* Options that only some commands take; returns -1 or EXIT_USAGE. */
static int check_combinations(const struct options *o, int nargs)
{
	const char *bad = NULL;

	if (o->kernel && o->command != CMD_CHECK) {
		fprintf(stderr, "iptload: --kernel goes with check\n");
		return EXIT_USAGE;
	}
	if (o->boot && o->command != CMD_APPLY)
		bad = "--boot goes with apply";
	else if (o->confirm_seconds && o->command != CMD_APPLY)
		bad = "--confirm goes with apply";
	else if (o->confirm_seconds && o->boot)
		bad = "--confirm and --boot do not go together";
	else if (o->no_cache && o->command != CMD_APPLY)
		bad = "--no-cache goes with apply";
	else if (o->table && o->command != CMD_SAVE)
		bad = "-t goes with save";
	else if (o->table && !table_known(o->table))
		bad = "-t takes filter, nat, mangle, raw or security";
	else if ((o->command == CMD_SAVE || o->command == CMD_CONFIRM) &&
		 nargs > 0)
		bad = "save and confirm take no FILE";
	else if (o->resolve &&
		 (o->command == CMD_SAVE || o->command == CMD_CONFIRM))
		bad = "--resolve goes with a command that reads a config";
	if (!bad)
		return -1;
	fprintf(stderr, "iptload: %s\n", bad);
	return EXIT_USAGE;
}

/*
 * trace: the words after the command describe a packet in iptables'
 * own options (-i, -s, -p...), which getopt must not see.  Returns the
 * index of a "trace" command word, or 0.
 */
static int find_trace_command(int argc, char **argv)
{
	static const char *const with_value[] = { "-D", "--define", "-t",
						  "--table", "--confirm" };

	for (int i = 1; i < argc; i++) {
		bool value = false;

		if (argv[i][0] == '-' && argv[i][1]) {
			for (size_t k = 0;
			     k < sizeof(with_value) / sizeof(*with_value); k++)
				value |= strcmp(argv[i], with_value[k]) == 0;
			i += value;
			continue;
		}
		return strcmp(argv[i], "trace") == 0 ? i : 0;
	}
	return 0;
}

/* Returns -1 to go on, or the exit status to leave with. */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "define", required_argument, NULL, 'D' },
		{ "wait", optional_argument, NULL, 'w' },
		{ "confirm", required_argument, NULL, 'C' },
		{ "boot", no_argument, NULL, 'B' },
		{ "kernel", no_argument, NULL, 'K' },
		{ "resolve", no_argument, NULL, 'R' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "table", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "ipv4", no_argument, NULL, '4' },
		{ "ipv6", no_argument, NULL, '6' },
		{ NULL, 0, NULL, 0 },
	};
	int c, nargs;

	o->wait_seconds = -1;
	c = find_trace_command(argc, argv);
	if (c > 0) {
		/* FILE, if given, comes first: no packet word is "-" or
		 * starts without one. */
		int first = c + 1;

		if (first < argc &&
		    (argv[first][0] != '-' || strcmp(argv[first], "-") == 0))
			first++;
		o->packet = argv + first;
		o->npacket = argc - first;
		argc = first;
	}
	while ((c = getopt_long(argc, argv, "D:w::t:qvhV46", longopts, NULL)) !=
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
				fprintf(stderr,
					"iptload: -w takes seconds "
					"(0-86400), not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C':
			if (parse_seconds(optarg, 1, CONFIRM_MAX_SECONDS,
					  &o->confirm_seconds) < 0) {
				fprintf(stderr,
					"iptload: --confirm takes seconds "
					"(1-%d), not '%s'\n",
					CONFIRM_MAX_SECONDS, optarg);
				return EXIT_USAGE;
			}
			break;
		case 'B':
			o->boot = true;
			break;
		case 'K':
			o->kernel = true;
			break;
		case 'R':
			o->resolve = true;
			break;
		case 'N':
			o->no_cache = true;
			break;
		case 't':
			o->table = optarg;
			break;
		case 'q':
			o->quiet = true;
			break;
		case '4':
		case '6':
			o->family = c == '6' ? FAMILY_IPV6 : FAMILY_IPV4;
			o->family_given = true;
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
	nargs = argc - optind - 1;
	o->file = nargs > 0 ? argv[optind + 1] : IPTLOAD_DEFAULT_CONFIG;
	if (nargs > 1) {
		fprintf(stderr, "iptload: unexpected argument '%s'\n",
			argv[optind + 2]);
		return EXIT_USAGE;
	}
	return check_combinations(o, nargs);
}

/* Reader, expander, builder, validator: the config to a ruleset. */
static int load_config(const struct options *o, struct source *src,
		       struct expander *ex, struct ruleset *rs,
		       struct diag_list *dl)
{
	struct builder *b;
	size_t left_out = 0; /* by the builder: see builder_set_boot */
	int rc = 0;

	/* interfaces: a value not known yet is no error there. */
	if (o->boot || o->command == CMD_INTERFACES)
		expander_set_boot(ex);
	for (size_t i = 0; i < o->ndefines; i++)
		if (expander_define(ex, o->defines[i], dl) < 0)
			rc = -1;
	b = builder_new(rs, dl);
	builder_set_family(b, o->family);
	if (o->boot || o->command == CMD_INTERFACES)
		builder_set_boot(b, &left_out);
	if (o->resolve)
		builder_resolve_names(b);
	if (pipeline_run(src, ex, b, dl) < 0)
		rc = -1;
	if (builder_finish(b) < 0)
		rc = -1;
	expander_add_left_out(ex, left_out);
	if (rc == 0 && validate_ruleset(rs, dl) < 0)
		rc = -1;
	if (rc == 0 && plan_check_preserve(rs, dl) < 0)
		rc = -1;
	return rc;
}

/*
 * The model of an apply, given up while libiptc commits it.  A 100 000
 * rule config is some 22 MB of text and 54 MB of entries; libiptc keeps
 * its own copy of every entry, and builds one more, the blob the kernel
 * takes, to commit.  So the text is dropped once it is built (the lines
 * messages still point at are kept, diag.h), and the entries once
 * libiptc holds them, table by table (commit_options.drop_model).  What
 * reads the model after that (a retry after EAGAIN, a pass of the
 * commit started again, the trial load that finds a refused rule)
 * builds it again from the file, and uses it only when every table is
 * as it was committed, by digest.
 */
struct keeper {
	const struct options *o;
	struct source *top;  /* the config as first read */
	struct expander *ex; /* and the expander that read it */
	struct ruleset *rs;
	bool dropped;
	struct cache_digest digest[RULESET_TABLES];
	struct cache_digest text_digest; /* of @top's text, once dropped */
	int fd; /* the file, open since it was read: read again through it
		   even when it was renamed over or removed since */
	struct rebuild *rebuilds; /* the latest first */
	bool failed;		  /* a rebuild failed: no more */
	char why[256];		  /* why */
};

/* What a rebuild's locations point into, so it lives as long as the
 * diagnostics: its expander, and its file when that is not the first
 * read's text again. */
struct rebuild {
	struct rebuild *next;
	struct expander *ex;
	struct source *src;
};

static int load_config(const struct options *o, struct source *src,
		       struct expander *ex, struct ruleset *rs,
		       struct diag_list *dl);

/* What a table is, for telling a rebuild from the original: its preserve
 * globs, chains, policies and entries, not where they were written. */
static struct cache_digest table_digest(const struct table *t)
{
	struct cache_hash h;

	cache_hash_init(&h);
	cache_hash_add(&h, &t->named, sizeof(t->named));
	/* The live chains a retry keeps depend on these too. */
	cache_hash_add(&h, &t->npreserve, sizeof(t->npreserve));
	for (unsigned i = 0; t->named && i < t->npreserve; i++)
		cache_hash_str(&h, t->preserve[i]);
	for (size_t i = 0; t->named && i < t->nchains; i++) {
		const struct chain *c = t->chains[i];

		cache_hash_str(&h, c->name);
		cache_hash_add(&h, &c->policy, sizeof(c->policy));
		cache_hash_add(&h, &c->policy_counters,
			       sizeof(c->policy_counters));
		cache_hash_add(&h, &c->nrules, sizeof(c->nrules));
		for (size_t j = 0; j < c->nrules; j++)
			cache_hash_add(&h, c->rules[j].entry,
				       entry_next_offset(t->family,
							 c->rules[j].entry));
	}
	return cache_hash_end(&h);
}

/* commit_options.drop_model: the first drop takes the digest of every
 * table, whole until then. */
static void keeper_drop(void *arg, const struct table *t)
{
	struct keeper *k = arg;

	if (!k->dropped)
		for (int id = 0; id < RULESET_TABLES; id++)
			k->digest[id] = table_digest(&k->rs->tables[id]);
	k->dropped = true;
	for (int id = 0; id < RULESET_TABLES; id++)
		if (&k->rs->tables[id] == t)
			table_drop_entries(&k->rs->tables[id]);
}

static struct cache_digest text_digest(const struct source *src)
{
	struct cache_hash h;

	cache_hash_init(&h);
	cache_hash_add(&h, src->text, src->len);
	return cache_hash_end(&h);
}

static bool digest_equal(struct cache_digest a, struct cache_digest b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

static struct source *keeper_reread(struct keeper *k, char **why)
{
	return k->fd >= 0 ? source_reread(k->fd, k->o->file, why) :
			    source_read(k->o->file, why);
}

/* The config's text again: read from the file, given back to @top when
 * it is what was read first (the messages at @top's lines then show
 * them all again), else a source of its own in @r.  NULL with k->why
 * set when it cannot be read. */
static struct source *keeper_read_again(struct keeper *k, struct rebuild *r)
{
	struct source *again;
	char *why = NULL;

	if (k->top->text)
		return k->top;
	again = keeper_reread(k, &why);
	if (!again) {
		snprintf(k->why, sizeof(k->why), "cannot read %s again: %s",
			 k->o->file, why);
		free(why);
		return NULL;
	}
	if (digest_equal(text_digest(again), k->text_digest)) {
		source_take_text(k->top, again);
		return k->top;
	}
	r->src = again;
	return again;
}

/* The config's text back for the messages, when the model was not
 * dropped (the commit failed before): only if the file is unchanged. */
static void keeper_text_back(struct keeper *k)
{
	struct source *again;
	char *why = NULL;

	if (k->top->text || k->rebuilds || k->failed)
		return;
	again = keeper_reread(k, &why);
	free(why);
	if (again && digest_equal(text_digest(again), k->text_digest)) {
		source_take_text(k->top, again);
		return;
	}
	source_free(again);
}

/* commit_options.rebuild_model: the file read and built again.  A failed
 * rebuild is final: the model's locations then stay where they point. */
static int keeper_rebuild(void *arg, char *why, size_t size)
{
	struct keeper *k = arg;
	struct rebuild *r;
	struct source *src;
	struct diag_list dl;

	if (!k->dropped)
		return 0;
	if (k->failed) {
		snprintf(why, size, "%s", k->why);
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->next = k->rebuilds;
	k->rebuilds = r;
	src = keeper_read_again(k, r);
	r->ex = expander_new();
	ruleset_free(k->rs);
	ruleset_init(k->rs);
	diag_list_init(&dl);
	if (src && load_config(k->o, src, r->ex, k->rs, &dl) < 0)
		snprintf(k->why, sizeof(k->why), "%s no longer builds",
			 k->o->file);
	for (int id = 0; src && !k->why[0] && id < RULESET_TABLES; id++)
		if (!digest_equal(table_digest(&k->rs->tables[id]),
				  k->digest[id]))
			snprintf(k->why, sizeof(k->why),
				 "%s builds another ruleset than it did at the "
				 "start of this apply",
				 k->o->file);
	diag_list_free(&dl);
	if (!k->why[0]) {
		k->dropped = false;
		return 0;
	}
	for (int id = 0; id < RULESET_TABLES; id++)
		table_drop_entries(&k->rs->tables[id]);
	k->failed = true;
	snprintf(why, size, "%s", k->why);
	return -1;
}

/* Drop the text of @src, keeping the lines of the messages so far and
 * of the tables (where a refusal is reported). */
static void keeper_drop_source(struct keeper *k, struct source *src,
			       const struct diag_list *dl)
{
	diag_list_keep_lines(dl, src);
	for (int id = 0; id < RULESET_TABLES; id++) {
		const struct table *t = &k->rs->tables[id];

		if (t->named && t->loc.src == src)
			source_keep_line(src, t->loc.line);
	}
	source_drop_text(src);
}

/* Drop the config's text, and that of the files it included (a rebuild
 * reads those again through its own expander). */
static void keeper_drop_text(struct keeper *k, const struct diag_list *dl)
{
	struct source *const *included;
	size_t n = expander_sources(k->ex, &included);

	k->text_digest = text_digest(k->top);
	keeper_drop_source(k, k->top, dl);
	for (size_t i = 0; i < n; i++)
		keeper_drop_source(k, included[i], dl);
}

static void keeper_free(struct keeper *k)
{
	if (k->fd >= 0)
		close(k->fd);
	while (k->rebuilds) {
		struct rebuild *r = k->rebuilds;

		k->rebuilds = r->next;
		source_free(r->src);
		expander_free(r->ex);
		free(r);
	}
}

static size_t count_rules(const struct ruleset *rs, size_t *tables)
{
	size_t n = 0;

	*tables = 0;
	for (int id = 0; id < RULESET_TABLES; id++) {
		const struct table *t = &rs->tables[id];

		if (!t->named)
			continue;
		++*tables;
		for (size_t i = 0; i < t->nchains; i++)
			n += t->chains[i]->nrules;
	}
	return n;
}

/* The hooks of the named tables of family @f: where an nf_tables chain
 * of that family would meet them. */
static unsigned named_hooks(const struct ruleset *rs, enum family f)
{
	unsigned hooks = 0;

	for (int id = 0; id < RULESET_TABLES; id++)
		if (rs->tables[id].named && rs->tables[id].family == f)
			hooks |= rs->tables[id].valid_hooks;
	return hooks;
}

/* Warn about nf_tables chains where the named tables of either family
 * hook. */
static void warn_nft(const struct ruleset *rs, struct diag_list *dl)
{
	nftcheck_warn(named_hooks(rs, FAMILY_IPV4),
		      named_hooks(rs, FAMILY_IPV6), dl);
}

/*
 * diff: read the named tables from the kernel (never instantiating one),
 * merge in what the config preserves, and print the plan of each.
 */
static int run_diff(const struct options *o, const struct ruleset *rs,
		    struct diag_list *dl)
{
	struct ruleset live, target;
	bool differs = false;
	int status = EXIT_OK;

	ruleset_init(&live);
	ruleset_init(&target);
	for (int id = 0; id < RULESET_TABLES && status == EXIT_OK; id++) {
		const struct table *t = &rs->tables[id];
		struct table_plan plan;

		if (!t->named)
			continue;
		if (commit_read_live(&live, COMMIT_FAMILY(t->family), t->name,
				     dl) < 0) {
			status = EXIT_KERNEL;
			break;
		}
		if (plan_merge(&target.tables[id], t, &live.tables[id],
			       t->preserve, t->npreserve, true, dl) < 0) {
			status = EXIT_CONFIG;
			break;
		}
		plan_table(&live.tables[id], &target.tables[id],
			   PLAN_COUNTERS_APPLY, !live.tables[id].named, &plan);
		plan_print(&live.tables[id], &target.tables[id], &plan, stdout);
		differs |= plan.changed || plan.created;
		if (o->verbose && !plan.changed && !plan.created)
			printf("# %s%s: no change\n", t->name,
			       family_suffix(t->family));
		plan_free(&plan);
	}
	ruleset_free(&live);
	ruleset_free(&target);
	if (status == EXIT_OK && differs)
		status = EXIT_DIFFERS;
	return status;
}

/* save: the kernel's tables as a config; nothing is instantiated. */
static int run_save(const struct options *o, struct diag_list *dl)
{
	struct ruleset live;
	int status = EXIT_OK;

	ruleset_init(&live);
	if (commit_read_live(&live,
			     o->family_given ?
				     COMMIT_FAMILY(o->family) :
				     COMMIT_FAMILY(FAMILY_IPV4) |
					     COMMIT_FAMILY(FAMILY_IPV6),
			     o->table, dl) < 0) {
		status = EXIT_KERNEL;
	} else {
		if (o->table &&
		    !ruleset_table_in(&live, o->family, o->table)->named &&
		    !o->quiet)
			fprintf(stderr,
				"iptload: the kernel holds no %s table (it "
				"was never loaded in this network namespace)\n",
				o->table);
		printf("# The iptables-legacy tables of the kernel, saved by "
		       "iptload %s\n",
		       IPTLOAD_VERSION);
		print_ruleset_as(&live, o->family, stdout);
	}
	ruleset_free(&live);
	return status;
}

/* confirm: tell the pending watchdog to keep the ruleset. */
static int run_confirm(const struct options *o)
{
	const char *why;
	int rc = confirm_send(&why);

	if (rc < 0) {
		/* No iptload watchdog can be reached: none to confirm. */
		fprintf(stderr, "iptload: cannot confirm: %s\n", why);
		return EXIT_DIFFERS;
	}
	if (rc > 0) {
		fprintf(stderr, "iptload: no apply --confirm waits for a "
				"confirmation in this network namespace (if "
				"its time ran out, the previous tables were "
				"put back)\n");
		return EXIT_DIFFERS;
	}
	if (!o->quiet)
		printf("iptload: confirmed: the applied ruleset stays\n");
	return EXIT_OK;
}

/* The exit status for a failed commit. */
static int commit_failure_status(const struct commit_report *r)
{
	if (r->status == COMMIT_LOCK_FAILED)
		return EXIT_LOCK;
	return r->status == COMMIT_PARTIAL ? EXIT_MIXED : EXIT_KERNEL;
}

/* apply -v: one line per named table. */
static void print_verbose(const struct options *o,
			  const struct commit_report *r)
{
	for (unsigned i = 0; i < r->ntables; i++) {
		const struct commit_table_report *t = &r->tables[i];

		if (t->committed)
			printf("%s: %s%s: committed: +%u -%u rules, +%u -%u "
			       "chains, %u polic%s changed\n",
			       o->file, t->name, family_suffix(t->family),
			       t->rules_added, t->rules_removed,
			       t->chains_added, t->chains_removed,
			       t->policies_changed,
			       t->policies_changed == 1 ? "y" : "ies");
		else
			printf("%s: %s%s: %s\n", o->file, t->name,
			       family_suffix(t->family),
			       t->created ? "loaded, empty" :
					    "unchanged, "
					    "not committed");
	}
	printf("%s: committed %u table%s, %u unchanged, %u retr%s\n", o->file,
	       r->tables_committed, r->tables_committed == 1 ? "" : "s",
	       r->tables_unchanged, r->retries, r->retries == 1 ? "y" : "ies");
}

/* Refuse to apply while an apply --confirm waits: its roll-back would
 * undo this apply too. */
static bool refuse_pending(void)
{
	int left;

	if (!confirm_pending(&left))
		return false;
	if (left >= 0)
		fprintf(stderr,
			"iptload: an apply --confirm is waiting for its "
			"confirmation (%d s left); nothing was changed\n",
			left);
	else
		fprintf(stderr, "iptload: an apply --confirm is being "
				"committed or rolled back; nothing was "
				"changed\n");
	fprintf(stderr, "  hint: run 'iptload confirm' to keep that ruleset, "
			"or wait until it is rolled back\n");
	return true;
}

/* The veto of a plain apply, under the xtables lock (commit_options). */
static bool veto_pending(void *arg)
{
	bool *refused = arg;

	*refused = refuse_pending();
	if (!*refused)
		confirm_forget_stale();
	return *refused;
}

/* The veto of a cached reapply, under the xtables lock: a pending apply
 * --confirm takes the full path, which says so; otherwise as a plain
 * apply's. */
static bool veto_cached(void *arg)
{
	int left;

	(void)arg;
	if (confirm_pending(&left))
		return true;
	confirm_forget_stale();
	return false;
}

/* Whether this apply may use, and then write, the apply cache: not at
 * boot (fail closed whatever happens), not with --confirm (its watchdog
 * may put tables back), not with --resolve (what a name resolves to is
 * not read back cheaply), not from standard input (not read twice). */
static bool cacheable(const struct options *o)
{
	return o->command == CMD_APPLY && !o->boot && !o->confirm_seconds &&
	       !o->resolve && !o->no_cache && strcmp(o->file, "-") != 0;
}

/* The apply cache's view of the command line. */
static struct cache_cli cache_cli_of(const struct options *o)
{
	struct cache_cli cli = { .file = o->file,
				 .family = (int)o->family,
				 .defines = o->defines,
				 .ndefines = o->ndefines };

	return cli;
}

/* A reapply whose inputs and tables are those the last apply left: true
 * when nothing needs doing (said with -v). */
static bool cached_reapply(const struct options *o)
{
	struct commit_options copt = { .wait_seconds = o->wait_seconds,
				       .veto = veto_cached };
	struct cache_cli cli = cache_cli_of(o);
	char why[512];

	if (!cacheable(o))
		return false;
	if (cache_reapply(&cli, &copt, why, sizeof(why))) {
		if (o->verbose)
			printf("%s: cached: the inputs and the kernel's tables "
			       "are as the last apply left them; nothing "
			       "built, nothing committed\n",
			       o->file);
		return true;
	}
	if (o->verbose && strncmp(why, "no record", 9) != 0)
		printf("%s: not cached: %s\n", o->file, why);
	return false;
}

/* After apply --confirm: tell the watchdog, and the user what to do. */
static void confirm_done(const struct options *o, struct confirm_watchdog *w,
			 const struct commit_report *r, bool committed)
{
	bool changed = committed && oplog_changed(r);

	if (confirm_finish(w, changed || r->status == COMMIT_PARTIAL) < 0)
		fprintf(stderr, "iptload: warning: the confirm watchdog is "
				"gone; nothing will roll this back\n");
	if (!committed)
		return;
	if (!changed) {
		if (!o->quiet)
			printf("iptload: %s: nothing changed, nothing to "
			       "confirm\n",
			       o->file);
		return;
	}
	printf("iptload: %s applied. Run 'iptload confirm' within %d "
	       "second%s to keep it;\n"
	       "otherwise the previous tables are put back (watchdog pid "
	       "%ld).\n",
	       o->file, o->confirm_seconds, o->confirm_seconds == 1 ? "" : "s",
	       (long)w->pid);
	fflush(stdout);
}

/* The kernel refused a table: find the rule in a scratch namespace, with
 * the model built again if it was dropped, and the text back (if the
 * file is unchanged) for the line of that rule. */
static void trial_after_refusal(const struct options *o,
				const struct ruleset *rs, struct diag_list *dl)
{
	char why[256];

	if (o->keeper && !o->keeper->dropped)
		keeper_text_back(o->keeper);
	if (o->keeper && keeper_rebuild(o->keeper, why, sizeof(why)) < 0) {
		diag_warning(dl, NULL, 0,
			     "cannot look for the rule the kernel refused: %s",
			     why);
		return;
	}
	trial_load(rs, dl);
}

/*
 * apply: commit, with a watchdog when --confirm is given.  Returns the
 * exit status, or -2 in the watchdog after it is done (*@status_out holds
 * its status).
 */
static int run_apply(const struct options *o, const struct ruleset *rs,
		     struct diag_list *dl, int *watchdog_status)
{
	struct commit_options copt = { .wait_seconds = o->wait_seconds };
	struct commit_report report = { 0 };
	struct confirm_watchdog w;
	bool refused = false;
	int rc;

	if (refuse_pending())
		return EXIT_PENDING;
	if (o->keeper)
		keeper_drop_text(o->keeper, dl);
	if (o->confirm_seconds) {
		switch (confirm_start(&w, o->confirm_seconds, o->file, dl)) {
		case CONFIRM_IN_CHILD:
			*watchdog_status =
				confirm_watchdog_run(&w, rs, &copt, o->file);
			return -2;
		case CONFIRM_PENDING:
			refuse_pending();
			return EXIT_PENDING;
		case CONFIRM_FAILED:
			return EXIT_KERNEL;
		case CONFIRM_STARTED:
			copt.before_commit = confirm_hand_over;
			copt.before_commit_arg = &w;
			break;
		}
	} else {
		/* Again under the lock: an apply --confirm may have started
		 * since (it holds the confirm socket before the lock). */
		copt.veto = veto_pending;
		copt.veto_arg = &refused;
	}
	if (o->cache) {
		copt.committed = cache_note_table;
		copt.committed_arg = o->cache;
	}
	if (o->keeper) {
		copt.drop_model = keeper_drop;
		copt.rebuild_model = keeper_rebuild;
		copt.model_arg = o->keeper;
	}
	rc = commit_ruleset(rs, &copt, &report, dl);
	if (rc == 0 && o->cache)
		cache_save(o->cache);
	if (refused)
		return EXIT_PENDING;
	if (rc == 0)
		oplog_apply(o->file, &report, o->confirm_seconds);
	if (o->confirm_seconds)
		confirm_done(o, &w, &report, rc == 0);
	/* The kernel says EINVAL for a whole table: find the rule in a
	 * scratch namespace, now that the lock is released. */
	if (rc < 0 && report.status == COMMIT_REFUSED)
		trial_after_refusal(o, rs, dl);
	if (rc < 0)
		return commit_failure_status(&report);
	if (o->verbose)
		print_verbose(o, &report);
	return EXIT_OK;
}

/* Returns the exit status, or -2 in an apply --confirm watchdog. */
static int run(const struct options *o, struct ruleset *rs,
	       struct diag_list *dl, int *watchdog_status)
{
	size_t tables, rules = count_rules(rs, &tables);

	switch (o->command) {
	case CMD_PRINT:
		print_ruleset_as(rs, o->family, stdout);
		return EXIT_OK;
	case CMD_CHECK:
		warn_nft(rs, dl);
		lint_ruleset(rs, o->file, dl);
		if (o->kernel && trial_load(rs, dl) < 0)
			return EXIT_KERNEL;
		if (!o->quiet)
			printf("%s: ok: %zu tables, %zu rules\n", o->file,
			       tables, rules);
		return EXIT_OK;
	case CMD_DIFF:
		warn_nft(rs, dl);
		return run_diff(o, rs, dl);
	case CMD_APPLY:
		warn_nft(rs, dl);
		return run_apply(o, rs, dl, watchdog_status);
	case CMD_INTERFACES:
		return EXIT_OK; /* printed by main(), from the expander */
	case CMD_TRACE:
		return trace_command(rs, o->addrs, o->naddrs, o->npacket,
				     o->packet, stdout, stderr) < 0 ?
			       EXIT_USAGE :
			       EXIT_OK;
	default:
		return EXIT_USAGE;
	}
}

/*
 * Load the lockdown ruleset because @why.  It waits for the xtables lock
 * as long as it takes, even when the config's apply ran out of time
 * waiting for it: a boot that cannot take the lock must not go on open
 * (iptload-lockdown.service takes over if systemd gives up on it).
 */
static int boot_lockdown(const struct options *o, const char *why)
{
	struct options lo = { .command = CMD_APPLY,
			      .file = "lockdown",
			      .wait_seconds = -1 };
	/* A kernel without IPv6 (ipv6.disable=1) has no ip6_tables to
	 * close, and would refuse the IPv4 part with the IPv6 one. */
	bool ipv6 = access("/proc/net/if_inet6", F_OK) == 0;
	size_t v4_len =
		strstr(lockdown_ruleset, "family ipv6") - lockdown_ruleset;
	char *text = strndup(lockdown_ruleset,
			     ipv6 ? strlen(lockdown_ruleset) : v4_len);
	struct source *src;
	struct expander *ex;
	struct diag_list dl;
	struct ruleset rs;
	int status, unused;

	if (!text)
		abort();
	src = source_from_string("<lockdown>", text);
	free(text);
	ex = expander_new();
	diag_list_init(&dl);
	ruleset_init(&rs);
	status = load_config(&lo, src, ex, &rs, &dl) < 0 ?
			 EXIT_CONFIG :
			 run(&lo, &rs, &dl, &unused);
	diag_list_print(&dl, stderr);
	fprintf(stderr, "iptload: %s: %s; %s\n", o->file, why,
		status == EXIT_OK ? "loaded the lockdown ruleset (policies "
				    "DROP, loopback allowed)" :
				    "loading the lockdown ruleset failed too");
	oplog_message(LOG_ERR, "boot: %s: %s; %s", o->file, why,
		      status == EXIT_OK ?
			      "loaded the lockdown ruleset" :
			      "loading the lockdown ruleset failed");
	ruleset_free(&rs);
	diag_list_free(&dl);
	expander_free(ex);
	source_free(src);
	return status == EXIT_OK ? EXIT_LOCKDOWN : status;
}

/*
 * The end of apply --boot, whatever happened before: fail closed.  Any
 * outcome but a load (complete, or partial: EXIT_PARTIAL) ends with the
 * lockdown ruleset loaded, and the message and syslog say which outcome
 * it was.  A pending apply --confirm (possible on a restart only: a
 * reboot ends its watchdog) is left to that watchdog.
 */
static int boot_fail_closed(const struct options *o, int status)
{
	const char *why;

	switch (status) {
	case EXIT_OK:
	case EXIT_PARTIAL:
	case EXIT_PENDING:
		return status;
	case EXIT_CONFIG:
		why = "the config cannot be used";
		break;
	case EXIT_KERNEL:
		why = "the kernel refused the ruleset";
		break;
	case EXIT_LOCK:
		why = "the xtables lock was not free in time";
		break;
	case EXIT_MIXED:
		why = "the kernel refused a table and putting back the "
		      "others failed";
		break;
	default:
		why = "the apply failed";
		break;
	}
	return boot_lockdown(o, why);
}

/*
 * apply --boot after an apply --confirm that was never confirmed and
 * whose watchdog is gone (killed, or a reboot during the wait): the
 * tables it would have put back are loaded, not the unconfirmed config.
 * Returns that file (malloc'd), or NULL.
 */
static char *boot_pending_rollback(const struct options *o)
{
	char *previous, *config;

	if (!confirm_boot_pending(&previous, &config))
		return NULL;
	fprintf(stderr,
		"iptload: the apply --confirm of %s was never confirmed and "
		"its watchdog is gone: loading the tables it replaced (%s) "
		"instead of %s\n",
		config, previous, o->file);
	oplog_message(LOG_WARNING,
		      "boot: the apply --confirm of %s was never confirmed "
		      "and its watchdog is gone; loading the tables it "
		      "replaced (%s) instead of %s",
		      config, previous, o->file);
	free(config);
	return previous;
}

/* The boot used the pending roll-back: it is done, whatever the status
 * (a failed load ended with the lockdown; the file stays to be seen). */
static void boot_rollback_done(char *previous, int status)
{
	if (!previous)
		return;
	confirm_boot_done(status != EXIT_OK && status != EXIT_PARTIAL);
	free(previous);
}

/* The commands that read no config: save and confirm. */
static int run_without_config(const struct options *o)
{
	struct diag_list dl;
	int status;

	if (o->command == CMD_CONFIRM)
		return run_confirm(o);
	diag_list_init(&dl);
	status = run_save(o, &dl);
	diag_list_print(&dl, stderr);
	diag_list_free(&dl);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct keeper keeper = { .fd = -1 };
	struct expander *ex;
	char *why = NULL, *previous = NULL;
	struct diag_list dl;
	struct ruleset rs;
	struct source *src;
	int status = parse_options(argc, argv, &o), watchdog_status = 0;

	if (status < 0 && (o.command == CMD_SAVE || o.command == CMD_CONFIRM))
		status = run_without_config(&o);
	if (status >= 0) {
		free(o.defines);
		return status;
	}
	diag_list_init(&dl);
	if (o.boot && o.command == CMD_APPLY) {
		previous = boot_pending_rollback(&o);
		if (previous)
			o.file = previous;
	}
	if (cached_reapply(&o)) {
		free(o.defines);
		return EXIT_OK;
	}
	src = source_read(o.file, &why);
	if (!src) {
		fprintf(stderr, "iptload: cannot read %s: %s\n", o.file, why);
		free(why);
		diag_list_free(&dl);
		status = o.boot ? boot_fail_closed(&o, EXIT_CONFIG) :
				  EXIT_CONFIG;
		boot_rollback_done(previous, status);
		free(o.defines);
		return status;
	}
	/* The expander holds included files and call sites that the
	 * diagnostics point into: it lives until they are printed. */
	ex = expander_new();
	if (cacheable(&o)) {
		struct cache_cli cli = cache_cli_of(&o);

		o.cache = cache_inputs_new(&cli);
		cache_note_file(o.cache, o.file, src->text, src->len);
		expander_note_inputs(ex, o.cache);
	}
	ruleset_init(&rs);
	if (o.command == CMD_APPLY && strcmp(o.file, "-") != 0) {
		keeper.o = &o;
		keeper.top = src;
		keeper.ex = ex;
		/* What is read through it counts only if it is what @src
		 * holds (by digest). */
		keeper.fd = open(o.file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		keeper.rs = &rs;
		o.keeper = &keeper;
	}
	if (load_config(&o, src, ex, &rs, &dl) < 0) {
		status = EXIT_CONFIG;
	} else {
		o.naddrs = expander_addresses(ex, &o.addrs);
		status = run(&o, &rs, &dl, &watchdog_status);
	}
	if (status == EXIT_OK && o.command == CMD_INTERFACES) {
		const char *const *names;
		size_t n = expander_interfaces(ex, &names);

		for (size_t i = 0; i < n; i++)
			printf("%s\n", names[i]);
		/* Values not known yet are the point here: no warnings. */
		diag_list_free(&dl);
		diag_list_init(&dl);
		goto out;
	}
	if (status == -2) {
		/* The apply --confirm watchdog, done: apply itself printed
		 * what there was to print. */
		status = watchdog_status;
		goto out;
	}
	diag_list_print(&dl, stderr);
	if (status == EXIT_CONFIG && dl.errors)
		fprintf(stderr,
			"iptload: %zu error%s in %s; nothing was "
			"changed\n",
			dl.errors, dl.errors == 1 ? "" : "s", o.file);
	if (status == EXIT_OK && expander_left_out(ex) > 0) {
		fprintf(stderr,
			"iptload: %s: loaded, but %zu rule%s for "
			"values not known yet (see above)\n",
			o.file, expander_left_out(ex),
			expander_left_out(ex) == 1 ? " waits" : "s wait");
		status = EXIT_PARTIAL;
	}
	if (o.boot)
		status = boot_fail_closed(&o, status);
	boot_rollback_done(previous, status);
out:
	cache_inputs_free(o.cache);
	ruleset_free(&rs);
	keeper_free(&keeper);
	diag_list_free(&dl);
	expander_free(ex);
	source_free(src);
	free(o.defines);
	return status;
}
