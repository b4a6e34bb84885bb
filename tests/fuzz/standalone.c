/* standalone.c -- a main() for the fuzz targets without libFuzzer, so any
   compiler (gcc, s390x cross, valgrind runs) can replay the seed and
   regression corpora through the same property checks:
       cc ... tests/fuzz/fuzz_parse.c tests/fuzz/standalone.c -o replay_parse
       ./replay_parse FILE...
   Each file is one input. A violated property aborts (non-zero exit). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv) {
  int i;
  for (i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    unsigned char *buf;
    long n;
    if (!f) { perror(argv[i]); return 2; }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
      fclose(f);
      return 2;
    }
    buf = (unsigned char *)malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) { fclose(f); return 2; }
    fclose(f);
    /* an exact-size copy, as libFuzzer gives it */
    {
      unsigned char *exact = (unsigned char *)malloc((size_t)n ? (size_t)n : 1);
      size_t k;
      if (!exact) return 2;
      for (k = 0; k < (size_t)n; k++) exact[k] = buf[k];
      LLVMFuzzerTestOneInput(exact, (size_t)n);
      free(exact);
    }
    free(buf);
  }
  return 0;
}
