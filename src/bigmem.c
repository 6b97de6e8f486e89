/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bigmem.c - large zeroed buffers in huge pages (see bigmem.h).
 *
 * A mapping of whole 2 MiB units, aligned to 2 MiB, with MADV_HUGEPAGE:
 * the advice is only advice, and without it (THP "never", or no huge page
 * free) the memory is the same, only slower to touch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bigmem.h"

void *bigmem_alloc(size_t size, size_t *mapped)
{
	size_t len = (size + BIGMEM_PAGE - 1) / BIGMEM_PAGE * BIGMEM_PAGE;
	size_t over = len + BIGMEM_PAGE;
	char *p = mmap(NULL, over, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *start;

	if (p == MAP_FAILED)
		abort();
	/* Keep the 2 MiB-aligned part only: a huge page must be aligned. */
	start = (char *)(((uintptr_t)p + BIGMEM_PAGE - 1) &
			 ~(uintptr_t)(BIGMEM_PAGE - 1));
	if (start > p)
		munmap(p, (size_t)(start - p));
	if (start + len < p + over)
		munmap(start + len, (size_t)(p + over - (start + len)));
	madvise(start, len, MADV_HUGEPAGE);
	*mapped = len;
	return start;
}

void bigmem_free(void *p, size_t mapped)
{
	if (p)
		munmap(p, mapped);
}
