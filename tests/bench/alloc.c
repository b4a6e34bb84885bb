/* Heap allocation counter, linked into the timing program only.

   -Wl,--wrap=malloc would only see calls made from objects linked into this
   program, not the ones made inside libcrypto, libxml2 or libcjson (shared
   libraries call malloc through the dynamic linker). So this file defines the
   malloc family in the executable itself: the dynamic linker then binds every
   library's malloc to these (the interposition glibc documents under
   "Replacing malloc"), and they count and forward to glibc's own entry
   points. No LD_PRELOAD. Every call that hands out memory counts as one
   allocation (malloc, calloc, realloc, the aligned ones); free does not. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <errno.h>
#include "alloc.h"

unsigned long long bench_alloc_calls, bench_alloc_bytes;

#if defined(__GLIBC__) && !defined(BENCH_NO_ALLOC_COUNT)
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t a, size_t b);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

int bench_alloc_counting = 1;

#define COUNT(n) (bench_alloc_calls++, bench_alloc_bytes += (n))

void *malloc(size_t n) {
  COUNT(n);
  return __libc_malloc(n);
}

void *calloc(size_t a, size_t b) {
  COUNT(a * b);
  return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n) {
  COUNT(n);
  return __libc_realloc(p, n);
}

void free(void *p) { __libc_free(p); }

void *memalign(size_t align, size_t n) {
  COUNT(n);
  return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n) {
  COUNT(n);
  return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n) {
  void *p;
  if (align < sizeof(void *) || (align & (align - 1))) return EINVAL;
  COUNT(n);
  p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

void *valloc(size_t n) {
  COUNT(n);
  return __libc_memalign(4096, n);
}

void *pvalloc(size_t n) {
  COUNT(n);
  return __libc_memalign(4096, (n + 4095) & ~(size_t)4095);
}
#else
int bench_alloc_counting = 0; /* not glibc: allocations are reported as n/a */
#endif
