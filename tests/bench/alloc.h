#ifndef BENCH_ALLOC_H
#define BENCH_ALLOC_H
/* Counted by alloc.c since the program started. */
extern unsigned long long bench_alloc_calls, bench_alloc_bytes;
/* 0 when this platform's malloc could not be interposed. */
extern int bench_alloc_counting;
#endif
