/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confirm.c - the apply --confirm watchdog and `iptload confirm`.
 *
 * Apply and its watchdog talk over a socketpair:
 *
 *   watchdog -> apply   'R'                 set up (own session, signals)
 *   apply -> watchdog   'T' len table-bytes before each table's commit
 *                       'C' | 'N'           something committed | nothing
 *
 * If apply dies before 'C' or 'N' (killed with its process group), the
 * watchdog sees EOF: having any table it assumes the worst, that it was
 * committed, and rolls back when the time runs out; putting back a table
 * that did not change plans no change and commits nothing.
 *
 * The confirm socket speaks one line each way: "confirm" -> "kept", or
 * "status" -> "pending SECONDS".  Both ends check the other's uid
 * (SO_PEERCRED): root or the user who ran apply.  Until apply says how it
 * ended, the watchdog answers at once, "confirm" -> "not yet" and
 * "status" -> "starting": a confirmation sent before the new tables are
 * committed is refused, never queued and honoured later.
 *
 * When the time is up the watchdog keeps the socket until its roll-back
 * is done, answering "rolling back" to everything, and tries the
 * roll-back again (the lock may be busy) for as long as it takes.
 *
 * The deadline is on CLOCK_BOOTTIME: a suspend does not stretch it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#include "confirm.h"
#include "oplog.h"
#include "plan.h"
#include "print.h"

/* The directory of the watchdogs' sockets, unless $CONFIRM_DIR_ENV. */
#define CONFIRM_DEFAULT_DIR "/run/iptload-confirm"
/* How long a client may take to send its line, in milliseconds. */
#define CLIENT_TIMEOUT_MS 2000
/* How long one roll-back attempt waits for the xtables lock, in seconds;
 * between attempts the watchdog answers its socket ("rolling back"). */
#define ROLLBACK_LOCK_WAIT 1
/* The longest pause between two roll-back attempts, in milliseconds. */
#define ROLLBACK_PAUSE_MAX_MS 60000

/* Set by SIGTERM/SIGINT: roll back now. */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = 1;
}

static const char *socket_dir(void)
{
	const char *env = getenv(CONFIRM_DIR_ENV);

	return env && *env ? env : CONFIRM_DEFAULT_DIR;
}

/* Why the words of the last failed socket_dir_check or connect_watchdog,
 * for `iptload confirm`. */
static char socket_why[256];

/*
 * The socket directory must be a directory (not a symlink) that only
 * root (or this user) can enter: mode 0700, owned by root or by us.
 * Then nobody else can bind the name first, replace the socket, or even
 * connect.  Returns 0, or -1 with errno ENOENT (it does not exist) or
 * EPERM (it is not safe: why in socket_why).
 */
static int socket_dir_check(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		int err = errno;

		snprintf(socket_why, sizeof(socket_why), "%s: %s", dir,
			 strerror(err));
		errno = err == ENOENT ? ENOENT : EPERM;
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		snprintf(socket_why, sizeof(socket_why),
			 "%s is not a directory", dir);
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		snprintf(socket_why, sizeof(socket_why),
			 "the directory %s is owned by uid %u, not by root",
			 dir, (unsigned)st.st_uid);
	else if (st.st_mode & 077)
		snprintf(socket_why, sizeof(socket_why),
			 "the directory %s has mode %04o, not 0700", dir,
			 (unsigned)(st.st_mode & 07777));
	else
		return 0;
	errno = EPERM;
	return -1;
}

/*
 * This network namespace's socket, DIR/confirm-INODE.sock (the inode of
 * /proc/self/ns/net): the directory is shared by every namespace of the
 * machine, each has a name of its own.  Returns 0, or -1 with the reason
 * in socket_why.
 */
static int confirm_addr(struct sockaddr_un *sun, socklen_t *len)
{
	struct stat ns;
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (stat("/proc/self/ns/net", &ns) < 0) {
		snprintf(socket_why, sizeof(socket_why),
			 "cannot tell the network namespace: %s",
			 strerror(errno));
		return -1;
	}
	n = snprintf(sun->sun_path, sizeof(sun->sun_path),
		     "%s/confirm-%llu.sock", socket_dir(),
		     (unsigned long long)ns.st_ino);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
		snprintf(socket_why, sizeof(socket_why),
			 "the socket path under %s is too long", socket_dir());
		errno = ENAMETOOLONG;
		return -1;
	}
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write all of @len bytes (no SIGPIPE: apply must survive a dead
 * watchdog and report it). */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly @len bytes; 0, or -1 on EOF or error. */
static int recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- tables over the wire ---- */

/* One chain head on the wire; rules follow, per chain, after all heads. */
struct wire_chain {
	char name[XT_TABLE_MAXNAMELEN];
	int32_t hook;
	uint32_t policy;
	uint64_t pcnt, bcnt;
	uint32_t nrules;
};

/* Table @t as bytes: id, chain count, chain heads, then each chain's
 * rules as (size, entry bytes).  malloc'd into *@buf. */
static int table_encode(const struct table *t, char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);
	uint32_t id = (uint32_t)(t->family * TABLE_COUNT + t->id),
		 n = (uint32_t)t->nchains;

	if (!f)
		return -1;
	fwrite(&id, sizeof(id), 1, f);
	fwrite(&n, sizeof(n), 1, f);
	for (size_t i = 0; i < t->nchains; i++) {
		const struct chain *c = t->chains[i];
		struct wire_chain w = { .hook = c->hook,
					.policy = (uint32_t)c->policy,
					.pcnt = c->policy_counters.pcnt,
					.bcnt = c->policy_counters.bcnt,
					.nrules = (uint32_t)c->nrules };

		memcpy(w.name, c->name, sizeof(w.name));
		fwrite(&w, sizeof(w), 1, f);
	}
	for (size_t i = 0; i < t->nchains; i++)
		for (size_t k = 0; k < t->chains[i]->nrules; k++) {
			const struct entry *e = t->chains[i]->rules[k].entry;
			uint16_t size = entry_next_offset(t->family, e);

			fwrite(&size, sizeof(size), 1, f);
			fwrite(e, size, 1, f);
		}
	if (ferror(f)) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* A cursor over received bytes. */
struct reader {
	const char *p, *end;
};

static int take(struct reader *r, void *out, size_t len)
{
	if ((size_t)(r->end - r->p) < len)
		return -1;
	memcpy(out, r->p, len);
	r->p += len;
	return 0;
}

/* The chain heads of a received table into @t. */
static int decode_chains(struct reader *r, struct table *t,
			 struct wire_chain *heads, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct wire_chain *w = &heads[i];
		struct chain *c;

		if (take(r, w, sizeof(*w)) < 0)
			return -1;
		w->name[sizeof(w->name) - 1] = '\0';
		if (w->hook < 0) {
			if (!table_find_chain(t, w->name))
				table_add_chain(t, w->name, NULL);
			continue;
		}
		c = table_find_chain(t, w->name);
		if (!c || c->hook != w->hook)
			return -1;
		c->policy = w->policy == POLICY_DROP ? POLICY_DROP :
						       POLICY_ACCEPT;
		c->policy_counters.pcnt = w->pcnt;
		c->policy_counters.bcnt = w->bcnt;
	}
	return 0;
}

/* The rules of a received table into @t. */
static int decode_rules(struct reader *r, struct table *t,
			const struct wire_chain *heads, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct chain *c = table_find_chain(t, heads[i].name);

		for (uint32_t k = 0; k < heads[i].nrules; k++) {
			uint16_t size;
			struct rule rule = { 0 };

			if (take(r, &size, sizeof(size)) < 0 ||
			    size < entry_head_size(t->family))
				return -1;
			rule.entry = malloc(size);
			if (!rule.entry || take(r, rule.entry, size) < 0 ||
			    entry_next_offset(t->family, rule.entry) != size) {
				free(rule.entry);
				return -1;
			}
			chain_insert_rule(t, c, c->nrules, rule);
		}
	}
	return 0;
}

/* Make the table a received message describes, in @rs.  Returns its id,
 * or -1 when the bytes make no sense. */
static int table_decode(const char *buf, size_t len, struct ruleset *rs)
{
	struct reader r = { .p = buf, .end = buf + len };
	struct wire_chain *heads;
	uint32_t id, n;
	struct table *t;
	int rc;

	if (take(&r, &id, sizeof(id)) < 0 || id >= RULESET_TABLES ||
	    take(&r, &n, sizeof(n)) < 0 || n > len)
		return -1;
	t = &rs->tables[id];
	table_reset(t);
	t->named = true;
	heads = calloc(n ? n : 1, sizeof(*heads));
	if (!heads)
		return -1;
	rc = decode_chains(&r, t, heads, n);
	if (rc == 0)
		rc = decode_rules(&r, t, heads, n);
	free(heads);
	return rc < 0 ? -1 : (int)id;
}

/* ---- the pending roll-back on disk ---- */

/* True when this process is in the network namespace of PID 1: the one
 * whose tables a reboot loads again. */
static bool in_init_netns(void)
{
	struct stat self, init;

	return stat("/proc/self/ns/net", &self) == 0 &&
	       stat("/proc/1/ns/net", &init) == 0 &&
	       self.st_dev == init.st_dev && self.st_ino == init.st_ino;
}

/* The state directory, or NULL when this namespace keeps no pending
 * roll-back on disk (see CONFIRM_STATE_ENV). */
static const char *state_dir(void)
{
	const char *env = getenv(CONFIRM_STATE_ENV);

	if (env && *env)
		return env;
	return in_init_netns() ? IPTLOAD_DEFAULT_STATE_DIR : NULL;
}

static char *state_path(const char *dir, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	return path;
}

/* Make @dir (mode 0700) if it is missing; refuse one that someone other
 * than root (or us) owns or may write into: what is in it decides what a
 * boot loads. */
static int state_dir_ready(const char *dir, struct diag_list *dl)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	if (lstat(dir, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode))
		return diag_error(dl, NULL, 1,
				  "the state directory %s is not a directory",
				  dir);
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		return diag_error(dl, NULL, 1,
				  "the state directory %s may be written by "
				  "others (uid %u, mode %04o): refusing it",
				  dir, (unsigned)st.st_uid,
				  (unsigned)(st.st_mode & 07777));
	return 0;
fail:
	diag_error(dl, NULL, 1, "cannot use the state directory %s: %s", dir,
		   strerror(errno));
	return -1;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Make @dir/@name hold @len bytes of @text, whole or not at all: a
 * temporary file, synced, renamed over it, and the directory synced. */
static int state_write(const char *dir, const char *name, const char *text,
		       size_t len)
{
	char *path = state_path(dir, name), *tmp;
	int fd, rc = -1, err;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		abort();
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd >= 0 && write_all(fd, text, len) == 0 && fsync(fd) == 0) {
		rc = close(fd);
		fd = -1;
		if (rc == 0)
			rc = rename(tmp, path);
	}
	err = errno;
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (rc == 0 && fsync(fd) < 0)
			rc = -1;
		else
			errno = err;
		close(fd);
	}
	free(tmp);
	free(path);
	return rc;
}

/* Remove the marker, then (unless @keep_previous) the previous tables. */
static void state_clear(const char *dir, bool keep_previous)
{
	char *marker = state_path(dir, CONFIRM_MARKER_FILE);
	char *previous = state_path(dir, CONFIRM_PREVIOUS_FILE);

	unlink(marker);
	if (!keep_previous)
		unlink(previous);
	free(marker);
	free(previous);
}

/*
 * Before table @before is committed: write every table handed over so
 * far as iptables-save text, then the marker, so that a reboot (or the
 * watchdog's death) before the confirmation finds what to load instead.
 */
static int state_save(struct confirm_watchdog *w, const struct table *before)
{
	char *text = NULL, *marker = NULL;
	struct table *t;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!w->state_dir)
		return 0;
	if (!w->saved) {
		w->saved = malloc(sizeof(*w->saved));
		if (!w->saved)
			abort();
		ruleset_init(w->saved);
	}
	t = &w->saved->tables[before->family * TABLE_COUNT + before->id];
	plan_table_copy(t, before);
	t->named = true; /* as read from the kernel: it holds the table */
	f = open_memstream(&text, &len);
	if (!f)
		abort();
	fprintf(f,
		"# The tables an apply --confirm replaced, saved by iptload "
		"%s;\n# apply --boot loads them if %s is here.\n",
		IPTLOAD_VERSION, CONFIRM_MARKER_FILE);
	print_ruleset(w->saved, f);
	if (fclose(f) != 0)
		abort();
	/* A rule printed without its extension's options would load back
	 * as another rule: save nothing rather than that.  (commit.c prints
	 * the tables once before, so that this does not happen.) */
	if (plan_missed()) {
		free(text);
		diag_error(w->dl, NULL, 1,
			   "cannot save the tables to put back: an extension "
			   "they use is not loaded");
		return -1;
	}
	if (asprintf(&marker, "watchdog %ld\nconfig %s\n", (long)w->pid,
		     w->file) < 0)
		abort();
	rc = state_write(w->state_dir, CONFIRM_PREVIOUS_FILE, text, len);
	if (rc == 0)
		rc = state_write(w->state_dir, CONFIRM_MARKER_FILE, marker,
				 strlen(marker));
	if (rc < 0)
		diag_error(w->dl, NULL, 1,
			   "cannot save the tables to put back in %s: %s",
			   w->state_dir, strerror(errno));
	free(text);
	free(marker);
	return rc;
}

/* The "config" line of marker text @m, malloc'd, or NULL. */
static char *marker_config(const char *m)
{
	const char *p = strstr(m, "\nconfig ");
	size_t n;

	if (!p)
		return NULL;
	p += 8;
	n = strcspn(p, "\n");
	return strndup(p, n);
}

bool confirm_boot_pending(char **previous, char **config)
{
	const char *dir = state_dir();
	char *marker, text[4096] = "";
	int fd, left;
	ssize_t n;

	*previous = NULL;
	*config = NULL;
	/* A live watchdog (a restart, not a reboot) does the roll-back. */
	if (!dir || confirm_pending(&left))
		return false;
	marker = state_path(dir, CONFIRM_MARKER_FILE);
	fd = open(marker, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	free(marker);
	if (fd < 0)
		return false;
	n = read(fd, text + 1, sizeof(text) - 2);
	close(fd);
	text[0] = '\n';
	text[n > 0 ? n + 1 : 1] = '\0';
	*previous = state_path(dir, CONFIRM_PREVIOUS_FILE);
	*config = marker_config(text);
	if (!*config)
		*config = strdup("?");
	return true;
}

void confirm_boot_done(bool keep_previous)
{
	const char *dir = state_dir();

	if (dir)
		state_clear(dir, keep_previous);
}

void confirm_forget_stale(void)
{
	const char *dir = state_dir();

	if (dir)
		state_clear(dir, false);
}

/* ---- the apply side ---- */

static int connect_at(const struct sockaddr_un *sun, socklen_t len);

/* Take the claim lock beside socket @path (its ".sock" made ".lock"):
 * two apply --confirm must not both find a stale socket and replace it.
 * Returns the locked descriptor, or -1. */
static int claim_lock(const char *path)
{
	char lock[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	size_t n = strlen(path) - strlen(".sock");
	int fd;

	snprintf(lock, sizeof(lock), "%.*s.lock", (int)n, path);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	return fd;
}

/* Bind and listen on @sun; a socket file nobody listens on (a watchdog
 * that died) is replaced.  Call with the claim lock held. */
static int bind_socket(const struct sockaddr_un *sun, socklen_t len,
		       struct diag_list *dl, bool *taken)
{
	for (int tries = 0; tries < 2; tries++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), c;

		if (fd < 0)
			break;
		if (bind(fd, (const struct sockaddr *)sun, len) == 0 &&
		    listen(fd, 8) == 0)
			return fd;
		close(fd);
		if (errno != EADDRINUSE)
			break;
		c = connect_at(sun, len);
		if (c >= 0) {
			close(c);
			*taken = true;
			return -1;
		}
		if (errno != ECONNREFUSED) {
			diag_error(dl, NULL, 1,
				   "the confirm socket %s is taken, but its "
				   "program does not answer: %s",
				   sun->sun_path, strerror(errno));
			return -1;
		}
		/* Nobody listens: the socket of a watchdog that died. */
		if (unlink(sun->sun_path) < 0)
			break;
	}
	diag_error(dl, NULL, 1, "cannot listen on the confirm socket %s: %s",
		   sun->sun_path, strerror(errno));
	return -1;
}

/* Bind this namespace's confirm socket: only one apply --confirm waits
 * per namespace.  *@taken: an iptload watchdog of root or of this user
 * has it. */
static int claim_socket(struct confirm_watchdog *w, struct diag_list *dl,
			bool *taken)
{
	const char *dir = socket_dir();
	struct sockaddr_un sun;
	socklen_t len;
	int lock, fd;

	*taken = false;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		diag_error(dl, NULL, 1, "cannot make the directory %s: %s", dir,
			   strerror(errno));
		return -1;
	}
	if (socket_dir_check(dir) < 0 || confirm_addr(&sun, &len) < 0) {
		diag_error(dl, NULL, 1, "refusing the confirm socket: %s",
			   socket_why);
		diag_hint(dl, "%s must be a directory of root's, mode 0700",
			  dir);
		return -1;
	}
	lock = claim_lock(sun.sun_path);
	if (lock < 0) {
		diag_error(dl, NULL, 1, "cannot lock the confirm socket %s: %s",
			   sun.sun_path, strerror(errno));
		return -1;
	}
	fd = bind_socket(&sun, len, dl, taken);
	close(lock);
	if (fd >= 0)
		memcpy(w->sock_path, sun.sun_path, sizeof(w->sock_path));
	return fd;
}

/* Give up the socket claimed: its file first, while it is still ours
 * (a later claim may replace a file nobody listens on). */
static void release_socket(struct confirm_watchdog *w)
{
	unlink(w->sock_path);
	close(w->listen_fd);
	w->listen_fd = -1;
}

/* $IPTLOAD_WATCHDOG_FD, if it names an open descriptor. */
static int notify_fd_from_env(void)
{
	const char *s = getenv(CONFIRM_NOTIFY_ENV);
	char *end;
	long fd;

	if (!s || !*s)
		return -1;
	fd = strtol(s, &end, 10);
	if (*end || fd < 0 || fd > INT32_MAX || fcntl((int)fd, F_GETFD) < 0)
		return -1;
	return (int)fd;
}

static void notify(const struct confirm_watchdog *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One progress line on the notify descriptor, if there is one. */
static void notify(const struct confirm_watchdog *w, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	if (w->notify_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(w->notify_fd, line, strlen(line)) < 0)
		return; /* nobody listens any more: fine */
}

/* Close every descriptor but @keep (sorted, -1 entries ignored). */
static void close_others(const int *keep, size_t n)
{
	unsigned from = 3;

	for (size_t i = 0; i < n; i++) {
		if (keep[i] < 0 || (unsigned)keep[i] < from) {
			if (keep[i] >= 0 && (unsigned)keep[i] + 1 > from)
				from = (unsigned)keep[i] + 1;
			continue;
		}
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0u, 0);
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* Make the watchdog the last process the OOM killer picks: a roll-back
 * lost to memory pressure would leave an unconfirmed ruleset for good. */
static void oom_last(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "-1000", 5) < 0) /* without CAP_SYS_RESOURCE */
		(void)!write(fd, "0", 1);
	close(fd);
}

/* In the new watchdog: leave the session, the terminal and the
 * descriptors of apply behind, then say ready. */
static void watchdog_detach(struct confirm_watchdog *w)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	int keep[3] = { w->ctl, w->listen_fd, w->notify_fd };
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	setsid();
	oom_last();
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_stop; /* no SA_RESTART: poll returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	qsort(keep, 3, sizeof(keep[0]), int_cmp);
	close_others(keep, 3);
	send_all(w->ctl, "R", 1);
}

enum confirm_start_result confirm_start(struct confirm_watchdog *w, int seconds,
					const char *file, struct diag_list *dl)
{
	int pair[2];
	bool taken;
	char ready;

	memset(w, 0, sizeof(*w));
	w->seconds = seconds;
	w->uid = getuid();
	w->file = file;
	w->dl = dl;
	w->notify_fd = notify_fd_from_env();
	w->listen_fd = claim_socket(w, dl, &taken);
	if (w->listen_fd < 0)
		return taken ? CONFIRM_PENDING : CONFIRM_FAILED;
	w->state_dir = state_dir();
	if (w->state_dir && state_dir_ready(w->state_dir, dl) < 0) {
		release_socket(w);
		return CONFIRM_FAILED;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
		diag_error(dl, NULL, 1, "cannot start the confirm watchdog: %s",
			   strerror(errno));
		release_socket(w);
		return CONFIRM_FAILED;
	}
	/* The child must not print what apply has buffered a second time. */
	fflush(stdout);
	fflush(stderr);
	w->pid = fork();
	if (w->pid == 0) {
		close(pair[0]);
		w->ctl = pair[1];
		watchdog_detach(w);
		return CONFIRM_IN_CHILD;
	}
	close(pair[1]);
	close(w->listen_fd);
	w->listen_fd = -1;
	w->ctl = pair[0];
	if (w->pid < 0 || recv_all(w->ctl, &ready, 1) < 0 || ready != 'R') {
		diag_error(dl, NULL, 1, "cannot start the confirm watchdog: %s",
			   w->pid < 0 ? strerror(errno) : "it died");
		close(w->ctl);
		unlink(w->sock_path); /* nobody listens on it any more */
		return CONFIRM_FAILED;
	}
	return CONFIRM_STARTED;
}

int confirm_hand_over(const struct table *before, void *arg)
{
	struct confirm_watchdog *w = arg;
	char *buf = NULL;
	size_t len = 0;
	uint32_t len32;
	int rc = -1;

	if (state_save(w, before) < 0)
		return -1;
	if (table_encode(before, &buf, &len) < 0 || len > UINT32_MAX)
		goto out;
	len32 = (uint32_t)len;
	if (send_all(w->ctl, "T", 1) == 0 &&
	    send_all(w->ctl, &len32, sizeof(len32)) == 0 &&
	    send_all(w->ctl, buf, len) == 0)
		rc = 0;
out:
	free(buf);
	return rc;
}

int confirm_finish(struct confirm_watchdog *w, bool changed)
{
	int rc = send_all(w->ctl, changed ? "C" : "N", 1);

	close(w->ctl);
	w->ctl = -1;
	if (w->saved) {
		ruleset_free(w->saved);
		free(w->saved);
		w->saved = NULL;
	}
	return rc;
}

/* ---- the watchdog ---- */

static int client_line(int fd, char *buf, size_t size);
static uid_t peer_uid(int fd);

/* Answer the clients that connected before the new tables were
 * committed: nothing can be confirmed yet. */
static void answer_early(struct confirm_watchdog *w)
{
	for (;;) {
		struct pollfd p = { .fd = w->listen_fd, .events = POLLIN };
		char line[64];
		uid_t uid;
		int fd;

		if (poll(&p, 1, 0) <= 0)
			return;
		fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return;
		uid = peer_uid(fd);
		if (uid != 0 && uid != w->uid)
			send_all(fd, "denied\n", 7);
		else if (client_line(fd, line, sizeof(line)) == 0)
			send_all(fd,
				 strcmp(line, "status") == 0 ? "starting\n" :
							       "not yet\n",
				 strcmp(line, "status") == 0 ? 9 : 8);
		close(fd);
	}
}

/* The next byte from apply, answering early clients meanwhile. */
static int recv_kind(struct confirm_watchdog *w, char *kind)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = w->ctl, .events = POLLIN },
				       { .fd = w->listen_fd,
					 .events = POLLIN } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return -1;
		if (p[1].revents & POLLIN)
			answer_early(w);
		if (p[0].revents)
			return recv_all(w->ctl, kind, 1);
	}
}

/* Receive the tables from apply until it says how it ended.  Returns
 * true when there is something to roll back. */
static bool receive_tables(struct confirm_watchdog *w, struct ruleset *before)
{
	bool any = false;

	for (;;) {
		uint32_t len;
		char kind, *buf;

		if (recv_kind(w, &kind) < 0)
			return any; /* apply died: assume it committed */
		if (kind == 'C')
			return any;
		if (kind != 'T')
			return false; /* 'N': nothing changed */
		if (recv_all(w->ctl, &len, sizeof(len)) < 0)
			return any;
		buf = malloc(len ? len : 1);
		if (!buf || recv_all(w->ctl, buf, len) < 0) {
			free(buf);
			return any;
		}
		if (table_decode(buf, len, before) >= 0)
			any = true;
		free(buf);
	}
}

/* The uid at the other end of unix socket @fd, or (uid_t)-1. */
static uid_t peer_uid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return (uid_t)-1;
	return cred.uid;
}

/* Read one line from a client, within CLIENT_TIMEOUT_MS. */
static int client_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	int64_t deadline = now_ms() + CLIENT_TIMEOUT_MS;

	while (len + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strchr(buf, '\n')) {
			*strchr(buf, '\n') = '\0';
			return 0;
		}
	}
	return -1;
}

/* Serve one client; returns true when it confirmed. */
static bool serve_client(struct confirm_watchdog *w, int fd, int64_t deadline,
			 const char *file)
{
	uid_t uid = peer_uid(fd);
	char line[64], reply[64];

	if (uid != 0 && uid != w->uid) {
		send_all(fd, "denied\n", 7);
		return false;
	}
	if (client_line(fd, line, sizeof(line)) < 0)
		return false;
	if (strcmp(line, "status") == 0) {
		int64_t left = (deadline - now_ms() + 999) / 1000;

		snprintf(reply, sizeof(reply), "pending %lld\n",
			 (long long)(left > 0 ? left : 0));
		send_all(fd, reply, strlen(reply));
		return false;
	}
	if (strcmp(line, "confirm") != 0)
		return false;
	/* Say it only once it is true: nothing can roll back any more. */
	send_all(fd, "kept\n", 5);
	oplog_message(LOG_NOTICE,
		      "kept the ruleset applied from %s: confirmed "
		      "by uid %u",
		      file, (unsigned)uid);
	return true;
}

/* Wait for a confirmation until the deadline (or SIGTERM/SIGINT). */
static bool wait_for_confirm(struct confirm_watchdog *w, const char *file)
{
	int64_t deadline = now_ms() + (int64_t)w->seconds * 1000;

	while (!stop_requested) {
		struct pollfd p = { .fd = w->listen_fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		int fd;

		if (left <= 0)
			break;
		if (poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) <= 0)
			continue; /* EINTR or timeout: the loop decides */
		fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (serve_client(w, fd, deadline, file)) {
			close(fd);
			return true;
		}
		close(fd);
	}
	return false;
}

/* Answer every client for @ms milliseconds: the time is up, the
 * previous tables are being put back. */
static void answer_rolling_back(struct confirm_watchdog *w, int ms)
{
	int64_t end = now_ms() + ms;

	for (;;) {
		struct pollfd p = { .fd = w->listen_fd, .events = POLLIN };
		int64_t left = end - now_ms();
		char line[64];
		int fd;

		if (poll(&p, 1, left > 0 ? (int)left : 0) <= 0) {
			if (now_ms() >= end)
				return;
			continue;
		}
		fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (client_line(fd, line, sizeof(line)) == 0)
			send_all(fd, "rolling back\n", 13);
		close(fd);
	}
}

/* The first error of @dl, or "unknown". */
static const char *first_error(const struct diag_list *dl)
{
	for (size_t i = 0; i < dl->count; i++)
		if (dl->items[i].severity == DIAG_ERROR)
			return dl->items[i].message;
	return "unknown";
}

/* Pass the warnings of a roll-back on (a jump to a preserved chain that
 * is gone, left out), each once: a table re-read after EAGAIN warns
 * again. */
static void tell_warnings(struct confirm_watchdog *w,
			  const struct diag_list *dl, const char *file)
{
	for (size_t i = 0; i < dl->count; i++) {
		const char *msg = dl->items[i].message;
		bool seen = false;

		if (dl->items[i].severity != DIAG_WARNING)
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(dl->items[k].message, msg) == 0;
		if (seen)
			continue;
		oplog_message(LOG_WARNING,
			      "roll-back of the ruleset applied from %s: %s",
			      file, msg);
		notify(w, "warning: %s\n", msg);
	}
}

/* The previous tables, with the preserve globs of the config, back:
 * tried again and again until it is done, the socket answered meanwhile
 * (it keeps the name, so no other apply starts under the roll-back). */
static int roll_back(struct confirm_watchdog *w, struct ruleset *before,
		     const struct ruleset *config,
		     const struct commit_options *opt, const char *file)
{
	struct commit_options ropt = *opt;
	struct commit_report report;
	struct diag_list dl;
	int pause_ms = 1000, rc;
	bool told = false;
	char what[512];

	for (int id = 0; id < RULESET_TABLES; id++) {
		memcpy(before->tables[id].preserve, config->tables[id].preserve,
		       sizeof(before->tables[id].preserve));
		before->tables[id].npreserve = config->tables[id].npreserve;
	}
	ropt.restore = true;
	ropt.before_commit = NULL;
	ropt.wait_seconds = ROLLBACK_LOCK_WAIT;
	for (;;) {
		int64_t start = now_ms();

		diag_list_init(&dl);
		rc = commit_ruleset(before, &ropt, &report, &dl);
		if (rc == 0 || report.status == COMMIT_PARTIAL)
			break;
		if (!told) {
			const char *msg = first_error(&dl);

			oplog_message(LOG_ERR,
				      "the roll-back of the ruleset applied "
				      "from %s must wait (%s); retrying",
				      file, msg);
			notify(w, "roll-back waits: %s\n", msg);
			told = true;
		}
		diag_list_free(&dl);
		if (report.status == COMMIT_LOCK_FAILED) {
			/* The wait for the lock was the pause, unless it
			 * failed at once (the lock file cannot be opened):
			 * never spin. */
			int64_t left =
				ROLLBACK_LOCK_WAIT * 1000 - (now_ms() - start);

			answer_rolling_back(w, left > 0 ? (int)left : 0);
			continue;
		}
		answer_rolling_back(w, pause_ms);
		if (pause_ms < ROLLBACK_PAUSE_MAX_MS)
			pause_ms *= 2;
	}
	tell_warnings(w, &dl, file);
	if (rc == 0) {
		oplog_describe(&report, what, sizeof(what));
		oplog_message(LOG_WARNING,
			      "rolled back the ruleset applied from %s: not "
			      "confirmed within %d s (%s)",
			      file, w->seconds, what);
		notify(w, "rolled back\n");
	} else {
		const char *msg = first_error(&dl);

		oplog_message(LOG_ERR,
			      "ROLL-BACK FAILED of the ruleset applied from "
			      "%s: %s",
			      file, msg);
		notify(w, "roll-back failed: %s\n", msg);
	}
	diag_list_free(&dl);
	return rc == 0 ? 0 : 3;
}

int confirm_watchdog_run(struct confirm_watchdog *w,
			 const struct ruleset *config,
			 const struct commit_options *opt, const char *file)
{
	struct ruleset before;
	int status = 0;

	ruleset_init(&before);
	if (!receive_tables(w, &before)) {
		notify(w, "nothing to do\n");
		goto out;
	}
	close(w->ctl);
	w->ctl = -1;
	/* Who connected before this point did so before the commit. */
	answer_early(w);
	notify(w, "armed %ld\n", (long)getpid());
	if (wait_for_confirm(w, file)) {
		notify(w, "kept\n");
		goto out;
	}
	/* From here on a confirmation is refused ("rolling back"); the name
	 * stays until the roll-back is done. */
	status = roll_back(w, &before, config, opt, file);
out:
	/* Done (unless the roll-back failed): nothing is pending any more.
	 * Before the socket goes, so that no new apply --confirm has
	 * written its own marker yet. */
	if (status == 0 && w->state_dir)
		state_clear(w->state_dir, false);
	ruleset_free(&before);
	if (w->listen_fd >= 0)
		release_socket(w);
	if (w->ctl >= 0)
		close(w->ctl);
	return status;
}

/* ---- the client side ---- */

/* Connect to the watchdog at @sun; -1 when there is none (errno
 * ECONNREFUSED: a socket nobody listens on; EPERM: a program neither of
 * root nor of ours). */
static int connect_at(const struct sockaddr_un *sun, socklen_t len)
{
	/* Non-blocking: a listener that never accepts (its backlog full)
	 * must not hang apply; connect then fails with EAGAIN. */
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	uid_t uid;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, len) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	/* The directory is root's (or ours): this is a second line. */
	uid = peer_uid(fd);
	if (uid != 0 && uid != geteuid()) {
		close(fd);
		snprintf(socket_why, sizeof(socket_why),
			 "the confirm socket %s belongs to uid %u",
			 sun->sun_path, (unsigned)uid);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Connect to this namespace's watchdog; -1 when there is none (errno
 * EPERM: the socket or its directory cannot be trusted, why in
 * socket_why). */
static int connect_watchdog(void)
{
	struct sockaddr_un sun;
	socklen_t len;

	if (socket_dir_check(socket_dir()) < 0)
		return -1;
	if (confirm_addr(&sun, &len) < 0) {
		errno = EPERM;
		return -1;
	}
	return connect_at(&sun, len);
}

/* Send @cmd and read the one-line answer into @reply. */
static int ask(int fd, const char *cmd, char *reply, size_t size)
{
	char line[32];

	snprintf(line, sizeof(line), "%s\n", cmd);
	if (send_all(fd, line, strlen(line)) < 0)
		return -1;
	return client_line(fd, reply, size);
}

int confirm_send(const char **why)
{
	char reply[64];
	int fd = connect_watchdog(), rc;

	*why = NULL;
	if (fd < 0) {
		if (errno == EPERM) {
			*why = socket_why;
			return -1;
		}
		if (errno == EAGAIN) {
			*why = "the confirm socket does not answer";
			return -1;
		}
		if (errno == EACCES) {
			*why = "only root may reach the confirm socket";
			return -1;
		}
		return 1;
	}
	rc = ask(fd, "confirm", reply, sizeof(reply));
	close(fd);
	if (rc == 0 && strcmp(reply, "kept") == 0)
		return 0;
	if (rc == 0 && strcmp(reply, "denied") == 0) {
		*why = "only root or the user who ran apply may confirm";
		return -1;
	}
	if (rc == 0 && strcmp(reply, "rolling back") == 0) {
		*why = "too late: the time ran out, and the previous tables "
		       "are being put back";
		return -1;
	}
	if (rc == 0 && strcmp(reply, "not yet") == 0) {
		*why = "the apply --confirm has not committed its tables yet; "
		       "confirm once it says so";
		return -1;
	}
	/* The time ran out while we asked: it is rolling back. */
	return 1;
}

bool confirm_pending(int *seconds_left)
{
	char reply[64];
	int fd = connect_watchdog();
	bool pending = fd >= 0;

	*seconds_left = -1;
	/* No socket, a stale one, or one that cannot be trusted: no
	 * watchdog of ours waits. */
	if (fd < 0)
		return false;
	if (ask(fd, "status", reply, sizeof(reply)) == 0 &&
	    strncmp(reply, "pending ", 8) == 0)
		*seconds_left = atoi(reply + 8);
	close(fd);
	return pending;
}
