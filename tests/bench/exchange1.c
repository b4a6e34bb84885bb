/* One operation of one contender, for valgrind --tool=callgrind:

     exchange1 CONTENDER [OP [N]]      (OP defaults to exchange, N to 1)

   The contender is set up, its answer checked, and the operation run a few
   times to warm up (lazy library initialisation, first-use tables); then
   bench_measured() runs it N times. Run callgrind with
   --collect-atstart=no --toggle-collect=bench_measured so only those N
   operations are counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

const bench_contender *const *bench_contenders(size_t *n);

#if defined(__GNUC__)
__attribute__((noinline))
#endif
int bench_measured(const bench_contender *c, int op, long n);

int bench_measured(const bench_contender *c, int op, long n) { return c->run(op, n); }

int main(int argc, char **argv) {
  size_t nc, i;
  const bench_contender *const *cs = bench_contenders(&nc);
  const char *why = "unknown";
  char msg[512];
  int op = OP_EXCHANGE;
  long n = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
  if (argc < 2) {
    fprintf(stderr, "usage: exchange1 CONTENDER [OP [N]]\n");
    return 2;
  }
  if (argc > 2) {
    for (op = 0; op < OP_COUNT && strcmp(op_names[op], argv[2]); op++) {
    }
    if (op == OP_COUNT) {
      fprintf(stderr, "exchange1: no operation %s\n", argv[2]);
      return 2;
    }
  }
  bench_data_init();
  for (i = 0; i < nc; i++) {
    const bench_contender *c = cs[i];
    if (strcmp(c->name, argv[1])) continue;
    if (!c->supports(op)) {
      fprintf(stderr, "exchange1: %s does not do %s\n", c->name, op_names[op]);
      return 2;
    }
    if (c->setup(&why) || c->check(op, msg, sizeof msg) || c->run(op, 5)) {
      fprintf(stderr, "exchange1: %s %s failed\n", c->name, op_names[op]);
      return 1;
    }
    if (bench_measured(c, op, n < 1 ? 1 : n)) return 1;
    printf("%s %s x%ld ok\n%s\n", c->name, op_names[op], n, c->info ? c->info() : "");
    return 0;
  }
  fprintf(stderr, "exchange1: no contender %s\n", argv[1]);
  return 2;
}
