/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helpers.c - see helpers.h.  Test code: it may fork and exec
 * iptables-legacy, which src/ never does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

static char tmpdir[] = "/tmp/iptload-commit-test-XXXXXX";
static char paths[4][PATH_MAX];
static char commit_lock[PATH_MAX];
/* The namespace the program started in, held open so that its inode
 * number cannot be given to a later namespace. */
static int start_netns_fd = -1;

static ino_t fd_inode(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		fail_msg("fstat: %s", strerror(errno));
	return st.st_ino;
}

static int netns_open(void)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "open /proc/self/ns/net: %s\n",
			strerror(errno));
		exit(1);
	}
	return fd;
}

const char *test_setup(void)
{
	start_netns_fd = netns_open();
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	snprintf(commit_lock, sizeof(commit_lock), "%s/commit.lock", tmpdir);
	/* Children lock a private file too: never /run/xtables.lock. */
	setenv("XTABLES_LOCKFILE", test_path(0, "children.lock"), 1);
	/* The shim is already loaded into this process if it was preloaded;
	 * children must not load it. */
	unsetenv("LD_PRELOAD");
	return tmpdir;
}

void test_teardown(void)
{
	const char *names[] = { "children.lock", "commit.lock", "other.lock",
				"race.lock" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(test_path(0, names[i]));
	rmdir(tmpdir);
	close(start_netns_fd);
}

const char *test_path(int slot, const char *name)
{
	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", tmpdir, name);
	return paths[slot];
}

struct commit_options test_commit_options(int wait_seconds)
{
	struct commit_options opt = {
		.wait_seconds = wait_seconds,
		.lock_path = commit_lock,
	};

	return opt;
}

void test_netns_fresh(void)
{
	int before = netns_open(), now;
	bool same;

	if (unshare(CLONE_NEWNET) < 0) {
		close(before);
		if (errno == EPERM)
			skip(); /* no namespaces here: never run unprotected */
		fail_msg("unshare(CLONE_NEWNET): %s", strerror(errno));
	}
	/* Both old namespaces are held open: their numbers are theirs. */
	now = netns_open();
	same = fd_inode(now) == fd_inode(before) ||
	       fd_inode(now) == fd_inode(start_netns_fd);
	close(now);
	close(before);
	if (same)
		fail_msg("still in the old network namespace");
}

void test_restore(const char *text)
{
	FILE *p = popen("iptables-legacy-restore -c", "w");
	int status;

	assert_non_null(p);
	fputs(text, p);
	status = pclose(p);
	if (status != 0)
		fail_msg("iptables-legacy-restore failed (%d) on:\n%s", status,
			 text);
}

int test_iptables(const char *lock_path, ...)
{
	const char *argv[32] = { "iptables-legacy" };
	size_t argc = 1;
	va_list ap;
	pid_t pid;
	int status;

	va_start(ap, lock_path);
	while (argc < 31 && (argv[argc] = va_arg(ap, const char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setenv("XTABLES_LOCKFILE", lock_path, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* A growing byte buffer. */
struct buf {
	unsigned char *data;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = realloc(b->data, b->cap);
		assert_non_null(b->data);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The instantiated tables, sorted; returns how many (at most 8). */
static size_t table_names(char names[8][XT_TABLE_MAXNAMELEN])
{
	FILE *f = fopen("/proc/net/ip_tables_names", "r");
	char *sorted[8];
	char tmp[8][XT_TABLE_MAXNAMELEN];
	size_t n = 0;

	if (!f)
		return 0; /* ip_tables not loaded yet: no table at all */
	while (n < 8 && fgets(tmp[n], sizeof(tmp[n]), f)) {
		tmp[n][strcspn(tmp[n], "\n")] = '\0';
		sorted[n] = tmp[n];
		n++;
	}
	fclose(f);
	qsort(sorted, n, sizeof(sorted[0]), name_cmp);
	for (size_t i = 0; i < n; i++)
		snprintf(names[i], XT_TABLE_MAXNAMELEN, "%s", sorted[i]);
	return n;
}

/* Append the save text of table @name, without the dated comments. */
static void save_table(struct buf *b, const char *name)
{
	char cmd[128], *line = NULL;
	size_t cap = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "iptables-legacy-save -c -t %.31s", name);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (getline(&line, &cap, p) > 0) {
		if (line[0] != '#')
			buf_add(b, line, strlen(line));
	}
	free(line);
	assert_int_equal(pclose(p), 0);
}

/* Append the kernel's own bytes for table @name. */
static void blob_table(struct buf *b, const char *name)
{
	struct ipt_getinfo info = { 0 };
	struct ipt_get_entries *ents;
	socklen_t len = sizeof(info);
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

	assert_true(fd >= 0);
	snprintf(info.name, sizeof(info.name), "%.31s", name);
	if (getsockopt(fd, SOL_IP, IPT_SO_GET_INFO, &info, &len) < 0)
		fail_msg("IPT_SO_GET_INFO %s: %s", name, strerror(errno));
	len = sizeof(*ents) + info.size;
	ents = calloc(1, len);
	assert_non_null(ents);
	snprintf(ents->name, sizeof(ents->name), "%.31s", name);
	ents->size = info.size;
	if (getsockopt(fd, SOL_IP, IPT_SO_GET_ENTRIES, ents, &len) < 0)
		fail_msg("IPT_SO_GET_ENTRIES %s: %s", name, strerror(errno));
	buf_add(b, &info, sizeof(info));
	buf_add(b, ents->entrytable, info.size);
	free(ents);
	close(fd);
}

void kstate_read(struct kstate *ks)
{
	char names[8][XT_TABLE_MAXNAMELEN];
	struct buf save = { 0 }, blob = { 0 };
	size_t n = table_names(names);

	buf_add(&save, "", 0);
	buf_add(&blob, "", 0);
	for (size_t i = 0; i < n; i++) {
		save_table(&save, names[i]);
		blob_table(&blob, names[i]);
	}
	ks->save = (char *)save.data;
	ks->blob = blob.data;
	ks->blob_len = blob.len;
}

void kstate_free(struct kstate *ks)
{
	free(ks->save);
	free(ks->blob);
	memset(ks, 0, sizeof(*ks));
}

void kstate_assert_equal(const struct kstate *a, const struct kstate *b)
{
	if (strcmp(a->save, b->save) != 0)
		fail_msg("tables differ.\n--- expected:\n%s--- got:\n%s",
			 a->save, b->save);
	if (a->blob_len != b->blob_len ||
	    memcmp(a->blob, b->blob, a->blob_len) != 0)
		fail_msg("same save text but different kernel bytes:\n%s",
			 a->save);
}

char *kstate_table_text(const struct kstate *ks, const char *name)
{
	char head[40];
	const char *start, *end;

	snprintf(head, sizeof(head), "*%s\n", name);
	start = strstr(ks->save, head);
	if (!start)
		return strdup("");
	end = strstr(start, "COMMIT\n");
	assert_non_null(end);
	return strndup(start, end + strlen("COMMIT\n") - start);
}

/* Parse "a.b.c.d[/len]" into an address and mask, as iptables does. */
static void parse_cidr(const char *text, struct in_addr *addr,
		       struct in_addr *mask)
{
	char host[32];
	const char *slash = strchr(text, '/');
	int len = slash ? atoi(slash + 1) : 32;

	snprintf(host, sizeof(host), "%.*s",
		 (int)(slash ? slash - text : (long)strlen(text)), text);
	assert_int_equal(inet_pton(AF_INET, host, addr), 1);
	mask->s_addr = len ? htonl(~0u << (32 - len)) : 0;
	addr->s_addr &= mask->s_addr;
}

static struct ipt_entry *entry_build(const struct rule_spec *spec)
{
	size_t tsize = spec->extension ?
			       XT_ALIGN(sizeof(struct xt_entry_target)) :
			       XT_ALIGN(sizeof(struct xt_standard_target));
	struct ipt_entry *e = calloc(1, sizeof(*e) + tsize);
	struct xt_entry_target *t;

	assert_non_null(e);
	e->target_offset = sizeof(*e);
	e->next_offset = sizeof(*e) + tsize;
	if (spec->src)
		parse_cidr(spec->src, &e->ip.src, &e->ip.smsk);
	if (spec->dst)
		parse_cidr(spec->dst, &e->ip.dst, &e->ip.dmsk);
	if (spec->in) {
		snprintf(e->ip.iniface, sizeof(e->ip.iniface), "%s", spec->in);
		memset(e->ip.iniface_mask, 0xff, strlen(spec->in) + 1);
	}
	e->ip.proto = spec->proto;
	if (spec->go)
		e->ip.flags |= IPT_F_GOTO;
	e->counters.pcnt = spec->pcnt;
	e->counters.bcnt = spec->bcnt;
	t = (struct xt_entry_target *)e->elems;
	t->u.user.target_size = tsize;
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", spec->target);
	return e;
}

void model_append(struct table *t, const char *chain,
		  const struct rule_spec *spec)
{
	struct chain *c = table_find_chain(t, chain);
	struct rule r = { .entry = (struct entry *)entry_build(spec) };

	assert_non_null(c);
	if (spec->loc)
		r.loc = *spec->loc;
	chain_insert_rule(t, c, c->nrules, r);
}

void model_policy(struct table *t, const char *chain, enum chain_policy p,
		  uint64_t pcnt, uint64_t bcnt)
{
	struct chain *c = table_find_chain(t, chain);

	assert_non_null(c);
	c->policy = p;
	c->policy_counters.pcnt = pcnt;
	c->policy_counters.bcnt = bcnt;
}

const char *diag_text(const struct diag_list *dl, size_t i)
{
	static char text[2048];

	snprintf(text, sizeof(text), "%s%s%s", dl->items[i].message,
		 dl->items[i].hint ? " | hint: " : "",
		 dl->items[i].hint ? dl->items[i].hint : "");
	return text;
}

bool diag_has(const struct diag_list *dl, ...)
{
	for (size_t i = 0; i < dl->count; i++) {
		const char *text = diag_text(dl, i);
		const char *want;
		bool all = dl->items[i].severity == DIAG_ERROR;
		va_list ap;

		va_start(ap, dl);
		while (all && (want = va_arg(ap, const char *)))
			all = strstr(text, want) != NULL;
		va_end(ap);
		if (all)
			return true;
	}
	return false;
}
