/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * oplog.c - the syslog lines.  Facility LOG_AUTH: a firewall change is a
 * change of who may reach the machine, and that is where admins look for
 * such changes (auth.log; `journalctl -t iptload`).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "oplog.h"

/* Append printf text to @buf at *@len, never past @size. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n;
}

/* The changes of one table, as "+2 -1 rules, 1 chain added". */
static void describe_table(const struct commit_table_report *t, char *buf,
			   size_t size, size_t *len)
{
	const char *sep = "";

#define PART(cond, ...)                                      \
	do {                                                 \
		if (cond) {                                  \
			append(buf, size, len, "%s", sep);   \
			append(buf, size, len, __VA_ARGS__); \
			sep = ", ";                          \
		}                                            \
	} while (0)
	PART(t->created, "not loaded before");
	PART(t->committed, "+%u -%u rules", t->rules_added, t->rules_removed);
	PART(t->chains_added, "%u chain%s added", t->chains_added,
	     t->chains_added == 1 ? "" : "s");
	PART(t->chains_removed, "%u chain%s removed", t->chains_removed,
	     t->chains_removed == 1 ? "" : "s");
	PART(t->policies_changed, "%u polic%s changed", t->policies_changed,
	     t->policies_changed == 1 ? "y" : "ies");
#undef PART
}

bool oplog_changed(const struct commit_report *r)
{
	for (unsigned i = 0; i < r->ntables; i++)
		if (r->tables[i].committed || r->tables[i].created)
			return true;
	return false;
}

void oplog_describe(const struct commit_report *r, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < r->ntables; i++) {
		const struct commit_table_report *t = &r->tables[i];

		if (!t->committed && !t->created)
			continue;
		append(buf, size, &len, "%s%s%s: ", len ? "; " : "", t->name,
		       family_suffix(t->family));
		describe_table(t, buf, size, &len);
	}
	if (len == 0)
		snprintf(buf, size, "no change");
}

void oplog_who(char *buf, size_t size)
{
	/* Anyone can set SUDO_USER; sudo runs its command with a real uid
	 * of 0, so only then can it have been sudo that set it. */
	const char *sudo = getuid() == 0 ? getenv("SUDO_USER") : NULL;

	if (sudo && sudo[0])
		snprintf(buf, size, "uid %u (sudo from %s)", (unsigned)getuid(),
			 sudo);
	else
		snprintf(buf, size, "uid %u", (unsigned)getuid());
}

static void oplog_vlog(int priority, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* @text with control bytes and backslashes as \xNN and \\: a file name
 * or SUDO_USER holding a newline must not forge a second log line. */
static char *escape_controls(const char *text)
{
	char *out = malloc(strlen(text) * 4 + 1), *to = out;

	if (!out)
		abort();
	for (const char *p = text; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			to += sprintf(to, "\\x%02x", c);
		else if (c == '\\')
			to += sprintf(to, "\\\\");
		else
			*to++ = (char)c;
	}
	*to = '\0';
	return out;
}

static void oplog_vlog(int priority, const char *fmt, va_list ap)
{
	char *text, *clean;

	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	clean = escape_controls(text);
	openlog("iptload", LOG_PID, LOG_AUTH);
	syslog(priority, "%s", clean);
	closelog();
	free(clean);
	free(text);
}

void oplog_message(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	oplog_vlog(priority, fmt, ap);
	va_end(ap);
}

void oplog_apply(const char *file, const struct commit_report *r,
		 int confirm_seconds)
{
	char what[768], who[160], wait[96] = "";

	if (!oplog_changed(r))
		return;
	oplog_describe(r, what, sizeof(what));
	oplog_who(who, sizeof(who));
	if (confirm_seconds > 0)
		snprintf(wait, sizeof(wait),
			 "; rolled back in %d s unless confirmed",
			 confirm_seconds);
	oplog_message(LOG_NOTICE, "applied %s: %s; by %s%s", file, what, who,
		      wait);
}
