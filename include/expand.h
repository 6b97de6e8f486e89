/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * expand.h - statements to concrete commands.  Substitutes variables
 * (defined in the file or with -D), and expands a command once per element
 * of every list variable it uses.  Address-family free: the words it makes
 * are plain strings.
 */
#ifndef IPTLOAD_EXPAND_H
#define IPTLOAD_EXPAND_H

#include "diag.h"
#include "reader.h"

/*
 * The expansion budget: far above any real config (the benchmarks load
 * 100 000 rules), so that a hostile or mistaken one is an error at the
 * statement that goes past it, not a boot that runs out of memory.
 * Macro calls and includes nest at most 64 deep (expand.c).
 */
#define EXPAND_MAX_COMMANDS 1000000u  /* commands, lists expanded */
#define EXPAND_MAX_LIST 1000000u      /* elements of one list value */
#define EXPAND_MAX_BYTES (256u << 20) /* text of every value and command */

/* One concrete argument, with the location of the word it came from. */
struct arg {
	char *text;
	struct src_loc loc;
	unsigned width;
	bool runtime; /* holds an address()/network() value */
};

/* One concrete command: what iptables would see as argv (minus "iptables"). */
struct cmd {
	struct src_loc loc;
	unsigned long stmt; /* the statement it was made of: 1, 2, ... */
	struct arg *args;
	size_t argc;
};

/* The expanded program, in file order. */
struct cmd_list {
	struct cmd *items;
	size_t count;
	size_t capacity;
};

/*
 * Where the expander hands each command.  @c and its texts are the
 * expander's and valid during the call only: a sink copies what it keeps.
 */
struct cmd_sink {
	void (*emit)(const struct cmd *c, void *arg);
	void *arg;
};

struct expander;

struct expander *expander_new(void);
void expander_free(struct expander *ex);
/* Refuse include statements: for the fuzz target, which must not read
 * whatever files random input names. */
void expander_forbid_includes(struct expander *ex);
/* --boot: a command that needs a run-time value not known yet (an
 * interface without its address) is left out with a warning, not an
 * error; expander_left_out() counts them. */
void expander_set_boot(struct expander *ex);

/* Note every input read while expanding (included files, include
 * patterns' matches, address()/network() values) in @in, for the apply
 * cache (cache.h). */
struct cache_inputs;
void expander_note_inputs(struct expander *ex, struct cache_inputs *in);
size_t expander_left_out(const struct expander *ex);
/* Count @n more left out, by a later stage (the builder's address()
 * values of one family). */
void expander_add_left_out(struct expander *ex, size_t n);
/* The interfaces whose address() or network() the config read, sorted,
 * each once; the array lives as long as the expander. */
size_t expander_interfaces(struct expander *ex, const char *const **names);
/* The router's own addresses the config names: each address(IFACE) value
 * read (as ADDR/LEN, the length of the interface's network), and each -D
 * value given instead for a NAME = address(...) (as written); sorted,
 * each once, living as long as the expander.  For `iptload trace`. */
size_t expander_addresses(struct expander *ex, const char *const **values);

/* Define NAME=VALUE from the command line; overrides the file's value.
 * Returns -1 (with a diagnostic) when @def is not NAME=VALUE. */
int expander_define(struct expander *ex, const char *def, struct diag_list *dl);

/* Expand @s into @out.  Errors go to @dl; returns 0 or -1. */
int expander_run(struct expander *ex, const struct script *s,
		 struct cmd_list *out, struct diag_list *dl);

/*
 * The streaming form of expander_run: expander_start(@top) once, then
 * expander_take(each statement of @top, in order, as reader_each hands
 * it).  expander_take owns @s from then on (it frees it, or keeps a
 * define), and hands the commands to @out as it goes.  Returns 0 or -1.
 */
void expander_start(struct expander *ex, const struct source *top);
/* The files included so far, in the order they were read: sources the
 * expander owns (apply drops their text once built, main.c). */
size_t expander_sources(struct expander *ex, struct source *const **srcs);
int expander_take(struct expander *ex, struct stmt *s,
		  const struct cmd_sink *out, struct diag_list *dl);

/* A cmd_sink that appends a copy of each command to the cmd_list @arg. */
void cmd_list_add(const struct cmd *c, void *arg);
void cmd_list_free(struct cmd_list *cl);

#endif
