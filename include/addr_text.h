/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * addr_text.h - IPv4 and IPv6 addresses from text, as inet_pton(3) reads
 * them, but on a counted string and without its per-call overhead: the
 * builder and the splitter read four or more addresses of every rule.
 * They take exactly what glibc's inet_pton takes and refuse exactly what
 * it refuses (tests/unit/test_addr_text.c compares them with it).
 */
#ifndef IPTLOAD_ADDR_TEXT_H
#define IPTLOAD_ADDR_TEXT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A dotted quad: four decimal numbers 0-255 without leading zeros, as
 * inet_pton(AF_INET) takes them.  @s need not end at @len.  Returns true
 * and sets *@out (when not NULL), or false and leaves it alone.
 */
bool addr_text_v4(const char *s, size_t len, struct in_addr *out);

/*
 * An IPv6 address as inet_pton(AF_INET6) takes it: up to eight groups of
 * one to four hex digits, one "::" for a run of zero groups, and an
 * optional dotted quad in place of the last two groups.  Returns true and
 * sets *@out (when not NULL), or false and leaves it alone.
 */
bool addr_text_v6(const char *s, size_t len, struct in6_addr *out);

#endif
