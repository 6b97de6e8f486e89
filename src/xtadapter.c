/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xtadapter.c - the adapter over libxtables (iptables 1.8.9): the only
 * file of iptload that includes <xtables.h>.
 *
 * It does for one rule what iptables' do_parse()/command_match()/
 * command_jump()/command_default() do (iptables/xshared.c), except that
 * the command line is walked by encode.c, which asks for one extension
 * option at a time:
 *  - an extension is found with xtables_find_match()/xtables_find_target(),
 *    which load the .so and pick the revision the kernel supports;
 *  - its data block is allocated, named and initialised as iptables does,
 *    its scratch area (udata) too;
 *  - its options get codes as if merged into getopt's table: each
 *    extension instance whose options iptables would merge gets its own
 *    range of OPTION_RANGE codes; a second instance of the same
 *    extension is a clone that shares the first one's range and receives
 *    the options from then on (the first is "completed");
 *  - options go to xtables_option_mpcall()/_tpcall() with optarg/optind
 *    set as getopt would have left them, so that old-API parsers can take
 *    more words from argv;
 *  - the final checks are xtables_option_mfcall()/_tfcall().
 *
 * libxtables reports errors through xt_params->exit_err, which must not
 * return.  Ours formats the message and siglongjmp()s back to the guard
 * around the call (run_guarded), so a bad option is an error of its rule,
 * never the end of iptload.  What the library prints on stderr meanwhile
 * is collected as notes for the caller.  Getting options codes without
 * building getopt's merged table keeps the library's option arrays (and
 * their allocations) out of the picture: encode.c does the lookup the way
 * getopt_long would.
 *
 * Revision probing goes through our own compat_rev, which asks the kernel
 * exactly as xtables_compatible_revision() does and decides the same way,
 * but never runs modprobe and never exits.
 *
 * Everything here is global state of libxtables: one rule at a time.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xtables.h>

#include <linux/netfilter/xt_TCPMSS.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_devgroup.h>
#include <linux/netfilter/xt_ecn.h>
#include <linux/netfilter/xt_physdev.h>
#include <linux/netfilter/xt_rateest.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_ECN.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>

#include "config.h"
#include "xtadapter.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The width of one extension's range of option codes: libxtables'
 * XT_OPTION_OFFSET_SCALE, which its header keeps for internal use.
 * Old-API option values and x6 option ids are both below it (the
 * library checks when it registers an extension).
 */
#define OPTION_RANGE 256

/* One extension instance of the rule being parsed. */
struct xtext {
	struct xtables_match *match; /* exactly one of these is set */
	struct xtables_target *target;
	bool merged; /* its options are searchable (not a clone) */
};

/* The libxtables side of one rule being parsed. */
struct xtrule {
	struct xtables_rule_match *matches; /* libxtables' list, in order */
	struct xtables_target *target;
	struct xtext **exts;
	size_t nexts;
	unsigned ranges; /* option code ranges handed out so far */
	bool proto_used; /* the -p match was loaded (iptables' proto_used) */
	char *notes;
	char error[1024];
	enum family family;
	/* What extensions see as the entry so far: a struct ipt_entry or
	 * struct ip6t_entry by @family (both end in a flexible array, so
	 * they share raw storage rather than a union). */
	_Alignas(struct ip6t_entry) unsigned char fw[sizeof(struct ip6t_entry)];
};

/* ---- the library's global state ------------------------------------ */

static void adapter_exit_err(enum xtables_exittype status, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
static int adapter_compat_rev(const char *name, uint8_t rev, int opt);

/* iptables' own options are not merged here (see above): none. */
static struct option no_options[] = { { NULL, 0, NULL, 0 } };

static struct xtables_globals adapter_globals = {
	.program_name = "iptload",
	.program_version = IPTLOAD_VERSION,
	.orig_opts = no_options,
	.exit_err = adapter_exit_err,
	.compat_rev = adapter_compat_rev,
};

static bool adapter_ready;
/* The family libxtables serves now (NFPROTO_IPV4 after adapter_init). */
static uint8_t adapter_nfproto = NFPROTO_IPV4;
/* The rule being parsed; libxtables can hold only one. */
static struct xtrule *adapter_active;
/* Where exit_err jumps to, and what it said. */
static sigjmp_buf *adapter_jump;
static char adapter_message[1024];
/*
 * What stderr (and, for save(), stdout) received during the last guarded
 * call: a memory stream each, opened once and rewound for every call.
 * @buf holds @len bytes and a NUL until the next guarded call.
 */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
};
static struct capture err_capture, out_capture;

static void adapter_exit_err(enum xtables_exittype status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(adapter_message, sizeof(adapter_message), fmt, ap);
	va_end(ap);
	if (!adapter_jump)
		abort(); /* called outside run_guarded: a bug of ours */
	siglongjmp(*adapter_jump, 1);
}

/*
 * Whether the kernel supports revision @rev of extension @name: the
 * decisions of xtables_compatible_revision() (a missing extension is
 * assumed to have revision 0 only; without the rights to ask, assume
 * yes), minus its modprobe and its process exit on odd errors.
 */
static int compat_rev_in(int nfproto, const char *name, uint8_t rev, int opt)
{
	struct xt_get_revision req;
	socklen_t len = sizeof(req);
	int fd, ret, err;

	/* The family's own socket: revisions are per family. */
	fd = socket(nfproto == NFPROTO_IPV6 ? AF_INET6 : AF_INET,
		    SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return 1;
	memset(&req, 0, sizeof(req));
	snprintf(req.name, sizeof(req.name), "%s", name);
	req.revision = rev;
	ret = getsockopt(fd,
			 nfproto == NFPROTO_IPV6 ? IPPROTO_IPV6 : IPPROTO_IP,
			 opt, &req, &len);
	err = errno;
	close(fd);
	if (ret >= 0)
		return 1;
	if (err == ENOENT || err == EPROTONOSUPPORT || err == ENOPROTOOPT)
		return rev == 0;
	return 1;
}

static int adapter_compat_rev(const char *name, uint8_t rev, int opt)
{
	return compat_rev_in(adapter_nfproto, name, rev, opt);
}

bool xtadapter_target_revision_ok(enum family f, const char *name, uint8_t rev)
{
	if (f == FAMILY_IPV6)
		return compat_rev_in(NFPROTO_IPV6, name, rev,
				     IP6T_SO_GET_REVISION_TARGET);
	return compat_rev_in(NFPROTO_IPV4, name, rev,
			     IPT_SO_GET_REVISION_TARGET);
}

/* Start collecting into @c from its beginning; returns its stream. */
static FILE *capture_start(struct capture *c)
{
	if (!c->f) {
		c->f = open_memstream(&c->buf, &c->len);
		if (!c->f)
			abort();
	}
	fseek(c->f, 0, SEEK_SET);
	return c->f;
}

/* Make what @c collected visible in @buf and @len. */
static void capture_end(struct capture *c)
{
	fflush(c->f);
}

static void capture_close(struct capture *c)
{
	if (c->f)
		fclose(c->f);
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

static void adapter_fini(void)
{
	xtables_fini();
	capture_close(&err_capture);
	capture_close(&out_capture);
}

/*
 * An extension's own code can divide by zero on values it let through
 * (libxt_hashlimit on "--hashlimit-upto 1b/s --hashlimit-burst 1b":
 * iptables-legacy dies of SIGFPE there).  Inside a guarded call that is
 * an error of the rule, not the end of iptload; anywhere else the default
 * action (the faulting instruction runs again, and the process dies).
 * Installed with SA_NODEFER, so that jumping out leaves SIGFPE unblocked.
 */
static void adapter_sigfpe(int sig)
{
	static const char msg[] = "the extension divided by zero on these "
				  "values (iptables-legacy dies of SIGFPE on "
				  "this rule)";

	if (!adapter_jump) {
		signal(sig, SIG_DFL);
		return;
	}
	memcpy(adapter_message, msg, sizeof(msg));
	siglongjmp(*adapter_jump, 1);
}

/* Load libxtables once per process; unloaded at exit. */
static void adapter_init(void)
{
	struct sigaction sa = { .sa_handler = adapter_sigfpe,
				.sa_flags = SA_NODEFER };

	if (adapter_ready)
		return;
	if (xtables_init_all(&adapter_globals, NFPROTO_IPV4) < 0)
		abort();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGFPE, &sa, NULL);
	atexit(adapter_fini);
	adapter_ready = true;
}

/*
 * ---- both families in one process -------------------------------------
 *
 * libxtables serves one family at a time (xtables_set_nfproto), and an
 * extension .so registers its matches and targets once, from its
 * constructor, when first loaded: xtables_register_target() silently
 * drops every one that is not of the active family (or NFPROTO_UNSPEC).
 * libxt_TPROXY.so holds IPv4 and IPv6 targets; loaded while IPv4 is
 * active, its IPv6 target would be lost for good, since dlopen() does not
 * run a constructor twice.  So iptload defines the four registration
 * functions itself (the executable exports them, see src/meson.build;
 * the extensions' references bind to the executable first): each match or
 * target of the other family is kept aside and handed to libxtables when
 * that family becomes active.  Revisions are then probed in the family
 * that uses them (adapter_compat_rev asks that family's socket), and
 * xtables_load_ko is never called (iptload loads no module).
 */

static void (*real_register_match)(struct xtables_match *);
static void (*real_register_target)(struct xtables_target *);

/* Extensions of the family that was not active when they were loaded. */
static struct xtables_match *deferred_matches[64];
static size_t ndeferred_matches;
static struct xtables_target *deferred_targets[64];
static size_t ndeferred_targets;

static void resolve_real(void)
{
	if (real_register_match)
		return;
	real_register_match = (void (*)(struct xtables_match *))dlsym(
		RTLD_NEXT, "xtables_register_match");
	real_register_target = (void (*)(struct xtables_target *))dlsym(
		RTLD_NEXT, "xtables_register_target");
	if (!real_register_match || !real_register_target)
		abort(); /* no libxtables after us: cannot happen when linked */
}

/* Whether @family is not the one libxtables serves now (and not both). */
static bool other_family(uint8_t family)
{
	return family != NFPROTO_UNSPEC && family != adapter_nfproto;
}

void xtables_register_match(struct xtables_match *me)
{
	resolve_real();
	if (other_family(me->family) &&
	    ndeferred_matches < ARRAY_SIZE(deferred_matches)) {
		deferred_matches[ndeferred_matches++] = me;
		return;
	}
	real_register_match(me);
}

void xtables_register_matches(struct xtables_match *me, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		xtables_register_match(&me[i]);
}

void xtables_register_target(struct xtables_target *me)
{
	resolve_real();
	if (other_family(me->family) &&
	    ndeferred_targets < ARRAY_SIZE(deferred_targets)) {
		deferred_targets[ndeferred_targets++] = me;
		return;
	}
	real_register_target(me);
}

void xtables_register_targets(struct xtables_target *me, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		xtables_register_target(&me[i]);
}

/*
 * libxtables keeps the revisions of an extension that the active family
 * can use (its own and NFPROTO_UNSPEC ones) pending, best first, and at
 * the first lookup registers the best one the kernel supports in front of
 * those registered before.  With two families in one process that order
 * breaks: a revision of one family that is pending (handed over at the
 * switch, or left pending when the other family looked the name up) while
 * an NFPROTO_UNSPEC revision of the same name is registered already would
 * come before it: TOS and tos revision 0 (IPv4) before revision 1, in IPv4
 * after they served IPv6.  So at each switch those groups are made again:
 * the registered NFPROTO_UNSPEC revisions and the pending ones of the
 * name go back to pending together, in ascending order as the
 * extensions' arrays list them (libxtables 1.8.9 orders a group right only
 * when each new one is better than those pending), and the next lookup
 * picks the best the kernel has, as in a process that serves one family.
 */
extern struct xtables_match *xtables_pending_matches;
extern struct xtables_target *xtables_pending_targets;

struct requeued {
	void *ext;
	uint8_t revision;
	bool unspec;
};

static int requeued_cmp(const void *a, const void *b)
{
	const struct requeued *x = a, *y = b;

	if (x->revision != y->revision)
		return x->revision < y->revision ? -1 : 1;
	return (int)y->unspec - (int)x->unspec; /* a family's own last */
}

/* Whether libxtables would group @family with the active family. */
static bool usable(uint8_t family)
{
	return family == NFPROTO_UNSPEC || family == adapter_nfproto;
}

#define REGROUP_MAX 32

static void regroup_matches(void)
{
	const char *names[REGROUP_MAX];
	struct requeued q[REGROUP_MAX];
	size_t nnames = 0;
	struct xtables_match *p, *m, **pos;

	for (p = xtables_pending_matches; p && nnames < REGROUP_MAX;
	     p = p->next) {
		bool seen = false;

		if (p->family != adapter_nfproto)
			continue;
		for (size_t i = 0; i < nnames && !seen; i++)
			seen = strcmp(names[i], p->name) == 0;
		for (m = xtables_matches; m && !seen; m = m->next)
			if (m->family == NFPROTO_UNSPEC &&
			    strcmp(m->name, p->name) == 0) {
				names[nnames++] = p->name;
				break;
			}
	}
	for (size_t i = 0; i < nnames; i++) {
		size_t n = 0;

		for (pos = &xtables_matches; (m = *pos) != NULL;)
			if (m->family == NFPROTO_UNSPEC &&
			    strcmp(m->name, names[i]) == 0 && n < REGROUP_MAX) {
				*pos = m->next;
				q[n++] = (struct requeued){ m, m->revision,
							    true };
			} else {
				pos = &m->next;
			}
		for (pos = &xtables_pending_matches; (m = *pos) != NULL;)
			if (usable(m->family) &&
			    strcmp(m->name, names[i]) == 0 && n < REGROUP_MAX) {
				*pos = m->next;
				q[n++] = (struct requeued){
					m, m->revision,
					m->family == NFPROTO_UNSPEC
				};
			} else {
				pos = &m->next;
			}
		qsort(q, n, sizeof(*q), requeued_cmp);
		for (size_t j = 0; j < n; j++) {
			m = q[j].ext;
			m->next = NULL;
			real_register_match(m);
		}
	}
}

static void regroup_targets(void)
{
	const char *names[REGROUP_MAX];
	struct requeued q[REGROUP_MAX];
	size_t nnames = 0;
	struct xtables_target *p, *t, **pos;

	for (p = xtables_pending_targets; p && nnames < REGROUP_MAX;
	     p = p->next) {
		bool seen = false;

		if (p->family != adapter_nfproto)
			continue;
		for (size_t i = 0; i < nnames && !seen; i++)
			seen = strcmp(names[i], p->name) == 0;
		for (t = xtables_targets; t && !seen; t = t->next)
			if (t->family == NFPROTO_UNSPEC &&
			    strcmp(t->name, p->name) == 0) {
				names[nnames++] = p->name;
				break;
			}
	}
	for (size_t i = 0; i < nnames; i++) {
		size_t n = 0;

		for (pos = &xtables_targets; (t = *pos) != NULL;)
			if (t->family == NFPROTO_UNSPEC &&
			    strcmp(t->name, names[i]) == 0 && n < REGROUP_MAX) {
				*pos = t->next;
				q[n++] = (struct requeued){ t, t->revision,
							    true };
			} else {
				pos = &t->next;
			}
		for (pos = &xtables_pending_targets; (t = *pos) != NULL;)
			if (usable(t->family) &&
			    strcmp(t->name, names[i]) == 0 && n < REGROUP_MAX) {
				*pos = t->next;
				q[n++] = (struct requeued){
					t, t->revision,
					t->family == NFPROTO_UNSPEC
				};
			} else {
				pos = &t->next;
			}
		qsort(q, n, sizeof(*q), requeued_cmp);
		for (size_t j = 0; j < n; j++) {
			t = q[j].ext;
			t->next = NULL;
			real_register_target(t);
		}
	}
}

/* Hand libxtables the kept-aside extensions of the family now active. */
static void register_deferred(void)
{
	size_t k = 0;

	for (size_t i = 0; i < ndeferred_matches; i++)
		if (other_family(deferred_matches[i]->family))
			deferred_matches[k++] = deferred_matches[i];
		else
			real_register_match(deferred_matches[i]);
	ndeferred_matches = k;
	k = 0;
	for (size_t i = 0; i < ndeferred_targets; i++)
		if (other_family(deferred_targets[i]->family))
			deferred_targets[k++] = deferred_targets[i];
		else
			real_register_target(deferred_targets[i]);
	ndeferred_targets = k;
	regroup_matches();
	regroup_targets();
}

/* Make libxtables serve family @f (loading it on first use). */
static void adapter_use(enum family f)
{
	uint8_t nfproto = f == FAMILY_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

	adapter_init();
	if (nfproto == adapter_nfproto)
		return;
	if (adapter_active)
		abort(); /* one rule, one family */
	xtables_set_nfproto(nfproto);
	adapter_nfproto = nfproto;
	resolve_real();
	register_deferred();
}

/* Call @fn(@ctx); 0, or -1 when it ended in exit_err.  Kept apart so
 * that no local variable lives across the jump. */
static int call_with_jump(void (*fn)(void *), void *ctx)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 0) != 0) {
		adapter_jump = NULL;
		return -1;
	}
	adapter_jump = &env;
	fn(ctx);
	adapter_jump = NULL;
	return 0;
}

/*
 * Run @fn(@ctx) as a guarded call into libxtables: exit_err comes back
 * here as -1 with the message in adapter_message; what it printed on
 * stderr (and on stdout when @capture_out) is left in err_capture (and
 * out_capture).  getopt's globals are restored afterwards.
 */
static int run_guarded(void (*fn)(void *), void *ctx, bool capture_out)
{
	FILE *saved_err = stderr, *saved_out = stdout;
	int saved_optind = optind, saved_opterr = opterr;
	char *saved_optarg = optarg;
	int rc;

	fflush(stderr);
	fflush(stdout);
	stderr = capture_start(&err_capture);
	if (capture_out)
		stdout = capture_start(&out_capture);
	adapter_message[0] = '\0';
	rc = call_with_jump(fn, ctx);
	stderr = saved_err;
	stdout = saved_out;
	capture_end(&err_capture);
	if (capture_out)
		capture_end(&out_capture);
	optind = saved_optind;
	opterr = saved_opterr;
	optarg = saved_optarg;
	return rc;
}

/* A message on one line without the trailing period-newline clutter. */
static void tidy_message(char *dst, size_t n, const char *src)
{
	size_t len = 0;
	bool space = false;

	for (; *src && len + 1 < n; src++) {
		if (isspace((unsigned char)*src)) {
			space = len > 0;
			continue;
		}
		if (space && len + 2 < n)
			dst[len++] = ' ';
		space = false;
		dst[len++] = *src;
	}
	dst[len] = '\0';
}

/* Keep what the last guarded call printed on stderr as notes of @r. */
static void keep_notes(struct xtrule *r)
{
	size_t old = r->notes ? strlen(r->notes) : 0;

	if (err_capture.len == 0)
		return;
	r->notes = realloc(r->notes, old + err_capture.len + 1);
	if (!r->notes)
		abort();
	memcpy(r->notes + old, err_capture.buf, err_capture.len);
	r->notes[old + err_capture.len] = '\0';
}

/* Finish a guarded call made for @r: notes kept, error text set. */
static int guarded_for(struct xtrule *r, int rc)
{
	keep_notes(r);
	if (rc < 0)
		tidy_message(r->error, sizeof(r->error), adapter_message);
	return rc;
}

/*
 * Leaks that are libxtables' and its extensions', not ours, for
 * LeakSanitizer builds (the function is only called by its runtime):
 *  - xtables_strdup: scratch copies an extension makes of an option's
 *    value and frees after parsing it, lost when the value is refused and
 *    exit_err jumps away (iptables exits there);
 *  - xtables_lmap_init: the name maps devgroup and realm load for every
 *    rule into a static pointer, never freeing the previous one.
 * Our own allocations through libxtables (xtables_calloc for the match
 * and target data) stay checked.  tests/valgrind-xtables.supp holds the
 * same two for valgrind.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:xtables_strdup\nleak:xtables_lmap_init\n";
}

/* ---- rules ------------------------------------------------------------ */

struct xtrule *xtadapter_rule_new(enum family f)
{
	struct xtrule *r;

	adapter_use(f);
	if (adapter_active)
		abort(); /* libxtables holds one rule at a time */
	r = calloc(1, sizeof(*r));
	if (!r)
		abort();
	r->family = f;
	/* As do_parse does: flags of the previous rule must not say
	 * "can only be used once" to this one. */
	for (struct xtables_match *m = xtables_matches; m; m = m->next)
		m->mflags = 0;
	for (struct xtables_target *t = xtables_targets; t; t = t->next) {
		t->tflags = 0;
		t->used = 0;
	}
	adapter_active = r;
	return r;
}

void xtadapter_rule_free(struct xtrule *r)
{
	struct xtables_target *t;

	if (!r)
		return;
	/* xtables_rule_matches_free() leaves the scratch areas alone. */
	for (struct xtables_rule_match *rm = r->matches; rm; rm = rm->next) {
		free(rm->match->udata);
		rm->match->udata = NULL;
	}
	xtables_rule_matches_free(&r->matches);
	t = r->target;
	if (t) {
		free(t->t);
		t->t = NULL;
		free(t->udata);
		t->udata = NULL;
		if (t->next == t)
			free(t); /* a clone */
	}
	for (size_t i = 0; i < r->nexts; i++)
		free(r->exts[i]);
	free(r->exts);
	free(r->notes);
	free(r);
	adapter_active = NULL;
}

const char *xtadapter_error(const struct xtrule *r)
{
	return r->error;
}

char *xtadapter_take_notes(struct xtrule *r)
{
	char *n = r->notes;

	r->notes = NULL;
	return n;
}

static struct xtext *add_ext(struct xtrule *r, struct xtables_match *m,
			     struct xtables_target *t, bool merged)
{
	struct xtext *x = calloc(1, sizeof(*x));

	if (!x)
		abort();
	x->match = m;
	x->target = t;
	x->merged = merged;
	r->exts = reallocarray(r->exts, r->nexts + 1, sizeof(*r->exts));
	if (!r->exts)
		abort();
	r->exts[r->nexts++] = x;
	return x;
}

/* An option code range of its own, as merging into getopt's table
 * would give. */
static unsigned next_range(struct xtrule *r)
{
	return ++r->ranges * OPTION_RANGE;
}

/*
 * Names that can name an extension file: anything else (a '/', say)
 * would make libxtables dlopen() some other path.
 */
static bool valid_ext_name(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= XT_EXTENSION_MAXNAMELEN)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return false;
	return true;
}

/* What add_match_call works on. */
struct match_call {
	struct xtrule *r;
	const char *name;
	enum xtables_tryload tryload;
	struct xtables_match *m;
};

/* command_match(): find the match, allocate and initialise its data. */
static void add_match_call(void *p)
{
	struct match_call *c = p;
	struct xtables_match *m;
	size_t size;

	m = xtables_find_match(c->name, c->tryload, &c->r->matches);
	if (!m)
		return;
	size = XT_ALIGN(sizeof(struct xt_entry_match)) + m->size;
	m->m = xtables_calloc(1, size);
	m->m->u.match_size = (uint16_t)size;
	if (m->real_name) {
		strcpy(m->m->u.user.name, m->real_name);
		if (!(m->ext_flags & XTABLES_EXT_ALIAS))
			fprintf(stderr,
				"the %s match is converted into %s match in "
				"rule listing and saving\n",
				m->name, m->real_name);
	} else {
		strcpy(m->m->u.user.name, m->name);
	}
	m->m->u.user.revision = m->revision;
	if (m->udata_size) {
		free(m->udata);
		m->udata = xtables_calloc(1, m->udata_size);
	}
	c->m = m;
	if (m->init)
		m->init(m->m);
}

static struct xtext *add_match(struct xtrule *r, const char *name,
			       enum xtables_tryload tryload)
{
	struct match_call c = { .r = r, .name = name, .tryload = tryload };
	bool clone;

	if (guarded_for(r, run_guarded(add_match_call, &c, false)) < 0 || !c.m)
		return NULL;
	/* A clone shares the range of the instance it was copied from. */
	clone = c.m->next == c.m;
	if (!clone)
		c.m->option_offset = next_range(r);
	return add_ext(r, c.m, NULL, !clone);
}

struct xtext *xtadapter_add_match(struct xtrule *r, const char *name,
				  bool *missing)
{
	struct xtext *x = NULL;

	r->error[0] = '\0';
	*missing = !valid_ext_name(name);
	if (!*missing)
		x = add_match(r, name, XTF_LOAD_MUST_SUCCEED);
	/* libxtables' words for "no such .so" (xtables_find_match). */
	if (!x && strncmp(r->error, "Couldn't load match", 19) == 0)
		*missing = true;
	if (*missing)
		snprintf(r->error, sizeof(r->error), "no match named '%s'",
			 name);
	return x;
}

/* The name iptables gives protocol @proto when loading its match
 * (proto_to_name() in iptables/xshared.c). */
static const char *proto_match_name(uint8_t proto)
{
	const struct protoent *pe;

	for (size_t i = 0; xtables_chain_protos[i].name; i++)
		if (xtables_chain_protos[i].num == proto)
			return xtables_chain_protos[i].name;
	pe = getprotobynumber(proto);
	return pe ? pe->p_name : NULL;
}

struct xtext *xtadapter_add_proto_match(struct xtrule *r, uint8_t proto)
{
	const char *name = proto_match_name(proto);
	struct xtext *x;

	r->error[0] = '\0';
	if (r->proto_used || !name || !valid_ext_name(name))
		return NULL;
	x = add_match(r, name, XTF_TRY_LOAD);
	if (x)
		r->proto_used = true;
	return x;
}

/* What add_target_call works on. */
struct target_call {
	struct xtrule *r;
	const char *name;
	struct xtables_target *t;
};

/* command_jump(): find the target, allocate and initialise its data. */
static void add_target_call(void *p)
{
	struct target_call *c = p;
	struct xtables_target *t;
	size_t size;

	t = xtables_find_target(c->name, XTF_TRY_LOAD);
	if (!t)
		return;
	size = XT_ALIGN(sizeof(struct xt_entry_target)) + t->size;
	t->t = xtables_calloc(1, size);
	t->t->u.target_size = (uint16_t)size;
	if (t->real_name) {
		strcpy(t->t->u.user.name, t->real_name);
		if (!(t->ext_flags & XTABLES_EXT_ALIAS))
			fprintf(stderr,
				"the %s target is converted into %s target in "
				"rule listing and saving\n",
				c->name, t->real_name);
	} else {
		strcpy(t->t->u.user.name, c->name);
	}
	t->t->u.user.revision = t->revision;
	if (t->udata_size) {
		free(t->udata);
		t->udata = xtables_calloc(1, t->udata_size);
	}
	c->t = t;
	if (t->init)
		t->init(t->t);
}

struct xtext *xtadapter_add_target(struct xtrule *r, const char *name,
				   bool *failed)
{
	struct target_call c = { .r = r, .name = name };

	r->error[0] = '\0';
	*failed = false;
	if (r->target) {
		*failed = true;
		snprintf(r->error, sizeof(r->error),
			 "multiple -j flags not allowed");
		return NULL;
	}
	/* Not a file name: then it can only be a chain. */
	if (!valid_ext_name(name))
		return NULL;
	if (guarded_for(r, run_guarded(add_target_call, &c, false)) < 0) {
		*failed = true;
		return NULL;
	}
	if (!c.t)
		return NULL;
	r->target = c.t;
	c.t->option_offset = next_range(r);
	return add_ext(r, NULL, c.t, true);
}

/* What is_target_call works on. */
struct is_target_call {
	const char *name;
	bool found;
};

static void is_target_call(void *p)
{
	struct is_target_call *c = p;

	const struct xtables_target *t =
		xtables_find_target(c->name, XTF_TRY_LOAD);

	/* The verdicts are iptables' "standard" target, not extensions. */
	c->found = t && strcmp(t->name, "standard") != 0;
}

bool xtadapter_is_target(enum family f, const char *name)
{
	struct is_target_call c = { .name = name };

	adapter_use(f);
	if (adapter_active)
		abort(); /* a lookup now could hand out a clone */
	if (!valid_ext_name(name))
		return false;
	run_guarded(is_target_call, &c, false);
	return c.found;
}

const char *xtadapter_ext_name(const struct xtext *x)
{
	return x->match ? x->match->m->u.user.name : x->target->t->u.user.name;
}

/* ---- options ---------------------------------------------------------- */

/* Compare like getopt_long: exact, or @name is a prefix. */
static bool option_fits(const char *opt, const char *name, size_t len,
			bool exact)
{
	return strncmp(opt, name, len) == 0 && (!exact || opt[len] == '\0');
}

/* Record candidate @cand; two different candidates are ambiguous. */
static int option_candidate(int found, struct xtopt *opt,
			    const struct xtopt *cand)
{
	if (found == 0) {
		*opt = *cand;
		return 1;
	}
	if (opt->code != cand->code || opt->takes_arg != cand->takes_arg)
		return -1;
	return found;
}

int xtadapter_find_option(const struct xtext *x, const char *name, size_t len,
			  bool exact, struct xtopt *opt)
{
	const struct xt_option_entry *x6;
	const struct option *old;
	unsigned offset;
	int found = 0;

	if (!x->merged)
		return 0;
	x6 = x->match ? x->match->x6_options : x->target->x6_options;
	old = x->match ? x->match->extra_opts : x->target->extra_opts;
	offset = x->match ? x->match->option_offset : x->target->option_offset;
	if (x6) {
		for (; x6->name && found >= 0; x6++) {
			struct xtopt c = { x6->name, x6->id + offset,
					   x6->type != XTTYPE_NONE };

			if (option_fits(x6->name, name, len, exact))
				found = option_candidate(found, opt, &c);
			if (found && exact)
				break; /* getopt_long takes the first */
		}
	} else if (old) {
		for (; old->name && found >= 0; old++) {
			struct xtopt c = { old->name,
					   (unsigned)old->val + offset,
					   old->has_arg == required_argument };

			if (option_fits(old->name, name, len, exact))
				found = option_candidate(found, opt, &c);
			if (found && exact)
				break;
		}
	}
	return found;
}

/* What parse_call works on. */
struct parse_call {
	struct xtrule *r;
	unsigned code;
	char **argv;
	bool invert;
	int optind_after;
};

/*
 * iptables cuts a string option that does not fit its field short without
 * a word (xtopt_parse_string): a LOG prefix of 40 characters is stored as
 * 29.  A firewall config should not lose text silently: refuse it.
 */
static void refuse_cut_string(const char *ext,
			      const struct xt_option_entry *entries,
			      unsigned id)
{
	size_t len = optarg ? strlen(optarg) : 0;

	for (; entries && entries->name; entries++) {
		if (entries->id != id || entries->type != XTTYPE_STRING ||
		    !(entries->flags & XTOPT_PUT) || len < entries->size)
			continue;
		xtables_error(PARAMETER_PROBLEM,
			      "%s: the value of --%s has %zu characters, but "
			      "only %zu fit (iptables would cut it short)",
			      ext, entries->name, len, entries->size - 1);
	}
}

/*
 * An address option (XTTYPE_HOST, XTTYPE_HOSTMASK) would be looked up in
 * DNS when it is not numeric.  As for -s and -d, iptload does not resolve
 * names: a firewall must not depend on DNS when it is loaded at boot.
 */
static bool resolve_names; /* --resolve: let libxtables look them up */

void xtadapter_resolve_names(bool on)
{
	resolve_names = on;
}

static void refuse_host_name(const char *ext,
			     const struct xt_option_entry *entries, unsigned id)
{
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	const bool v6 = adapter_nfproto == NFPROTO_IPV6;
	size_t len;

	if (!optarg || resolve_names)
		return;
	len = strcspn(optarg, "/");
	for (; entries && entries->name; entries++) {
		if (entries->id != id || (entries->type != XTTYPE_HOST &&
					  entries->type != XTTYPE_HOSTMASK))
			continue;
		if (len < sizeof(addr)) {
			memcpy(addr, optarg, len);
			addr[len] = '\0';
			if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, &a6) == 1)
				return;
		}
		xtables_error(PARAMETER_PROBLEM,
			      "%s: \"%.*s\" is not an %s address, and host "
			      "names are not resolved (a firewall must not "
			      "depend on DNS at boot): write the address",
			      ext, (int)len, optarg, v6 ? "IPv6" : "IPv4");
	}
}

/* Both checks iptload makes on an x6 option before the extension does. */
static void check_option_value(const char *ext,
			       const struct xt_option_entry *entries,
			       unsigned id)
{
	refuse_cut_string(ext, entries, id);
	refuse_host_name(ext, entries, id);
}

/* command_default(): the target's range first, then the first match not
 * completed whose range holds the code. */
static void parse_call(void *p)
{
	struct parse_call *c = p;
	struct xtables_target *t = c->r->target;

	if (t && c->code >= t->option_offset &&
	    c->code < t->option_offset + OPTION_RANGE) {
		check_option_value(t->name, t->x6_options,
				   c->code - t->option_offset);
		xtables_option_tpcall(c->code, c->argv, c->invert, t, c->r->fw);
		c->optind_after = optind;
		return;
	}
	for (struct xtables_rule_match *rm = c->r->matches; rm; rm = rm->next) {
		struct xtables_match *m = rm->match;

		if (rm->completed || c->code < m->option_offset ||
		    c->code >= m->option_offset + OPTION_RANGE)
			continue;
		check_option_value(m->name, m->x6_options,
				   c->code - m->option_offset);
		xtables_option_mpcall(c->code, c->argv, c->invert, m, c->r->fw);
		c->optind_after = optind;
		return;
	}
	xtables_error(PARAMETER_PROBLEM, "unknown option code %u", c->code);
}

/*
 * What extensions see of the rule: the IP part parsed so far, in the
 * family's own head (in IPv6 the fields ip6t_ip6 shares with ipt_ip,
 * and IP6T_F_PROTO once -p was given, as ip6tables sets it).
 */
static void fw_set_ip(struct xtrule *r, const struct ipt_ip *ip)
{
	memset(r->fw, 0, sizeof(r->fw));
	if (r->family == FAMILY_IPV6) {
		struct ip6t_ip6 *ip6 = &((struct ip6t_entry *)r->fw)->ipv6;

		memcpy(ip6->iniface, ip->iniface, sizeof(ip6->iniface));
		memcpy(ip6->outiface, ip->outiface, sizeof(ip6->outiface));
		memcpy(ip6->iniface_mask, ip->iniface_mask,
		       sizeof(ip6->iniface_mask));
		memcpy(ip6->outiface_mask, ip->outiface_mask,
		       sizeof(ip6->outiface_mask));
		ip6->proto = ip->proto;
		ip6->invflags = ip->invflags;
		if (ip->proto || (ip->invflags & XT_INV_PROTO))
			ip6->flags |= IP6T_F_PROTO;
	} else {
		((struct ipt_entry *)r->fw)->ip = *ip;
	}
}

int xtadapter_parse(struct xtrule *r, const struct xtopt *opt, char **argv,
		    int next, const char *arg, bool invert,
		    const struct ipt_ip *ip, int *consumed)
{
	struct parse_call c = { .r = r,
				.code = opt->code,
				.argv = argv,
				.invert = invert,
				.optind_after = next };
	int rc;

	r->error[0] = '\0';
	fw_set_ip(r, ip);
	/* What getopt_long would have left for the parser. */
	optind = next;
	optarg = (char *)arg;
	opterr = 0;
	rc = guarded_for(r, run_guarded(parse_call, &c, false));
	*consumed = c.optind_after > next ? c.optind_after - next : 0;
	return rc;
}

/* What finish_call works on: one extension's final check. */
struct finish_call {
	struct xtables_match *m;
	struct xtables_target *t;
};

static void finish_call(void *p)
{
	struct finish_call *c = p;

	if (c->m)
		xtables_option_mfcall(c->m);
	else
		xtables_option_tfcall(c->t);
}

int xtadapter_finish(struct xtrule *r, struct xtext *x)
{
	struct finish_call c = { .m = x->match, .t = x->target };

	r->error[0] = '\0';
	return guarded_for(r, run_guarded(finish_call, &c, false));
}

const struct xt_entry_match *xtadapter_match_blob(const struct xtext *x)
{
	/* Re-read: old-API parsers may have reallocated it. */
	return x->match ? x->match->m : NULL;
}

const struct xt_entry_target *xtadapter_target_blob(const struct xtext *x)
{
	return x->target ? x->target->t : NULL;
}

/* ---- saving ----------------------------------------------------------- */

/* Set while the committer holds the xtables lock: load nothing. */
static bool adapter_sealed;

/* An extension a sealed save call could not find, to load afterwards. */
struct seal_miss {
	char name[XT_EXTENSION_MAXNAMELEN];
	bool target;
	bool tried;	 /* loaded (or tried to) since: not missed again */
	uint8_t nfproto; /* the family it is wanted in */
};

#define SEAL_MISSES_MAX 64
static struct seal_miss seal_misses[SEAL_MISSES_MAX];
static size_t seal_nmisses;

void xtadapter_seal(bool on)
{
	adapter_sealed = on;
}

/* Remember that @name (a match, or a target) was wanted while sealed. */
static void seal_missed(const char *name, bool target)
{
	for (size_t i = 0; i < seal_nmisses; i++)
		if (seal_misses[i].target == target &&
		    seal_misses[i].nfproto == adapter_nfproto &&
		    strcmp(seal_misses[i].name, name) == 0)
			return;
	if (seal_nmisses == SEAL_MISSES_MAX)
		return;
	snprintf(seal_misses[seal_nmisses].name, sizeof(seal_misses[0].name),
		 "%s", name);
	seal_misses[seal_nmisses].nfproto = adapter_nfproto;
	seal_misses[seal_nmisses++].target = target;
}

bool xtadapter_sealed_missed(void)
{
	for (size_t i = 0; i < seal_nmisses; i++)
		if (!seal_misses[i].tried)
			return true;
	return false;
}

/* Load one missed extension (an exit_err on the way is only a failure). */
static void load_missed_call(void *p)
{
	const struct seal_miss *m = p;

	if (m->target)
		xtables_find_target(m->name, XTF_TRY_LOAD);
	else
		xtables_find_match(m->name, XTF_TRY_LOAD, NULL);
}

void xtadapter_load_missed(void)
{
	if (adapter_sealed || !xtadapter_sealed_missed())
		return;
	adapter_init();
	for (size_t i = 0; i < seal_nmisses; i++) {
		if (seal_misses[i].tried)
			continue;
		seal_misses[i].tried = true;
		adapter_use(seal_misses[i].nfproto == NFPROTO_IPV6 ?
				    FAMILY_IPV6 :
				    FAMILY_IPV4);
		run_guarded(load_missed_call, &seal_misses[i], false);
	}
}

/* How a save call may look an extension up: never load one when sealed. */
static enum xtables_tryload save_tryload(void)
{
	return adapter_sealed ? XTF_DONT_LOAD : XTF_TRY_LOAD;
}

/* What save_call works on. */
struct save_call {
	const void *ip; /* struct ipt_ip or struct ip6t_ip6 */
	const struct xt_entry_match *m;
	const struct xt_entry_target *t;
	char name[XT_EXTENSION_MAXNAMELEN];
	bool found;
};

/* print_match_save() of iptables/xshared.c, with the data size checked
 * so that a hand-made entry cannot make save() read past it. */
static void save_match_call(void *p)
{
	struct save_call *c = p;
	struct xtables_match *match, *mt;
	bool fits;

	match = xtables_find_match(c->name, save_tryload(), NULL);
	if (!match && adapter_sealed)
		seal_missed(c->name, false);
	if (!match)
		return;
	mt = xtables_find_match_revision(c->name, save_tryload(), match,
					 c->m->u.user.revision);
	fits = mt && c->m->u.match_size ==
			     XT_ALIGN(sizeof(*c->m)) + XT_ALIGN(mt->size);
	c->found = true;
	if (!mt)
		mt = match;
	printf(" -m %s", mt->alias && fits ? mt->alias(c->m) : c->name);
	/* A revision the extension does not know, as iptables says; a
	 * size that does not fit (a hand-made entry) gets the name only. */
	if (fits && mt->save)
		mt->save(c->ip, c->m);
	else if (mt == match && match->revision != c->m->u.user.revision &&
		 match->save)
		printf(" [unsupported revision]");
	if (match->next == match)
		free(match); /* a clone, made because a rule holds it */
}

/* print_rule4()'s extension target part, size checked likewise. */
/*
 * Whether libxtables holds target @name for the active family already.
 * A look-up that must not load and finds nothing makes libxtables 1.8.9
 * refuse to load that target for the rest of the process (its later
 * XTF_TRY_LOAD returns NULL without looking for the .so), so a sealed save
 * asks this first and only records the miss.
 */
static bool target_registered(const char *name)
{
	for (const struct xtables_target *t = xtables_targets; t; t = t->next)
		if ((t->family == adapter_nfproto ||
		     t->family == NFPROTO_UNSPEC) &&
		    (strcmp(t->name, name) == 0 ||
		     (t->real_name && strcmp(t->real_name, name) == 0)))
			return true;
	return false;
}

static void save_target_call(void *p)
{
	struct save_call *c = p;
	struct xtables_target *target, *tg;
	bool fits;

	if (adapter_sealed && !target_registered(c->name)) {
		seal_missed(c->name, true);
		return;
	}
	target = xtables_find_target(c->name, save_tryload());
	if (!target && adapter_sealed)
		seal_missed(c->name, true);
	if (!target)
		return;
	tg = xtables_find_target_revision(c->name, save_tryload(), target,
					  c->t->u.user.revision);
	fits = tg && c->t->u.target_size ==
			     XT_ALIGN(sizeof(*c->t)) + XT_ALIGN(tg->size);
	c->found = true;
	if (!tg)
		tg = target;
	printf(" -j %s", tg->alias && fits ? tg->alias(c->t) : c->name);
	if (fits && tg->save)
		tg->save(c->ip, c->t);
	else if (tg == target && target->revision != c->t->u.user.revision &&
		 target->save)
		printf(" [unsupported revision]");
	if (target->next == target)
		free(target);
}

/* Run a save call with stdout captured; copy the text to @out. */
static int save_through(void (*fn)(void *), struct save_call *c, FILE *out)
{
	int rc;

	if (adapter_sealed && !adapter_ready) {
		seal_missed(c->name, fn == save_target_call);
		return -1;
	}
	adapter_init();
	rc = run_guarded(fn, c, true);
	if (rc == 0 && c->found)
		fwrite(out_capture.buf, 1, out_capture.len, out);
	return rc == 0 && c->found ? 0 : -1;
}

int xtadapter_save_match(enum family f, const void *ip,
			 const struct xt_entry_match *m, FILE *out)
{
	struct save_call c = { .ip = ip, .m = m };

	if (!adapter_sealed || adapter_ready)
		adapter_use(f); /* sealed: registers, loads nothing */
	snprintf(c.name, sizeof(c.name), "%.*s",
		 (int)sizeof(m->u.user.name) - 1, m->u.user.name);
	if (!valid_ext_name(c.name))
		return -1;
	return save_through(save_match_call, &c, out);
}

int xtadapter_save_target(enum family f, const void *ip,
			  const struct xt_entry_target *t, FILE *out)
{
	struct save_call c = { .ip = ip, .t = t };

	if (!adapter_sealed || adapter_ready)
		adapter_use(f); /* sealed: registers, loads nothing */
	snprintf(c.name, sizeof(c.name), "%.*s",
		 (int)sizeof(t->u.user.name) - 1, t->u.user.name);
	if (!valid_ext_name(c.name))
		return -1;
	return save_through(save_target_call, &c, out);
}

/* ---- where the kernel allows an extension ----------------------------- */

#define PRE (1u << NF_INET_PRE_ROUTING)
#define IN (1u << NF_INET_LOCAL_IN)
#define FWD (1u << NF_INET_FORWARD)
#define OUT (1u << NF_INET_LOCAL_OUT)
#define POST (1u << NF_INET_POST_ROUTING)
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP

/*
 * The table, hooks and protocols the kernel's xt_match/xt_target
 * registrations (or their checkentry functions, for the same reason
 * whatever the options) allow, as xt_check_match()/xt_check_target()
 * enforce them when a table is replaced.  Measured on this kernel
 * (6.18) with iptables-legacy in scratch namespaces, and kept true by
 * tests/kernel/restrictions.sh.  Sorted by name for bsearch; an extension
 * that is not listed is allowed everywhere.
 */
struct ext_limits {
	const char *name;
	bool target;
	const char *tables[2]; /* NULL: any table */
	unsigned hooks;	       /* 0: any hook */
	uint8_t protos[5];     /* 0-terminated; none: any protocol */
};

/* clang-format off */
static const struct ext_limits ext_limits[] = {
	/* name          target  tables                hooks          protocols */
	{ "CHECKSUM",    true,  { "mangle" },            0,              { 0 } },
	{ "CLASSIFY",    true,  { NULL },                FWD | OUT | POST, { 0 } },
	{ "CONNSECMARK", true,  { "mangle", "security" }, 0,             { 0 } },
	{ "CT",          true,  { "raw" },               0,              { 0 } },
	{ "DNAT",        true,  { "nat" },               PRE | OUT,      { 0 } },
	{ "DSCP",        true,  { "mangle" },            0,              { 0 } },
	{ "ECN",         true,  { "mangle" },            0,              { 0 } },
	{ "MASQUERADE",  true,  { "nat" },               POST,           { 0 } },
	{ "NETMAP",      true,  { "nat" },               0,              { 0 } },
	{ "NOTRACK",     true,  { "raw" },               0,              { 0 } },
	{ "REDIRECT",    true,  { "nat" },               PRE | OUT,      { 0 } },
	{ "REJECT",      true,  { "filter" },            IN | FWD | OUT, { 0 } },
	{ "SECMARK",     true,  { "mangle", "security" }, 0,             { 0 } },
	{ "SNAT",        true,  { "nat" },               IN | POST,      { 0 } },
	{ "SYNPROXY",    true,  { NULL },                IN | FWD,       { TCP } },
	{ "TCPMSS",      true,  { NULL },                0,              { TCP } },
	{ "TCPOPTSTRIP", true,  { "mangle" },            0,              { TCP } },
	{ "TOS",         true,  { "mangle" },            0,              { 0 } },
	{ "TPROXY",      true,  { "mangle" },            PRE,            { TCP, UDP } },
	{ "TRACE",       true,  { "raw" },               0,              { 0 } },
	{ "TTL",         true,  { "mangle" },            0,              { 0 } },
	{ "ah",          false, { NULL },                0,              { IPPROTO_AH } },
	{ "cgroup",      false, { NULL },                IN | OUT | POST, { 0 } },
	{ "dccp",        false, { NULL },                0,              { IPPROTO_DCCP } },
	{ "esp",         false, { NULL },                0,              { IPPROTO_ESP } },
	{ "ipcomp",      false, { NULL },                0,              { IPPROTO_COMP } },
	{ "mac",         false, { NULL },                PRE | IN | FWD, { 0 } },
	{ "multiport",   false, { NULL },                0,
	  { TCP, UDP, IPPROTO_UDPLITE, IPPROTO_SCTP, IPPROTO_DCCP } },
	{ "osf",         false, { NULL },                PRE | IN | FWD, { 0 } },
	{ "owner",       false, { NULL },                OUT | POST,     { 0 } },
	{ "realm",       false, { NULL },                IN | FWD | OUT | POST, { 0 } },
	{ "rpfilter",    false, { "raw", "mangle" },     PRE,            { 0 } },
	{ "sctp",        false, { NULL },                0,              { IPPROTO_SCTP } },
	{ "socket",      false, { NULL },                PRE | IN,       { 0 } },
	{ "tcpmss",      false, { NULL },                0,              { TCP } },
};
/* clang-format on */

static int ext_limits_cmp(const void *key, const void *elem)
{
	const struct ext_limits *k = key, *e = elem;
	int c = strcmp(k->name, e->name);

	return c ? c : (int)k->target - (int)e->target;
}

static const struct ext_limits *find_limits(const char *name, bool target)
{
	struct ext_limits key = { .name = name, .target = target };

	return bsearch(&key, ext_limits, ARRAY_SIZE(ext_limits),
		       sizeof(*ext_limits), ext_limits_cmp);
}

/* Chain names of the hooks in @mask ("INPUT, FORWARD and OUTPUT"),
 * written to @buf. */
static const char *hook_list(unsigned mask, char *buf, size_t n)
{
	static const char *const names[] = { "PREROUTING", "INPUT", "FORWARD",
					     "OUTPUT", "POSTROUTING" };
	unsigned left = (unsigned)__builtin_popcount(mask & 0x1f);
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned h = 0; h < ARRAY_SIZE(names); h++) {
		if (!(mask & (1u << h)) || len >= n)
			continue;
		left--;
		len += (size_t)snprintf(buf + len, n - len, "%s%s", names[h],
					left > 1 ? ", " :
					left	 ? " and " :
						   "");
	}
	return buf;
}

/* What the checks need of a rule's IP part, in either family (the -p
 * inversion bit is XT_INV_PROTO in both). */
struct rule_head {
	enum family family;
	uint16_t proto;
	uint8_t invflags;
};

static struct rule_head rule_head(enum family f, const struct entry *e)
{
	struct rule_head h = { .family = f };

	if (f == FAMILY_IPV6) {
		h.proto = entry_v6(e)->ipv6.proto;
		h.invflags = entry_v6(e)->ipv6.invflags;
	} else {
		h.proto = entry_v4(e)->ip.proto;
		h.invflags = entry_v4(e)->ip.invflags;
	}
	return h;
}

static bool proto_is(const struct rule_head *ip, uint8_t proto)
{
	return ip->proto == proto && !(ip->invflags & XT_INV_PROTO);
}

/* The registration limits of one extension; 0 or -1 with @why set. */
static int check_limits(const struct ext_limits *l, const char *kind,
			const char *table, unsigned hooks,
			const struct rule_head *ip, char *why, size_t n)
{
	char list[64];
	bool proto_ok = l->protos[0] == 0;

	if (l->tables[0] && strcmp(table, l->tables[0]) != 0 &&
	    !(l->tables[1] && strcmp(table, l->tables[1]) == 0)) {
		snprintf(why, n, "the %s %s is only valid in the %s table%s%s",
			 l->name, kind, l->tables[0],
			 l->tables[1] ? " and the " : "",
			 l->tables[1] ? l->tables[1] : "");
		return -1;
	}
	if (l->hooks && (hooks & ~l->hooks)) {
		snprintf(why, n,
			 "the %s %s cannot be used in %s: the kernel "
			 "allows it only in %s",
			 l->name, kind,
			 hook_list(hooks & ~l->hooks, list, sizeof(list)),
			 hook_list(l->hooks, (char[64]){ 0 }, 64));
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(l->protos) && l->protos[i]; i++)
		if (proto_is(ip, l->protos[i]))
			proto_ok = true;
	/* IPv6's ah match walks the extension headers: any -p. */
	if (ip->family == FAMILY_IPV6 && strcmp(l->name, "ah") == 0)
		proto_ok = true;
	if (!proto_ok) {
		const char *p = proto_match_name(l->protos[0]);

		snprintf(why, n, "the %s %s needs -p %s%s", l->name, kind,
			 p ? p : "?",
			 l->protos[1] ? " (or another protocol with ports)" :
					"");
		return -1;
	}
	return 0;
}

/* The entry's tcp match asks for SYN: what TCPMSS needs to see. */
static bool has_syn_match(enum family f, const struct entry *e)
{
	for (size_t off = entry_head_size(f);
	     off < entry_target_offset(f, e);) {
		const struct xt_entry_match *m = entry_match_at(e, off);
		const struct xt_tcp *tcp = (const void *)m->data;

		if (m->u.match_size < sizeof(*m))
			break;
		if (strcmp(m->u.user.name, "tcp") == 0 &&
		    (tcp->flg_cmp & 0x02) &&
		    !(tcp->invflags & XT_TCP_INV_FLAGS))
			return true;
		off += m->u.match_size;
	}
	return false;
}

/* Limits that depend on a target's options (the checkentry functions). */
static int check_target_options(const char *table, enum family f,
				const struct entry *e,
				const struct xt_entry_target *t, unsigned hooks,
				char *why, size_t n)
{
	const struct rule_head head = rule_head(f, e);
	const char *name = t->u.user.name;
	/* Hooks where the packet's route out is known. */
	const unsigned routed_hooks = FWD | OUT | POST;
	char list[64];

	if (strcmp(name, "TCPMSS") == 0 && t->u.user.revision == 0) {
		const struct xt_tcpmss_info *i = (const void *)t->data;

		if (i->mss == XT_TCPMSS_CLAMP_PMTU && (hooks & ~routed_hooks)) {
			snprintf(why, n,
				 "TCPMSS --clamp-mss-to-pmtu cannot be "
				 "used in %s: the kernel allows it "
				 "only in FORWARD, OUTPUT and "
				 "POSTROUTING",
				 hook_list(hooks & ~routed_hooks, list,
					   sizeof(list)));
			return -1;
		}
		if (!has_syn_match(f, e)) {
			snprintf(why, n,
				 "TCPMSS only works on TCP SYN packets: "
				 "add --syn or --tcp-flags SYN,RST SYN");
			return -1;
		}
	} else if (strcmp(name, "REJECT") == 0 && t->u.user.revision == 0) {
		const struct ipt_reject_info *i = (const void *)t->data;

		if (i->with == (f == FAMILY_IPV6 ? IP6T_TCP_RESET :
						   IPT_TCP_RESET) &&
		    !proto_is(&head, IPPROTO_TCP)) {
			snprintf(why, n,
				 "REJECT --reject-with tcp-reset needs "
				 "-p tcp");
			return -1;
		}
	} else if (strcmp(name, "SET") == 0 && t->u.user.revision == 3) {
		const struct xt_set_info_target_v3 *i = (const void *)t->data;

		if (!(i->flags &
		      (IPSET_FLAG_MAP_SKBPRIO | IPSET_FLAG_MAP_SKBQUEUE)))
			return 0;
		if (strcmp(table, "mangle") != 0) {
			snprintf(why, n,
				 "SET --map-prio and --map-queue are only "
				 "valid in the mangle table");
			return -1;
		}
		if (hooks & ~routed_hooks) {
			snprintf(why, n,
				 "SET --map-prio and --map-queue cannot be "
				 "used in %s: the kernel allows them only "
				 "in FORWARD, OUTPUT and POSTROUTING",
				 hook_list(hooks & ~routed_hooks, list,
					   sizeof(list)));
			return -1;
		}
	} else if (strcmp(name, "ECN") == 0 && t->u.user.revision == 0) {
		const struct ipt_ECN_info *i = (const void *)t->data;

		if ((i->operation &
		     (IPT_ECN_OP_SET_ECE | IPT_ECN_OP_SET_CWR)) &&
		    !proto_is(&head, IPPROTO_TCP)) {
			snprintf(why, n, "ECN --ecn-tcp-remove needs -p tcp");
			return -1;
		}
	}
	return 0;
}

/* A direction-bound option used in a hook without that direction. */
static int wrong_way(const char *what, unsigned bad, unsigned hooks, char *why,
		     size_t n)
{
	char list[64];

	if (!(hooks & bad))
		return 0;
	snprintf(why, n, "%s cannot be used in %s", what,
		 hook_list(hooks & bad, list, sizeof(list)));
	return -1;
}

/* Limits that depend on a match's options. */
static int check_match_options(const struct rule_head *head,
			       const struct xt_entry_match *m, unsigned hooks,
			       char *why, size_t n)
{
	const char *name = m->u.user.name;
	const unsigned in = PRE | IN;
	const unsigned out = OUT | POST;

	if (strcmp(name, "physdev") == 0 && m->u.user.revision == 0) {
		const struct xt_physdev_info *i = (const void *)m->data;

		if ((i->bitmask & (XT_PHYSDEV_OP_OUT | XT_PHYSDEV_OP_ISOUT)) &&
		    (!(i->bitmask & XT_PHYSDEV_OP_BRIDGED) ||
		     (i->invert & XT_PHYSDEV_OP_BRIDGED)))
			return wrong_way("--physdev-out and --physdev-is-out "
					 "(without --physdev-is-bridged)",
					 OUT, hooks, why, n);
	} else if (strcmp(name, "addrtype") == 0 && m->u.user.revision == 1) {
		const struct xt_addrtype_info_v1 *i = (const void *)m->data;

		if (i->flags & XT_ADDRTYPE_LIMIT_IFACE_IN)
			return wrong_way("addrtype --limit-iface-in", out,
					 hooks, why, n);
		if (i->flags & XT_ADDRTYPE_LIMIT_IFACE_OUT)
			return wrong_way("addrtype --limit-iface-out", in,
					 hooks, why, n);
	} else if (strcmp(name, "devgroup") == 0 && m->u.user.revision == 0) {
		const struct xt_devgroup_info *i = (const void *)m->data;

		if ((i->flags & XT_DEVGROUP_MATCH_SRC) &&
		    wrong_way("devgroup --src-group", out, hooks, why, n) < 0)
			return -1;
		if (i->flags & XT_DEVGROUP_MATCH_DST)
			return wrong_way("devgroup --dst-group", in, hooks, why,
					 n);
	} else if (strcmp(name, "rateest") == 0 && m->u.user.revision == 0) {
		const struct xt_rateest_match_info *i = (const void *)m->data;

		/* The kernel refuses these; and iptables-save would exit
		 * on a mode it has no word for. */
		if (i->mode < XT_RATEEST_MATCH_EQ ||
		    i->mode > XT_RATEEST_MATCH_GT) {
			snprintf(why, n,
				 "rateest needs one of --rateest-lt, "
				 "--rateest-gt and --rateest-eq");
			return -1;
		}
		if (!(i->flags &
		      (XT_RATEEST_MATCH_BPS | XT_RATEEST_MATCH_PPS))) {
			snprintf(why, n,
				 "rateest needs a rate to compare with "
				 "(--rateest-bps or --rateest-pps)");
			return -1;
		}
	} else if (strcmp(name, "ecn") == 0 && m->u.user.revision == 0) {
		const struct xt_ecn_info *i = (const void *)m->data;

		if ((i->operation &
		     (XT_ECN_OP_MATCH_ECE | XT_ECN_OP_MATCH_CWR)) &&
		    !proto_is(head, IPPROTO_TCP)) {
			snprintf(why, n,
				 "ecn --ecn-tcp-cwr and --ecn-tcp-ece "
				 "need -p tcp");
			return -1;
		}
	}
	return 0;
}

int xtadapter_check_entry(const char *table, unsigned hooks, enum family f,
			  const struct entry *e, char *why, size_t len,
			  int *which)
{
	const struct xt_entry_target *t = entry_target(f, e);
	const struct rule_head head = rule_head(f, e);
	const struct ext_limits *l;
	int index = 0;

	for (size_t off = entry_head_size(f); off < entry_target_offset(f, e);
	     index++) {
		const struct xt_entry_match *m = entry_match_at(e, off);

		if (m->u.match_size < sizeof(*m))
			break;
		*which = index;
		l = find_limits(m->u.user.name, false);
		if (l &&
		    check_limits(l, "match", table, hooks, &head, why, len) < 0)
			return -1;
		if (check_match_options(&head, m, hooks, why, len) < 0)
			return -1;
		off += m->u.match_size;
	}
	*which = -1;
	l = find_limits(t->u.user.name, true);
	if (l && check_limits(l, "target", table, hooks, &head, why, len) < 0)
		return -1;
	return check_target_options(table, f, e, t, hooks, why, len);
}
