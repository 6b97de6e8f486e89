/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bigmem.h - large zeroed buffers, backed by transparent huge pages where
 * the kernel allows it (THP "madvise" mode, as Debian's default).
 *
 * A 100 000-rule config is tens of MiB of text and of entries.  Touching
 * that memory 4 KiB at a time costs one page fault per page, and on a
 * virtual machine a page fault is dear: in huge pages it is one per 2 MiB.
 */
#ifndef IPTLOAD_BIGMEM_H
#define IPTLOAD_BIGMEM_H

#include <stddef.h>

/* The huge page size asked for, and the least size worth a mapping. */
#define BIGMEM_PAGE ((size_t)2 << 20)

/* @size zeroed bytes; *@mapped is what bigmem_free needs (at least
 * @size).  Aborts when out of memory, as the other allocations do. */
void *bigmem_alloc(size_t size, size_t *mapped);
void bigmem_free(void *p, size_t mapped);

#endif
