/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * print_oracle - check print.c against iptables-legacy-save, the oracle.
 *
 * For each case given, or found in a directory given (X.rules: an
 * iptables-save file; X.cmds: one iptables command a line, as the shared
 * kernel cases hold them; *.bad.* files are left out), in a child process
 * of its own:
 *
 *  1. load the case once in a fresh network namespace (unshare(CLONE_NEWNET))
 *     to learn which tables it creates; every namespace here is private, so
 *     nothing can touch the namespace the test was started in;
 *  2. in a second fresh namespace, instantiate those tables in enum
 *     table_id order, as the committer does, so that
 *     /proc/net/ip_tables_names lists them in the order print_ruleset()
 *     assumes, then load the case with iptables-legacy-restore (or
 *     iptables-legacy, line by line);
 *  3. read every table back with libiptc into a struct ruleset, standard
 *     targets turned back into the names the builder stores;
 *  4. compare print_ruleset() with iptables-legacy-save minus comments;
 *  5. in a third fresh namespace, load what print_ruleset() printed with
 *     iptables-legacy-restore and check that iptables-legacy-save shows the
 *     same state again: the printer's output reads back as itself (except
 *     for *.strict.* cases, see run_case).
 *
 * A file whose rules use a match or target that print.c does not decode
 * (handled later by the libxtables adapter) is reported as SKIP.
 *
 * The xtables lock file is a private temporary file: the namespace is
 * private, so there is nobody to serialise with, and iptables 1.8.9 would
 * otherwise wait forever for a lock some other test holds.
 *
 * Exit status: 0 all passed, 1 a case failed, 77 namespaces unavailable or
 * no case at all (meson's "skipped").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libiptc/libiptc.h>

#include "print.h"
#include "ruleset.h"

#define EXIT_SKIP 77
#define TABLE_NAMES_PATH "/proc/net/ip_tables_names"

extern char **environ;

/* A growable, NUL-terminated text buffer. */
struct text {
	char *buf;
	size_t len;
};

static void text_free(struct text *t)
{
	free(t->buf);
	t->buf = NULL;
	t->len = 0;
}

/* Read all of @path into @t; -1 on error. */
static int text_read_file(const char *path, struct text *t)
{
	FILE *f = fopen(path, "r");
	char chunk[4096];
	size_t n;
	FILE *mem;

	if (!f)
		return -1;
	mem = open_memstream(&t->buf, &t->len);
	if (!mem) {
		fclose(f);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(f);
	return fclose(mem) == 0 ? 0 : -1;
}

static int text_write_file(const char *path, const struct text *t)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fwrite(t->buf, 1, t->len, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* Drop the "# Generated"/"# Completed" comment lines iptables-save adds. */
static void text_strip_comments(struct text *t)
{
	char *src = t->buf, *dst = t->buf;

	while (*src) {
		char *nl = strchr(src, '\n');
		size_t len = nl ? (size_t)(nl - src) + 1 : strlen(src);

		if (src[0] != '#') {
			memmove(dst, src, len);
			dst += len;
		}
		src += len;
	}
	*dst = '\0';
	t->len = dst - t->buf;
}

/*
 * Run @argv with stdin from @in (NULL: /dev/null) and stdout to @out
 * (NULL: inherited); return its exit status, or -1 if it did not exit.
 */
static int run(char *const argv[], const char *in, const char *out)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null",
					 O_RDONLY, 0);
	if (out)
		posix_spawn_file_actions_addopen(
			&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(err));
		return -1;
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Temporary files of one case, removed when it ends. */
struct case_files {
	char dir[64];
	char lock[96];
	char save[96];
	char printed[96];
	char resave[96];
	char cli[96];
};

static int case_files_init(struct case_files *cf)
{
	snprintf(cf->dir, sizeof(cf->dir), "/tmp/print_oracle.XXXXXX");
	if (!mkdtemp(cf->dir))
		return -1;
	snprintf(cf->lock, sizeof(cf->lock), "%s/xtables.lock", cf->dir);
	snprintf(cf->save, sizeof(cf->save), "%s/save", cf->dir);
	snprintf(cf->printed, sizeof(cf->printed), "%s/printed", cf->dir);
	snprintf(cf->resave, sizeof(cf->resave), "%s/resave", cf->dir);
	snprintf(cf->cli, sizeof(cf->cli), "%s/iptload-print", cf->dir);
	return 0;
}

static void case_files_remove(const struct case_files *cf)
{
	unlink(cf->lock);
	unlink(cf->save);
	unlink(cf->printed);
	unlink(cf->resave);
	unlink(cf->cli);
	rmdir(cf->dir);
}

static bool has_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n > m && strcmp(name + n - m, suffix) == 0;
}

/*
 * Load @path into the current namespace the way the shared kernel oracle
 * does: a .rules file with iptables-legacy-restore, a .cmds file line by
 * line with iptables-legacy (the shell splits the words, as a script
 * running iptables would; the case files hold no variables).
 */
static int load_case(const char *path)
{
	char *restore_argv[] = { "iptables-legacy-restore", NULL };
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	if (!has_suffix(path, ".cmds")) {
		if (run(restore_argv, path, NULL) == 0)
			return 0;
		fprintf(stderr, "iptables-legacy-restore < %s failed\n", path);
		return -1;
	}
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		char *cmd, *sh_argv[4] = { "sh", "-c", NULL, NULL };
		const char *words = line + strspn(line, " \t");

		words = strncmp(words, "iptables ", 9) == 0 ? words + 9 : words;
		if (words[0] == '#' || words[strspn(words, " \t\r\n")] == 0)
			continue;
		if (asprintf(&cmd, "exec iptables-legacy %s", words) < 0)
			abort();
		sh_argv[2] = cmd;
		if (run(sh_argv, NULL, NULL) != 0) {
			fprintf(stderr, "%s: iptables-legacy failed: %s", path,
				words);
			ret = -1;
		}
		free(cmd);
	}
	free(line);
	fclose(f);
	return ret;
}

/* The tables (bit per enum table_id) this namespace has instantiated. */
static int instantiated_tables(const struct ruleset *rs, unsigned *mask)
{
	char line[64];
	FILE *f = fopen(TABLE_NAMES_PATH, "r");

	*mask = 0;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		for (int id = 0; id < TABLE_COUNT; id++)
			if (strcmp(line, rs->tables[id].name) == 0)
				*mask |= 1u << id;
	}
	fclose(f);
	return 0;
}

/*
 * Which tables loading @path creates, found by loading it once in a
 * namespace of its own: simpler and surer than parsing "*table" lines and
 * "-t" options.
 */
static int probe_tables(const char *path, const struct ruleset *rs,
			unsigned *mask)
{
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	if (load_case(path) < 0)
		return -1;
	return instantiated_tables(rs, mask);
}

/*
 * Enter a fresh network namespace and instantiate the tables of @mask in
 * enum table_id order (iptc_init makes the kernel create the table).
 */
static int fresh_namespace(const struct ruleset *rs, unsigned mask)
{
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET)");
		return -1;
	}
	for (int id = 0; id < TABLE_COUNT; id++) {
		struct xtc_handle *h;

		if (!(mask & 1u << id))
			continue;
		h = iptc_init(rs->tables[id].name);
		if (!h) {
			fprintf(stderr, "iptc_init(%s): %s\n",
				rs->tables[id].name, iptc_strerror(errno));
			return -1;
		}
		iptc_free(h);
	}
	return 0;
}

/* Load @file (see load_case) and capture iptables-legacy-save, comments
 * stripped, in @save and @save_path. */
static int load_and_save(const char *file, const char *save_path,
			 struct text *save)
{
	char *save_argv[] = { "iptables-legacy-save", NULL };

	if (load_case(file) < 0)
		return -1;
	if (run(save_argv, NULL, save_path) != 0 ||
	    text_read_file(save_path, save) < 0) {
		fprintf(stderr, "iptables-legacy-save failed\n");
		return -1;
	}
	text_strip_comments(save);
	/* Keep the file as compared, so that a diff shows only what counts. */
	return text_write_file(save_path, save);
}

/*
 * A copy of kernel entry @e in the form the builder makes: a standard
 * target (kernel name "", verdict or jump offset) becomes a 40-byte
 * standard target that names its verdict or chain, as iptc_append_entry()
 * takes it; IPT_F_GOTO stays as the kernel has it.  Counters and comefrom
 * are cleared: the model holds neither.
 */
static struct ipt_entry *entry_from_kernel(const struct ipt_entry *e,
					   const char *target_name)
{
	const struct xt_entry_target *kt =
		(const void *)((const char *)e + e->target_offset);
	struct xt_standard_target *st;
	struct ipt_entry *copy;
	size_t size;

	if (kt->u.user.name[0] != '\0') {
		copy = malloc(e->next_offset);
		if (!copy)
			abort();
		memcpy(copy, e, e->next_offset);
	} else {
		size = e->target_offset + XT_ALIGN(sizeof(*st));
		copy = calloc(1, size);
		if (!copy)
			abort();
		memcpy(copy, e, e->target_offset);
		copy->next_offset = size;
		st = (void *)((char *)copy + copy->target_offset);
		st->target.u.target_size = XT_ALIGN(sizeof(*st));
		snprintf(st->target.u.user.name, sizeof(st->target.u.user.name),
			 "%s", target_name);
	}
	memset(&copy->counters, 0, sizeof(copy->counters));
	copy->comefrom = 0;
	copy->nfcache = 0;
	return copy;
}

/* Read table @t from the kernel into the model; -1 on error. */
static int read_table(struct table *t)
{
	struct xtc_handle *h = iptc_init(t->name);
	char(*names)[XT_TABLE_MAXNAMELEN] = NULL;
	size_t n = 0, i;
	const char *name;

	if (!h) {
		fprintf(stderr, "iptc_init(%s): %s\n", t->name,
			iptc_strerror(errno));
		return -1;
	}
	/* Names first: libiptc has one chain cursor per handle. */
	for (name = iptc_first_chain(h); name; name = iptc_next_chain(h)) {
		names = realloc(names, (n + 1) * sizeof(*names));
		if (!names)
			abort();
		memset(names[n], 0, sizeof(names[n]));
		snprintf(names[n++], sizeof(names[0]), "%s", name);
	}
	t->named = true;
	/* Chains before rules, so that jumps find their chain. */
	for (i = 0; i < n; i++) {
		struct xt_counters cnt;
		const char *pol;
		struct chain *c;

		if (!iptc_builtin(names[i], h)) {
			table_add_chain(t, names[i], NULL);
			continue;
		}
		c = table_find_chain(t, names[i]);
		pol = iptc_get_policy(names[i], &cnt, h);
		if (!c || !pol) {
			fprintf(stderr, "%s: unexpected built-in chain %s\n",
				t->name, names[i]);
			goto fail;
		}
		c->policy = strcmp(pol, "DROP") == 0 ? POLICY_DROP :
						       POLICY_ACCEPT;
		c->policy_counters = cnt;
	}
	for (i = 0; i < n; i++) {
		struct chain *c = table_find_chain(t, names[i]);
		const struct ipt_entry *e;

		for (e = iptc_first_rule(names[i], h); e;
		     e = iptc_next_rule(e, h)) {
			struct rule r = {
				.entry = (struct entry *)entry_from_kernel(
					e, iptc_get_target(e, h)),
			};

			chain_insert_rule(t, c, c->nrules, r);
		}
	}
	free(names);
	iptc_free(h);
	return 0;
fail:
	free(names);
	iptc_free(h);
	return -1;
}

/* Read every instantiated table of this namespace into @rs. */
static int read_ruleset(struct ruleset *rs)
{
	char line[64];
	FILE *f = fopen(TABLE_NAMES_PATH, "r");
	int ret = 0;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (ret == 0 && fgets(line, sizeof(line), f)) {
		struct table *t;

		line[strcspn(line, "\n")] = '\0';
		t = ruleset_table(rs, line);
		if (!t) {
			fprintf(stderr, "unknown table %s\n", line);
			ret = -1;
		} else {
			ret = read_table(t);
		}
	}
	fclose(f);
	return ret;
}

static bool native_match(const char *name)
{
	return strcmp(name, "udp") == 0 || strcmp(name, "tcp") == 0 ||
	       strcmp(name, "icmp") == 0 || strcmp(name, "policy") == 0;
}

/* A verdict, jump or goto, as opposed to an extension target that merely
 * has the standard target's size (CLASSIFY, for one). */
static bool target_is_standard(const struct table *t, const struct ipt_entry *e)
{
	const struct entry *g = (const struct entry *)e;
	const char *name = rule_target_name(FAMILY_IPV4, g);

	return rule_is_standard(FAMILY_IPV4, g) &&
	       (name[0] == '\0' || strcmp(name, "ACCEPT") == 0 ||
		strcmp(name, "DROP") == 0 || strcmp(name, "QUEUE") == 0 ||
		strcmp(name, "RETURN") == 0 || table_find_chain(t, name));
}

/* The first match or target of @rs that print.c leaves to the adapter,
 * or NULL. */
static const char *first_foreign_extension(const struct ruleset *rs)
{
	for (int id = 0; id < TABLE_COUNT; id++) {
		const struct table *t = &rs->tables[id];

		for (size_t i = 0; i < t->nchains; i++) {
			const struct chain *c = t->chains[i];

			for (size_t j = 0; j < c->nrules; j++) {
				const struct ipt_entry *e =
					entry_v4(c->rules[j].entry);
				const struct xt_entry_match *m;
				size_t off;

				for (off = sizeof(*e); off < e->target_offset;
				     off += m->u.match_size) {
					m = (const void *)((const char *)e +
							   off);
					if (!native_match(m->u.user.name))
						return m->u.user.name;
				}
				if (!target_is_standard(t, e))
					return rule_target_name(
						FAMILY_IPV4,
						c->rules[j].entry);
			}
		}
	}
	return NULL;
}

static void show_diff(const char *expected, const char *actual)
{
	char *argv[] = { "diff", "-u", (char *)expected, (char *)actual, NULL };

	fflush(stdout);
	run(argv, NULL, NULL);
}

/* What one case needs: its file, the oracle's text, and scratch files. */
struct oracle_case {
	const char *path;
	struct case_files files;
	struct text save; /* iptables-legacy-save, comments stripped */
	unsigned tables;  /* bit per enum table_id */
};

/* Compare @text with the oracle's; on a difference say @what and show a
 * diff against the file @text_path holds.  Returns 0 when equal. */
static int compare_with_save(const struct oracle_case *oc,
			     const struct text *text, const char *text_path,
			     const char *what)
{
	if (strcmp(oc->save.buf, text->buf) == 0)
		return 0;
	printf("FAIL %s: %s differs from iptables-legacy-save\n", oc->path,
	       what);
	show_diff(oc->files.save, text_path);
	return -1;
}

/*
 * The printed text must load back to the same state.  Not promised for
 * the *.strict.* cases, states iptload refuses to build on purpose: there
 * iptables-save's own text may not load back either (an interface name
 * with a space and a newline, for one), and print.c is identical to it.
 */
static int check_reload(const struct oracle_case *oc, const struct ruleset *rs)
{
	struct text resave = { 0 };
	int ret;

	if (strstr(oc->path, ".strict."))
		return 0;
	if (fresh_namespace(rs, oc->tables) < 0 ||
	    load_and_save(oc->files.printed, oc->files.resave, &resave) < 0) {
		printf("FAIL %s: iptables-legacy-restore refused the printed "
		       "text\n",
		       oc->path);
		show_diff(oc->files.save, oc->files.printed);
		text_free(&resave);
		return -1;
	}
	ret = compare_with_save(oc, &resave, oc->files.resave,
				"the printed text, loaded and saved again,");
	text_free(&resave);
	return ret;
}

/*
 * Read the kernel back into a ruleset, print it and compare; then reload
 * the printed text.  0 pass, 1 fail, 77 skip.
 */
static int check_print_ruleset(const struct oracle_case *oc)
{
	struct ruleset rs;
	struct text printed = { 0 };
	const char *foreign;
	FILE *mem;
	int ret = 1;

	ruleset_init(&rs);
	if (read_ruleset(&rs) < 0) {
		printf("FAIL %s: could not read it back with libiptc\n",
		       oc->path);
		goto out;
	}
	foreign = first_foreign_extension(&rs);
	if (foreign) {
		printf("SKIP %s: uses %s, which print.c leaves to the "
		       "libxtables adapter\n",
		       oc->path, foreign);
		ret = EXIT_SKIP;
		goto out;
	}
	mem = open_memstream(&printed.buf, &printed.len);
	if (!mem)
		goto out;
	print_ruleset(&rs, mem);
	fclose(mem);
	if (text_write_file(oc->files.printed, &printed) == 0 &&
	    compare_with_save(oc, &printed, oc->files.printed,
			      "print_ruleset") == 0 &&
	    check_reload(oc, &rs) == 0) {
		printf("PASS %s\n", oc->path);
		ret = 0;
	}
out:
	text_free(&printed);
	ruleset_free(&rs);
	return ret;
}

/*
 * @t without the escapes print.c adds for iptload's reader (*.escaped.*
 * cases): outside double quotes, \c is c; inside, \$ is $ (the other
 * escapes there, \" \\ \', are iptables-save's own).
 */
static void text_unescape(struct text *t)
{
	bool quoted = false;
	size_t o = 0;

	for (size_t i = 0; i < t->len; i++) {
		char c = t->buf[i];

		if (c == '"')
			quoted = !quoted;
		if (c == '\\' && i + 1 < t->len &&
		    (!quoted || t->buf[i + 1] == '$')) {
			t->buf[o++] = t->buf[++i];
			continue;
		}
		if (c == '\\' && i + 1 < t->len)
			t->buf[o++] = t->buf[i++]; /* keep \" inside quotes */
		t->buf[o++] = t->buf[i];
	}
	t->len = o;
	t->buf[o] = '\0';
}

/*
 * "iptload print FILE" must print what iptables-legacy-save printed after
 * iptables-legacy loaded FILE: the builder and the printer together are
 * the inverse of iptables' parser and its save.  No kernel is involved on
 * iptload's side.  Strict cases are refused by iptload on purpose: skip.
 */
static int check_iptload_print(const struct oracle_case *oc,
			       const char *iptload)
{
	char *argv[] = { (char *)iptload, "print", (char *)oc->path, NULL };
	struct text out = { 0 };
	int rc, ret = 1;

	if (strstr(oc->path, ".strict.")) {
		printf("SKIP %s: iptload refuses strict cases\n", oc->path);
		return EXIT_SKIP;
	}
	fflush(stdout);
	rc = run(argv, NULL, oc->files.cli);
	if (rc != 0) {
		printf("FAIL %s: iptload print exited %d\n", oc->path, rc);
	} else if (text_read_file(oc->files.cli, &out) == 0) {
		if (strstr(oc->path, ".escaped."))
			text_unescape(&out);
		if (compare_with_save(oc, &out, oc->files.cli,
				      "iptload print") == 0)
			ret = 0;
	}
	if (ret == 0)
		printf("PASS %s\n", oc->path);
	text_free(&out);
	return ret;
}

/*
 * One case, in the calling (child) process: load it as the oracle does,
 * then check print_ruleset() on what the kernel holds or, with @iptload,
 * "iptload print" on the file.  0 pass, 1 fail, 77 skip.
 */
static int run_case(const char *path, const char *iptload)
{
	struct oracle_case oc = { .path = path };
	struct ruleset names;
	int ret = 1;

	if (case_files_init(&oc.files) < 0) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XTABLES_LOCKFILE", oc.files.lock, 1);
	ruleset_init(&names); /* only for the table names */
	if (probe_tables(path, &names, &oc.tables) < 0 ||
	    fresh_namespace(&names, oc.tables) < 0 ||
	    load_and_save(path, oc.files.save, &oc.save) < 0)
		printf("FAIL %s: iptables-legacy could not load it\n", path);
	else if (iptload)
		ret = check_iptload_print(&oc, iptload);
	else
		ret = check_print_ruleset(&oc);
	ruleset_free(&names);
	text_free(&oc.save);
	case_files_remove(&oc.files);
	return ret;
}

/* Run run_case() in a child so that its namespaces die with it. */
static int run_case_isolated(const char *path, const char *iptload)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		int r = run_case(path, iptload);

		fflush(stdout);
		_exit(r);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

/* True when this process may create network namespaces. */
static bool namespaces_available(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return false;
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* iptables-save files and iptables command files that iptables accepts
 * (*.bad.* cases are refused by iptables too). */
static bool is_case_file(const char *name)
{
	return (has_suffix(name, ".rules") || has_suffix(name, ".cmds")) &&
	       !strstr(name, ".bad.");
}

static int filter_cases(const struct dirent *d)
{
	return is_case_file(d->d_name);
}

/* Run every case file under @dir in name order; counts into @n. */
static void run_dir(const char *dir, const char *iptload, unsigned n[3])
{
	struct dirent **list;
	int count = scandir(dir, &list, filter_cases, alphasort);

	if (count < 0) {
		printf("no case directory %s\n", dir);
		return;
	}
	for (int i = 0; i < count; i++) {
		char path[4096];
		int r;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		r = run_case_isolated(path, iptload);
		n[r == 0 ? 0 : r == EXIT_SKIP ? 2 : 1]++;
		free(list[i]);
	}
	free(list);
}

int main(int argc, char **argv)
{
	unsigned n[3] = { 0 }; /* passed, failed, skipped */
	const char *iptload = NULL;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "--iptload") == 0) {
		iptload = argv[2];
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr,
			"usage: %s [--iptload IPTLOAD] FILE|DIR...\n"
			"  without --iptload: check print_ruleset() on the "
			"kernel state\n"
			"  with --iptload: check \"IPTLOAD print FILE\"\n",
			argv[0]);
		return 2;
	}
	if (!namespaces_available()) {
		printf("SKIP: cannot create a network namespace (not root?)\n");
		return EXIT_SKIP;
	}
	for (; i < argc; i++) {
		DIR *d = opendir(argv[i]);

		if (d) {
			closedir(d);
			run_dir(argv[i], iptload, n);
		} else {
			int r = run_case_isolated(argv[i], iptload);

			n[r == 0 ? 0 : r == EXIT_SKIP ? 2 : 1]++;
		}
	}
	printf("%u passed, %u failed, %u skipped\n", n[0], n[1], n[2]);
	if (n[1])
		return 1;
	return n[0] ? 0 : EXIT_SKIP;
}
