/* The timing program: checks every contender's answers, counts its heap
   allocations per operation, then times every (contender, operation) cell.

   Method: each cell's batch size is calibrated to about BENCH_MS
   milliseconds; then BENCH_ROUNDS rounds run every cell once each, in an
   order that rotates every round (so a slow spell of the machine is spread
   over all contenders instead of landing on one). A cell's figure is the
   median of its per-round ns/op, with min, max and the quartiles. Time is
   this thread's CPU time unless BENCH_CLOCK=wall.

   Usage: bench OUTDIR [CONTENDER...]
   Writes tab-separated results to stdout (see report.awk), progress to
   stderr, and the request/response bodies the Node script needs to OUTDIR.
   Exit status: 0 good; 1 a contender gave a wrong answer; 3 the library
   allocated from the heap. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "bench.h"
#include "alloc.h"

const bench_contender *const *bench_contenders(size_t *n);

typedef struct cell {
  const bench_contender *c;
  int op;
  long iters;
  double *ns; /* one per round */
  double allocs, bytes;
} cell;

/* BENCH_CLOCK=cpu (default): this thread's CPU time, so the time the
   scheduler gives to other programs on a busy machine is not counted;
   BENCH_CLOCK=wall: the monotonic clock. */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(clock_id, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static const char *pick_clock(void) {
  const char *want = getenv("BENCH_CLOCK");
#ifdef CLOCK_THREAD_CPUTIME_ID
  struct timespec ts;
  if ((!want || strcmp(want, "wall")) && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) {
    clock_id = CLOCK_THREAD_CPUTIME_ID;
    return "thread CPU time (CLOCK_THREAD_CPUTIME_ID)";
  }
#endif
  (void)want;
  return "wall time (CLOCK_MONOTONIC)";
}

static long env_long(const char *name, long dflt, long lo, long hi) {
  const char *s = getenv(name);
  long v;
  if (!s || !*s) return dflt;
  v = strtol(s, NULL, 10);
  return v < lo ? lo : v > hi ? hi : v;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* linear interpolation between order statistics, q in [0, 1] */
static double quantile(const double *sorted, int n, double q) {
  double pos = q * (n - 1);
  int i = (int)pos;
  if (i >= n - 1) return sorted[n - 1];
  return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

static void dump(const char *dir, const char *name, const char *s, size_t n) {
  char path[1024];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (!(f = fopen(path, "wb")) || fwrite(s, 1, n, f) != n || fclose(f)) {
    fprintf(stderr, "bench: cannot write %s\n", path);
    exit(2);
  }
}

static int wanted(const char *name, int argc, char **argv) {
  int i;
  if (argc < 3) return 1;
  for (i = 2; i < argc; i++)
    if (!strcmp(argv[i], name)) return 1;
  return 0;
}

static int fail_run(const cell *c) {
  printf("fail\t%s\t%s\trun reported a wrong result while timing\n", c->c->name,
         op_names[c->op]);
  fprintf(stderr, "!!! FAIL %s %s: wrong result while timing\n", c->c->name, op_names[c->op]);
  return 1;
}

int main(int argc, char **argv) {
  size_t nc, i, ncells = 0;
  const bench_contender *const *cs;
  static cell cells[256];
  long rounds = env_long("BENCH_ROUNDS", 41, 3, 1001);
  long ms = env_long("BENCH_MS", 3, 1, 1000);
  double target = (double)ms * 1e6, t0, est = 0;
  int op, bad = 0, r;
  char msg[512];

  if (argc < 2) {
    fprintf(stderr, "usage: bench OUTDIR [CONTENDER...]\n");
    return 2;
  }
  bench_data_init();
  dump(argv[1], "body1.xml", bench_body1, strlen(bench_body1));
  dump(argv[1], "body10.xml", bench_body10, strlen(bench_body10));
  dump(argv[1], "resp_ok.xml", bench_resp_ok, bench_resp_ok_len);
  dump(argv[1], "resp_fail.xml", bench_resp_fail, bench_resp_fail_len);
  dump(argv[1], "resp_wrong_key.xml", bench_resp_wrong_key, bench_resp_wrong_key_len);

  printf("info\tclock_c\t%s\n", pick_clock());
  printf("info\trounds\t%ld\n", rounds);
  printf("info\tbatch_ms\t%ld\n", ms);
  printf("info\talloc_counting\t%s\n", bench_alloc_counting ? "yes" : "no");
  for (op = 0; op < 4; op++)
    printf("info\tsign_string_len\t%s\t%lu\n", op_names[op],
           (unsigned long)bench_sign_string_len[op]);
  printf("info\tquery_v2_bytes\t%lu\n", (unsigned long)bench_query_v2_len);
  printf("info\tquery_v3_bytes\t%lu\n", (unsigned long)bench_query_v3_len);

  cs = bench_contenders(&nc);
  for (i = 0; i < nc; i++) {
    const bench_contender *c = cs[i];
    const char *why = "unknown";
    if (!wanted(c->name, argc, argv)) continue;
    if (c->setup(&why)) {
      printf("skip\t%s\tsetup failed: %s\n", c->name, why);
      fprintf(stderr, "!!! SKIPPED %s: setup failed: %s\n", c->name, why);
      continue;
    }
    printf("contender\t%s\t%s\t%s\n", c->name, c->label, c->info ? c->info() : "");
    for (op = 0; op < OP_COUNT; op++) {
      cell *ce;
      unsigned long long a0, b0;
      if (!c->supports(op)) continue;
      if (c->check(op, msg, sizeof msg)) {
        printf("fail\t%s\t%s\t%s\n", c->name, op_names[op], msg);
        fprintf(stderr, "!!! FAIL %s %s: %s\n", c->name, op_names[op], msg);
        bad = 1;
        continue;
      }
      if (ncells == sizeof cells / sizeof cells[0]) break;
      ce = &cells[ncells++];
      ce->c = c;
      ce->op = op;
      /* warm up, then count allocations over a fixed number of operations */
      if (c->run(op, 16)) return fail_run(ce);
      a0 = bench_alloc_calls;
      b0 = bench_alloc_bytes;
      if (c->run(op, 64)) return fail_run(ce);
      ce->allocs = (double)(bench_alloc_calls - a0) / 64.0;
      ce->bytes = (double)(bench_alloc_bytes - b0) / 64.0;
      /* calibrate the batch to about `target` ns; the fastest of three tries
         counts, so one preemption does not shrink the batch */
      ce->iters = 1;
      for (;;) {
        double t = 0;
        int k;
        for (k = 0; k < 3; k++) {
          double tk;
          t0 = now_ns();
          if (c->run(op, ce->iters)) return fail_run(ce);
          tk = now_ns() - t0;
          if (k == 0 || tk < t) t = tk;
        }
        if (t >= target / 8 || ce->iters > (1L << 28)) {
          double want = (double)ce->iters * target / (t > 1 ? t : 1);
          ce->iters = want < 1 ? 1 : (long)want;
          break;
        }
        ce->iters *= 2;
      }
      ce->ns = calloc((size_t)rounds, sizeof(double));
      if (!ce->ns) return 2;
    }
  }
  if (bad) {
    fprintf(stderr, "!!! a contender gave a wrong answer: no timing is reported for it\n");
  }
  est = (double)ncells * (double)rounds * target / 1e9;
  fprintf(stderr, "bench: %lu cells x %ld rounds x ~%ld ms = ~%.0f s\n",
          (unsigned long)ncells, rounds, ms, est);

  for (r = 0; r < rounds; r++) {
    size_t k;
    for (k = 0; k < ncells; k++) {
      cell *ce = &cells[(k + (size_t)r * 7) % ncells];
      t0 = now_ns();
      if (ce->c->run(ce->op, ce->iters)) return fail_run(ce);
      ce->ns[r] = (now_ns() - t0) / (double)ce->iters;
    }
    if (r % 5 == 4) fprintf(stderr, "bench: round %d/%ld\n", r + 1, rounds);
  }

  for (i = 0; i < ncells; i++) {
    cell *ce = &cells[i];
    int n = (int)rounds;
    qsort(ce->ns, (size_t)n, sizeof(double), cmp_double);
    printf("cell\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t", op_names[ce->op], ce->c->name,
           quantile(ce->ns, n, 0.5), ce->ns[0], ce->ns[n - 1], quantile(ce->ns, n, 0.25),
           quantile(ce->ns, n, 0.75));
    if (bench_alloc_counting) printf("%g\t%g", ce->allocs, ce->bytes);
    else printf("n/a\tn/a");
    printf("\t%ld\t%ld\n", ce->iters, rounds);
  }

  /* the library must never touch the heap */
  for (i = 0; i < ncells; i++) {
    const cell *ce = &cells[i];
    if (!strncmp(ce->c->name, "ours", 4) && bench_alloc_counting && ce->allocs != 0) {
      printf("fail\t%s\t%s\tallocated %g times per operation (must be 0)\n", ce->c->name,
             op_names[ce->op], ce->allocs);
      fprintf(stderr, "!!! FAIL %s %s: %g heap allocations per operation (must be 0)\n",
              ce->c->name, op_names[ce->op], ce->allocs);
      bad = 3;
    }
  }
  fflush(stdout);
  return bad;
}
