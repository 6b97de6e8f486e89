/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * confirm.h - apply --confirm SECONDS: apply, then put the previous tables
 * back unless `iptload confirm` is run in time.
 *
 * Before the lock is taken, apply forks a watchdog (no exec: the same
 * iptload) that leaves the session (setsid), ignores SIGHUP and holds no
 * xtables lock while it waits, so that neither a lost session nor a
 * SIGKILL of apply's process group stops it.  Apply hands it every table
 * just before committing it, as the table was read under the lock, and
 * then says whether anything was committed.  The watchdog listens on a
 * unix socket, DIR/confirm-INODE.sock: DIR is $IPTLOAD_CONFIRM_DIR or
 * /run/iptload-confirm, a directory of root's with mode 0700 (made if
 * missing, refused otherwise), so that no other user can bind the name
 * first, replace it or connect; INODE is that of /proc/self/ns/net, so
 * that each network namespace has its own pending apply (and tests in
 * private namespaces never meet).  A socket file nobody listens on (its
 * watchdog died) is replaced, under a lock beside it.  `iptload confirm`
 * connects and says "confirm"; when the time runs out first, the
 * watchdog takes the lock and puts the tables back.
 */
#ifndef IPTLOAD_CONFIRM_H
#define IPTLOAD_CONFIRM_H

#include <stdbool.h>
#include <sys/types.h>

#include "commit.h"
#include "diag.h"
#include "ruleset.h"

/* The longest confirmation window apply --confirm takes, in seconds. */
#define CONFIRM_MAX_SECONDS 86400

/* Environment variable naming a descriptor the watchdog keeps open until
 * it exits, and writes its progress to ("armed PID", then "kept", "rolled
 * back", "nothing to do" or "roll-back failed"): a reader sees EOF
 * exactly when the watchdog is done.  For tests and scripts. */
#define CONFIRM_NOTIFY_ENV "IPTLOAD_WATCHDOG_FD"

/* Environment variable naming the directory of the confirm sockets
 * instead of /run/iptload-confirm (tests: a private one). */
#define CONFIRM_DIR_ENV "IPTLOAD_CONFIRM_DIR"

/*
 * The pending roll-back survives the watchdog: before each table is
 * committed, apply writes the tables it replaces so far (iptables-save
 * text, CONFIRM_PREVIOUS_FILE) and then a marker (CONFIRM_MARKER_FILE)
 * into the state directory, $IPTLOAD_STATE_DIR or IPTLOAD_DEFAULT_STATE_DIR
 * (mode 0700, made if missing).  The watchdog removes both once it is done
 * (kept, rolled back, or nothing to do); apply --boot that finds the marker
 * loads the previous tables instead of the unconfirmed config.  Without
 * $IPTLOAD_STATE_DIR, only the network namespace of PID 1 (the one a
 * reboot loads) writes or reads them.
 */
#define CONFIRM_STATE_ENV "IPTLOAD_STATE_DIR"
#define CONFIRM_MARKER_FILE "confirm-pending"
#define CONFIRM_PREVIOUS_FILE "confirm-previous.rules"

/* How the apply side talks to its watchdog. */
struct confirm_watchdog {
	pid_t pid;
	int ctl;       /* socket to the watchdog (apply side) or to apply */
	int listen_fd; /* the watchdog's confirm socket */
	char sock_path[108]; /* its file (sun_path) */
	int notify_fd;	     /* $IPTLOAD_WATCHDOG_FD, or -1 */
	int seconds;
	uid_t uid;	       /* who ran apply: may confirm, as may root */
	const char *state_dir; /* where the pending roll-back is kept, or
				   NULL: not kept */
	const char *file;      /* the config applied (for the marker) */
	struct ruleset *saved; /* apply side: the tables handed over */
	struct diag_list *dl;  /* apply side: for errors of hand-over */
};

/* Outcomes of confirm_start(). */
enum confirm_start_result {
	CONFIRM_STARTED,  /* in apply: the watchdog runs */
	CONFIRM_IN_CHILD, /* in the new watchdog: run confirm_watchdog_run */
	CONFIRM_PENDING,  /* another apply --confirm waits in this netns */
	CONFIRM_FAILED,	  /* error in @dl */
};

/*
 * Claim this network namespace's confirm socket and fork the watchdog.
 * Call before taking the xtables lock.  Returns CONFIRM_IN_CHILD in the
 * watchdog, which must call confirm_watchdog_run() and exit with what it
 * returns.
 */
enum confirm_start_result confirm_start(struct confirm_watchdog *w, int seconds,
					const char *file, struct diag_list *dl);

/* commit_options.before_commit for apply --confirm: save the table about
 * to be committed, with those before it, to the state directory (see
 * CONFIRM_STATE_ENV), and hand it to the watchdog.  @arg is the struct
 * confirm_watchdog. */
int confirm_hand_over(const struct table *before, void *arg);

/*
 * Tell the watchdog how the apply ended: @changed (something was
 * committed: wait for the confirmation) or not (nothing to roll back: it
 * exits).  Closes the apply side.  Returns 0, or -1 when the watchdog is
 * gone.
 */
int confirm_finish(struct confirm_watchdog *w, bool changed);

/*
 * The watchdog: receive the previous tables, wait for `iptload confirm`
 * until the time runs out, else put the tables back (keeping the live
 * chains that @config's preserve globs match).  @opt gives the lock.
 * Returns the exit status: 0 when kept, rolled back, or nothing to do; 3
 * when the roll-back failed.
 */
int confirm_watchdog_run(struct confirm_watchdog *w,
			 const struct ruleset *config,
			 const struct commit_options *opt, const char *file);

/*
 * `iptload confirm`: ask the pending watchdog of this network namespace
 * to keep the ruleset.  Returns 0 when it did, 1 when nothing waits for a
 * confirmation, -1 on error (message in @why, static).
 */
int confirm_send(const char **why);

/* True when an apply --confirm waits in this network namespace; sets
 * *@seconds_left. */
bool confirm_pending(int *seconds_left);

/*
 * apply --boot: true when an apply --confirm left a pending roll-back
 * whose watchdog is gone (killed, or the machine rebooted before the
 * confirmation).  *@previous (malloc'd) is the file of the tables to load
 * instead of the unconfirmed config, *@config (malloc'd) the config that
 * apply loaded.
 */
bool confirm_boot_pending(char **previous, char **config);

/* apply --boot, once it used the pending roll-back: remove the marker, and
 * the previous tables too unless @keep_previous (their load failed: they
 * stay for the admin to see). */
void confirm_boot_done(bool keep_previous);

/* A plain apply, under the xtables lock, with no apply --confirm pending:
 * a marker left by a watchdog that died is stale now (this apply replaces
 * what it would have undone); remove it. */
void confirm_forget_stale(void);

#endif
