/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache.c - the apply cache (cache.h): note what a full apply read and
 * committed, keep it as a record, and on a reapply read the inputs and
 * the kernel's tables again and compare their digests with the record.
 *
 * The record is text, one item a line, "TAG DIGEST KEY":
 *
 *   iptload-cache 2
 *   k DIGEST -            the command line, iptload's identity, the netns
 *   s DIGEST PATH         a system file names are looked up in
 *   f DIGEST PATH         a config file as it was opened (top, includes)
 *   g DIGEST PATTERN      an include pattern's matches
 *   a DIGEST IFNAME       address(IFNAME)'s values
 *   n DIGEST IFNAME       network(IFNAME)'s values
 *   t DIGEST 4 NAME       a table as committed (6: IPv6), commit.c's
 *                         digest of its chains and rules
 *   end DIGEST            the digest of every byte before this line
 *
 * A key with a newline is never recorded: such an apply is not cached.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "config.h"

#include "cache.h"
#include "commit.h"
#include "diag.h"
#include "runtime.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The record's first line; a new layout gets a new number. */
#define RECORD_MAGIC "iptload-cache 2\n"
/* More items than this: the apply is not cached (the reapply would read
 * too much to be worth it, and the noting is a linear search). */
#define MAX_ITEMS 4096
/* A record larger than this is not ours. */
#define MAX_RECORD (4u << 20)

/* The files libc reads to turn names into numbers (protocols, ports,
 * users, groups): a change there can change a rule's bytes. */
static const char *const system_files[] = {
	"/etc/group",	  "/etc/nsswitch.conf", "/etc/passwd",
	"/etc/protocols", "/etc/services",
};

/* ---- the hash ---- */

/* Odd 64-bit constants, drawn at random once. */
#define M1 0x9c2b9d9f2ae75e2fULL
#define M2 0xe06c85afbaec4ef7ULL
#define M3 0xe7158a8021f64545ULL
#define M4 0x3c95ad20819ed6b7ULL
#define M5 0x3c7ba9e38be9794dULL

static inline uint64_t rotl(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

/* Fold word @w into @lane: each step is a bijection of the lane, so no
 * word is lost, and four lanes run side by side. */
static inline uint64_t lane_step(uint64_t lane, uint64_t w)
{
	lane = (lane ^ w) * M1;
	return rotl(lane, 29) * M2;
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

static void hash_stripe(struct cache_hash *h, const unsigned char *p)
{
	h->lane[0] = lane_step(h->lane[0], load64(p));
	h->lane[1] = lane_step(h->lane[1], load64(p + 8));
	h->lane[2] = lane_step(h->lane[2], load64(p + 16));
	h->lane[3] = lane_step(h->lane[3], load64(p + 24));
}

void cache_hash_init(struct cache_hash *h)
{
	memset(h, 0, sizeof(*h));
	h->lane[0] = M3;
	h->lane[1] = M4;
	h->lane[2] = M5;
	h->lane[3] = M3 ^ M4;
}

void cache_hash_add(struct cache_hash *h, const void *p, size_t len)
{
	const unsigned char *s = p;

	h->total += len;
	if (h->buffered) {
		size_t take = sizeof(h->buf) - h->buffered;

		if (take > len)
			take = len;
		memcpy(h->buf + h->buffered, s, take);
		h->buffered += take;
		s += take;
		len -= take;
		if (h->buffered < sizeof(h->buf))
			return;
		hash_stripe(h, h->buf);
		h->buffered = 0;
	}
	for (; len >= 32; s += 32, len -= 32)
		hash_stripe(h, s);
	memcpy(h->buf, s, len);
	h->buffered = len;
}

void cache_hash_str(struct cache_hash *h, const char *s)
{
	uint64_t len = s ? strlen(s) : UINT64_MAX;

	cache_hash_add(h, &len, sizeof(len));
	if (s)
		cache_hash_add(h, s, len);
}

/* A 64-bit avalanche: every input bit reaches every output bit. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= M4;
	x ^= x >> 29;
	x *= M5;
	return x ^ (x >> 32);
}

struct cache_digest cache_hash_end(const struct cache_hash *h)
{
	struct cache_hash t = *h;
	struct cache_digest d;
	uint64_t a, b, c, e;

	/* The tail, zero-padded; the length tells it from real zeros. */
	if (t.buffered) {
		memset(t.buf + t.buffered, 0, sizeof(t.buf) - t.buffered);
		hash_stripe(&t, t.buf);
	}
	a = mix(t.lane[0] + t.total);
	b = mix(t.lane[1] ^ a);
	c = mix(t.lane[2] + b);
	e = mix(t.lane[3] ^ c);
	d.lo = e;
	d.hi = mix(a ^ rotl(c, 17) ^ (e * M1) ^ M2);
	return d;
}

static bool digest_same(struct cache_digest a, struct cache_digest b)
{
	return a.lo == b.lo && a.hi == b.hi;
}

/* ---- what each input digests to ---- */

/* The digest of a tag and a key, then whatever the caller adds. */
static void item_start(struct cache_hash *h, char tag, const char *key)
{
	cache_hash_init(h);
	cache_hash_add(h, &tag, 1);
	cache_hash_str(h, key);
}

static struct cache_digest digest_text(char tag, const char *path,
				       const char *text, size_t len)
{
	struct cache_hash h;
	uint64_t n = text ? len : UINT64_MAX;

	item_start(&h, tag, path);
	cache_hash_add(&h, &n, sizeof(n));
	if (text)
		cache_hash_add(&h, text, len);
	return cache_hash_end(&h);
}

/* A system file as it is now: its bytes, or "missing". */
static struct cache_digest digest_system_file(const char *path)
{
	struct cache_hash h;
	char buf[65536];
	uint64_t missing = UINT64_MAX;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	item_start(&h, 's', path);
	if (fd < 0) {
		cache_hash_add(&h, &missing, sizeof(missing));
		return cache_hash_end(&h);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		cache_hash_add(&h, buf, (size_t)n);
	if (n < 0) /* an error reads as nothing we could have recorded */
		cache_hash_add(&h, &missing, sizeof(missing));
	close(fd);
	return cache_hash_end(&h);
}

static struct cache_digest digest_list(char tag, const char *key, int rc,
				       char *const *values, size_t n)
{
	struct cache_hash h;
	int64_t r = rc;
	uint64_t count = n;

	item_start(&h, tag, key);
	cache_hash_add(&h, &r, sizeof(r));
	cache_hash_add(&h, &count, sizeof(count));
	for (size_t i = 0; i < n; i++)
		cache_hash_str(&h, values[i]);
	return cache_hash_end(&h);
}

/* A table's item: its name, family and commit.c's digest of what it
 * holds (one fixed value for a table not held). */
static struct cache_digest digest_table(const struct commit_table_digest *d)
{
	struct cache_hash h;
	uint8_t fam = (uint8_t)d->family, held = d->held;

	item_start(&h, 't', d->name);
	cache_hash_add(&h, &fam, 1);
	cache_hash_add(&h, &held, 1);
	if (d->held)
		cache_hash_add(&h, &d->digest, sizeof(d->digest));
	return cache_hash_end(&h);
}

/* This network namespace's inode and cookie (0 where the kernel has
 * none: the inode alone then). */
static void netns_id(uint64_t *ino, uint64_t *cookie)
{
	struct stat st;
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*ino = stat("/proc/self/ns/net", &st) == 0 ? (uint64_t)st.st_ino : 0;
	*cookie = 0;
	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) <
		    0)
			*cookie = 0;
		close(fd);
	}
}

/* The command line and what iptload is: its version, its binary (a
 * rebuild with the same version number is another program), the kernel,
 * the iptables extensions it may load. */
static struct cache_digest digest_key(const struct cache_cli *cli)
{
	struct cache_hash h;
	struct utsname u;
	struct stat st;
	uint64_t ino, cookie, v[6] = { 0 };
	const char *libdir = getenv("XTABLES_LIBDIR");

	item_start(&h, 'k', IPTLOAD_VERSION);
	if (stat("/proc/self/exe", &st) == 0) {
		v[0] = st.st_dev;
		v[1] = st.st_ino;
		v[2] = (uint64_t)st.st_size;
		v[3] = (uint64_t)st.st_mtim.tv_sec;
		v[4] = (uint64_t)st.st_mtim.tv_nsec;
	}
	netns_id(&ino, &cookie);
	v[5] = cookie;
	cache_hash_add(&h, v, sizeof(v));
	if (uname(&u) == 0) {
		cache_hash_str(&h, u.release);
		cache_hash_str(&h, u.version);
	}
	cache_hash_str(&h, libdir);
	/* The extensions' directory: installing, removing or replacing one
	 * (dpkg renames each file into place) changes its mtime. */
	memset(v, 0, sizeof(v));
	if (stat(libdir && *libdir ? libdir : IPTLOAD_XTABLES_LIBDIR, &st) ==
	    0) {
		v[0] = st.st_dev;
		v[1] = st.st_ino;
		v[2] = (uint64_t)st.st_mtim.tv_sec;
		v[3] = (uint64_t)st.st_mtim.tv_nsec;
		v[4] = (uint64_t)st.st_ctim.tv_sec;
		v[5] = (uint64_t)st.st_ctim.tv_nsec;
	}
	cache_hash_add(&h, v, sizeof(v));
	cache_hash_str(&h, cli->file);
	v[0] = (uint64_t)cli->family;
	v[1] = cli->ndefines;
	cache_hash_add(&h, v, 2 * sizeof(*v));
	for (size_t i = 0; i < cli->ndefines; i++)
		cache_hash_str(&h, cli->defines[i]);
	return cache_hash_end(&h);
}

/* ---- noting the inputs of a full apply ---- */

/* One line of the record. */
struct item {
	char tag;
	char *key;
	struct cache_digest d;
};

struct cache_inputs {
	struct item *items;
	size_t n, cap;
	bool spoiled; /* something could not be recorded: write nothing */
	bool tables_ok;
};

static void item_add(struct cache_inputs *in, char tag, const char *key,
		     struct cache_digest d)
{
	if (in->spoiled)
		return;
	/* The same input read twice must have read the same: otherwise the
	 * apply itself saw it change, and what it did may be a mix. */
	for (size_t i = 0; i < in->n; i++)
		if (in->items[i].tag == tag &&
		    strcmp(in->items[i].key, key) == 0) {
			if (!digest_same(in->items[i].d, d))
				in->spoiled = true;
			return;
		}
	if (strchr(key, '\n') || in->n >= MAX_ITEMS) {
		in->spoiled = true;
		return;
	}
	if (in->n == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 16;
		in->items =
			reallocarray(in->items, in->cap, sizeof(*in->items));
		if (!in->items)
			abort();
	}
	in->items[in->n].tag = tag;
	in->items[in->n].key = strdup(key);
	if (!in->items[in->n].key)
		abort();
	in->items[in->n++].d = d;
}

struct cache_inputs *cache_inputs_new(const struct cache_cli *cli)
{
	struct cache_inputs *in = calloc(1, sizeof(*in));

	if (!in)
		abort();
	item_add(in, 'k', "-", digest_key(cli));
	for (size_t i = 0; i < sizeof(system_files) / sizeof(*system_files);
	     i++)
		item_add(in, 's', system_files[i],
			 digest_system_file(system_files[i]));
	in->tables_ok = true;
	return in;
}

void cache_inputs_free(struct cache_inputs *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->n; i++)
		free(in->items[i].key);
	free(in->items);
	free(in);
}

void cache_note_file(struct cache_inputs *in, const char *path,
		     const char *text, size_t len)
{
	if (in)
		item_add(in, 'f', path, digest_text('f', path, text, len));
}

void cache_note_glob(struct cache_inputs *in, const char *pattern, int rc,
		     char *const *paths, size_t n)
{
	if (in)
		item_add(in, 'g', pattern,
			 digest_list('g', pattern, rc, paths, n));
}

void cache_note_runtime(struct cache_inputs *in, bool network,
			const char *ifname, char *const *values, size_t n)
{
	char tag = network ? 'n' : 'a';

	if (in)
		item_add(in, tag, ifname,
			 digest_list(tag, ifname, 0, values, n));
}

void cache_note_table(const struct commit_table_digest *d, void *arg)
{
	struct cache_inputs *in = arg;
	char key[64];

	if (!d->held)
		in->tables_ok = false;
	snprintf(key, sizeof(key), "%d %s", d->family == FAMILY_IPV6 ? 6 : 4,
		 d->name);
	item_add(in, 't', key, digest_table(d));
}

/* ---- the record on disk ---- */

/* The directory of the records. */
static const char *cache_dir(void)
{
	const char *env = getenv(CACHE_DIR_ENV);

	return env && *env ? env : CACHE_DEFAULT_DIR;
}

/* Only root's, only root may write: what is in it decides a no-op. */
static bool owned_safely(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* The record's path (malloc'd), after checking its directory (made if
 * @make and missing); NULL when the directory is not safe. */
static char *record_path(bool make, char *why, size_t size)
{
	const char *dir = cache_dir();
	uint64_t ino, cookie;
	struct stat st;
	char *path;

	if (make && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return NULL;
	if (lstat(dir, &st) < 0) {
		snprintf(why, size, "no record (%s: %s)", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode) || !owned_safely(&st)) {
		snprintf(why, size,
			 "the directory %s is not root's alone (uid %u, mode "
			 "%04o)",
			 dir, (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	netns_id(&ino, &cookie);
	if (asprintf(&path, "%s/apply-%" PRIu64, dir, ino) < 0)
		abort();
	return path;
}

static void hex(char out[33], struct cache_digest d)
{
	snprintf(out, 33, "%016" PRIx64 "%016" PRIx64, d.hi, d.lo);
}

/* The record's text (malloc'd), its last line the digest of the rest. */
static char *record_text(const struct cache_inputs *in, size_t *len)
{
	char *text = NULL, h[33];
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		abort();
	fputs(RECORD_MAGIC, f);
	for (size_t i = 0; i < in->n; i++) {
		hex(h, in->items[i].d);
		fprintf(f, "%c %s %s\n", in->items[i].tag, h, in->items[i].key);
	}
	if (fclose(f) != 0)
		abort();
	hex(h, digest_text('e', "", text, size));
	*len = size + 4 + 32 + 1;
	text = realloc(text, *len + 1);
	if (!text)
		abort();
	snprintf(text + size, 4 + 32 + 2, "end %s\n", h);
	return text;
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

int cache_save(struct cache_inputs *in)
{
	char why[256], *path, *tmp, *text;
	size_t len;
	int fd, rc = -1;

	if (!in || in->spoiled || !in->tables_ok)
		return -1;
	path = record_path(true, why, sizeof(why));
	if (!path)
		return -1;
	if (asprintf(&tmp, "%s.%ld.tmp", path, (long)getpid()) < 0)
		abort();
	text = record_text(in, &len);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	/* No fsync: a record cut short by a crash fails its digest and is
	 * ignored, and /run does not outlive a reboot anyway. */
	if (fd >= 0 && write_all(fd, text, len) == 0 && close(fd) == 0) {
		fd = -1;
		rc = rename(tmp, path);
	}
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(text);
	free(tmp);
	free(path);
	return rc;
}

/* ---- the reapply ---- */

/* Read the record into a NUL-terminated buffer (malloc'd), or say why
 * not. */
static char *record_read(char *why, size_t size)
{
	char *path = record_path(false, why, size), *text = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	if (!path)
		return NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, size, "no record (%s: %s)", path,
			 strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !owned_safely(&st) ||
	    st.st_size > MAX_RECORD) {
		snprintf(why, size, "the record %s is not root's alone", path);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		abort();
	n = read(fd, text, (size_t)st.st_size + 1);
	if (n != st.st_size) {
		snprintf(why, size, "the record %s cannot be read", path);
		free(text);
		text = NULL;
		goto out;
	}
	text[n] = '\0';
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return text;
}

/* Check the magic and the last line; returns the end of the items (the
 * "end" line, made a NUL), or NULL. */
static char *record_verify(char *text)
{
	size_t len = strlen(text), body;
	char h[33];

	if (len < sizeof(RECORD_MAGIC) - 1 + 4 + 32 + 1 ||
	    strncmp(text, RECORD_MAGIC, sizeof(RECORD_MAGIC) - 1) != 0)
		return NULL;
	body = len - (4 + 32 + 1);
	if (strncmp(text + body, "end ", 4) != 0 || text[len - 1] != '\n')
		return NULL;
	hex(h, digest_text('e', "", text, body));
	if (memcmp(text + body + 4, h, 32) != 0)
		return NULL;
	text[body] = '\0';
	return text + body;
}

/* Split a line "T HEX KEY" in place. */
static bool item_parse(char *line, char *tag, char **hexd, char **key)
{
	if (strlen(line) < 2 + 32 + 2 || line[1] != ' ' || line[34] != ' ')
		return false;
	*tag = line[0];
	line[34] = '\0';
	*hexd = line + 2;
	*key = line + 35;
	return true;
}

/* The record's tables, to read back under the lock. */
struct table_check {
	struct commit_table_id *ids;
	char (*hexd)[33];
	size_t n;
	const char *bad; /* the first table that differs */
	enum family bad_family;
};

static void table_compare(const struct commit_table_digest *d, void *arg)
{
	struct table_check *tc = arg;
	char h[33];

	hex(h, digest_table(d));
	for (size_t i = 0; i < tc->n; i++)
		if (tc->ids[i].family == d->family &&
		    strcmp(tc->ids[i].name, d->name) == 0 &&
		    strcmp(tc->hexd[i], h) != 0 && !tc->bad) {
			tc->bad = tc->ids[i].name;
			tc->bad_family = d->family;
		}
}

/* A glob(3) error stops it, as in the expander. */
static int glob_stop(const char *path, int err)
{
	(void)path;
	return err != ENOENT && err != ENOTDIR;
}

/* The digest input @tag @key has now. */
static struct cache_digest item_now(char tag, const char *key,
				    const struct cache_cli *cli)
{
	struct cache_digest d = { 0, 0 };
	char *why = NULL, **values = NULL;
	struct source *src;
	size_t n;
	glob_t g;
	int rc;

	switch (tag) {
	case 'k':
		return digest_key(cli);
	case 's':
		return digest_system_file(key);
	case 'f':
		src = source_read(key, &why);
		d = digest_text('f', key, src ? src->text : NULL,
				src ? src->len : 0);
		free(why);
		source_free(src);
		return d;
	case 'g':
		memset(&g, 0, sizeof(g));
		rc = glob(key, 0, glob_stop, &g);
		d = digest_list('g', key, rc, g.gl_pathv,
				rc == 0 ? g.gl_pathc : 0);
		globfree(&g);
		return d;
	case 'a':
	case 'n':
		n = runtime_iface_values(tag == 'n' ? RUNTIME_NETWORK :
						      RUNTIME_ADDRESS,
					 key, &values, &why);
		d = digest_list(tag, key, 0, values, n);
		for (size_t i = 0; i < n; i++)
			free(values[i]);
		free(values);
		free(why);
		return d;
	default:
		return d; /* never recorded: no digest matches it */
	}
}

/* Say which input differs, in words for apply -v. */
static void item_changed(char tag, const char *key, char *why, size_t size)
{
	switch (tag) {
	case 'k':
		snprintf(why, size, "the command line or iptload changed");
		break;
	case 'a':
		snprintf(why, size, "address(%s) changed", key);
		break;
	case 'n':
		snprintf(why, size, "network(%s) changed", key);
		break;
	case 'g':
		snprintf(why, size, "include %s matches other files", key);
		break;
	default:
		snprintf(why, size, "%s changed", key);
		break;
	}
}

/* Table item @key "4 NAME" into @tc. */
static bool table_add(struct table_check *tc, const char *key, const char *h)
{
	if ((key[0] != '4' && key[0] != '6') || key[1] != ' ' || !key[2])
		return false;
	tc->ids = reallocarray(tc->ids, tc->n + 1, sizeof(*tc->ids));
	tc->hexd = reallocarray(tc->hexd, tc->n + 1, sizeof(*tc->hexd));
	if (!tc->ids || !tc->hexd)
		abort();
	tc->ids[tc->n].family = key[0] == '6' ? FAMILY_IPV6 : FAMILY_IPV4;
	tc->ids[tc->n].name = key + 2;
	memcpy(tc->hexd[tc->n], h, 33);
	tc->n++;
	return true;
}

/* Every input item of @text against what it is now; the tables into
 * @tc.  Returns true when all match. */
static bool items_match(char *text, const struct cache_cli *cli,
			struct table_check *tc, char *why, size_t size)
{
	char *line = text + sizeof(RECORD_MAGIC) - 1, *next, *hexd, *key, tag,
	     h[33];
	bool key_seen = false;

	for (; *line; line = next) {
		next = strchr(line, '\n');
		if (!next)
			break;
		*next++ = '\0';
		if (!item_parse(line, &tag, &hexd, &key)) {
			snprintf(why, size, "the record is corrupt");
			return false;
		}
		if (tag == 't') {
			if (!table_add(tc, key, hexd)) {
				snprintf(why, size, "the record is corrupt");
				return false;
			}
			continue;
		}
		hex(h, item_now(tag, key, cli));
		if (strcmp(h, hexd) != 0) {
			item_changed(tag, key, why, size);
			return false;
		}
		key_seen |= tag == 'k';
	}
	if (!key_seen || tc->n == 0) {
		snprintf(why, size, "the record is corrupt");
		return false;
	}
	return true;
}

bool cache_reapply(const struct cache_cli *cli,
		   const struct commit_options *opt, char *why, size_t size)
{
	char *text = record_read(why, size);
	struct table_check tc = { .n = 0 };
	bool hit = false;

	if (!text)
		return false;
	if (!record_verify(text)) {
		snprintf(why, size, "the record is corrupt");
		goto out;
	}
	if (!items_match(text, cli, &tc, why, size))
		goto out;
	if (commit_read_raw(tc.ids, tc.n, opt, table_compare, &tc) < 0) {
		snprintf(why, size,
			 "the xtables lock was not free, or an apply "
			 "--confirm is pending");
		goto out;
	}
	if (tc.bad) {
		snprintf(why, size, "the kernel's %s table%s changed", tc.bad,
			 tc.bad_family == FAMILY_IPV6 ? " (IPv6)" : "");
		goto out;
	}
	hit = true;
out:
	free(tc.ids);
	free(tc.hexd);
	free(text);
	return hit;
}
