/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cache.h - the apply cache: a reapply that reads nothing twice.
 *
 * After an apply that succeeded (a commit, or nothing to commit), a
 * record is kept of everything its outcome depended on: each file read
 * (the config, its includes, the system files names are looked up in),
 * each include pattern's matches, each address()/network() value, the
 * -D values and the options that change the outcome, iptload's own
 * identity, and a digest of every table as committed (commit.c
 * digests the model it committed: chains, policies and rules, without
 * counters or layout; the table is not read back).  A later apply with
 * the same command line reads the record, reads those inputs again and
 * hashes them, reads the recorded tables raw and digests them the same
 * way: when all match, the kernel already holds what a full apply would
 * make, so nothing is parsed, built or committed.  Any
 * difference or doubt (a record missing, corrupt, not root's, in a
 * directory others may write; a pending apply --confirm; the lock not
 * free) takes the full path, never a wrong no-op.
 *
 * The record is DIR/apply-INODE, DIR being $IPTLOAD_CACHE_DIR or
 * /run/iptload-cache (a tmpfs: the kernel's tables do not survive a
 * reboot either), INODE that of /proc/self/ns/net; the namespace's
 * cookie (SO_NETNS_COOKIE), never reused while the machine runs, is
 * part of the record too.  apply --boot, --confirm and --resolve (a
 * name's addresses are not an input we can read back cheaply), and a
 * config read from standard input, never use it.
 */
#ifndef IPTLOAD_CACHE_H
#define IPTLOAD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Only forward declarations: the expander, which knows no kernel
 * structures, notes its inputs here too. */
struct commit_options;
struct commit_table_digest;

/* Environment variable naming the record's directory (tests). */
#define CACHE_DIR_ENV "IPTLOAD_CACHE_DIR"
#define CACHE_DEFAULT_DIR "/run/iptload-cache"

/* A 128-bit digest. */
struct cache_digest {
	uint64_t lo, hi;
};

/*
 * The hash the cache uses: four 64-bit lanes over 32-byte stripes, each
 * word folded in by a xor, two odd multiplications and a rotation (a
 * bijection of the lane), then a final mix of all lanes and the length
 * into 128 bits.  Not cryptographic: the inputs are root's own files and
 * the kernel's tables, so only accidental collisions matter (see
 * doc/design.md).
 */
struct cache_hash {
	uint64_t lane[4];
	unsigned char buf[32];
	size_t buffered;
	uint64_t total;
};

void cache_hash_init(struct cache_hash *h);
void cache_hash_add(struct cache_hash *h, const void *p, size_t len);
/* A string, its length first, so that ("ab","c") and ("a","bc") differ. */
void cache_hash_str(struct cache_hash *h, const char *s);
struct cache_digest cache_hash_end(const struct cache_hash *h);

/* What an apply's command line says that changes its outcome. */
struct cache_cli {
	const char *file;
	int family; /* enum family: the -4/-6 default */
	char *const *defines;
	size_t ndefines;
};

/* The inputs of one full apply, noted as they are read (opaque). */
struct cache_inputs;

/* Start noting the inputs of an apply of @cli (copied as needed). */
struct cache_inputs *cache_inputs_new(const struct cache_cli *cli);
void cache_inputs_free(struct cache_inputs *in);

/*
 * Note a config file read (the top one, an include): @path as it was
 * opened, and its @len bytes of @text.  @in may be NULL (these four do
 * nothing then).
 */
void cache_note_file(struct cache_inputs *in, const char *path,
		     const char *text, size_t len);

/* Note an include pattern and what glob(3) said: @rc and @n paths. */
void cache_note_glob(struct cache_inputs *in, const char *pattern, int rc,
		     char *const *paths, size_t n);

/* Note the @n values (0: none) of address() (@network false) or
 * network() of interface @ifname. */
void cache_note_runtime(struct cache_inputs *in, bool network,
			const char *ifname, char *const *values, size_t n);

/* commit_options.committed: note a table as committed; @arg is the
 * struct cache_inputs. */
void cache_note_table(const struct commit_table_digest *d, void *arg);

/*
 * After a successful apply whose tables cache_note_table saw: write the
 * record (a temporary file renamed over the old one).  Quietly writes
 * nothing when an input was not cacheable.  Returns 0 or -1.
 */
int cache_save(struct cache_inputs *in);

/*
 * The reapply: true when the record of this network namespace matches
 * @cli, every input read again, and every recorded table as the kernel
 * holds it (read under the lock @opt says, after @opt->veto).  False
 * otherwise, with the reason in @why (@size bytes) for apply -v.
 */
bool cache_reapply(const struct cache_cli *cli,
		   const struct commit_options *opt, char *why, size_t size);

#endif
