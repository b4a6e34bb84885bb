/* Which contenders this build has: run.sh defines HAVE_* after probing for
   each library, so a missing one drops its contenders, not the benchmark. */
#include <stddef.h>
#include "bench.h"

extern const bench_contender ours_init_c, ours_noinit_c;
#ifdef HAVE_OURS_FAST
extern const bench_contender ours_fast_init_c, ours_fast_noinit_c;
#endif
#ifdef HAVE_OURS_HW
extern const bench_contender ours_hw_init_c, ours_hw_noinit_c;
#endif
#ifdef HAVE_CONV
extern const bench_contender conv_c;
#endif
#ifdef HAVE_OPENSSL
extern const bench_contender openssl_c, openssl_oneshot_c;
#endif
#ifdef HAVE_MBEDTLS
extern const bench_contender mbedtls_c, mbedtls_oneshot_c;
#endif

static const bench_contender *const all[] = {
    &ours_init_c, &ours_noinit_c,
#ifdef HAVE_OURS_FAST
    &ours_fast_init_c, &ours_fast_noinit_c,
#endif
#ifdef HAVE_OURS_HW
    &ours_hw_init_c, &ours_hw_noinit_c,
#endif
#ifdef HAVE_CONV
    &conv_c,
#endif
#ifdef HAVE_OPENSSL
    &openssl_c, &openssl_oneshot_c,
#endif
#ifdef HAVE_MBEDTLS
    &mbedtls_c, &mbedtls_oneshot_c,
#endif
};

const bench_contender *const *bench_contenders(size_t *n) {
  *n = sizeof all / sizeof all[0];
  return all;
}
