/* main.c -- the driver: the process made safe for secrets, the command
   run (close, query or verify, over APIv2 or APIv3), and an exit status
   that is only "done" once the result reached stdout. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h> /* setrlimit(RLIMIT_CORE) */
#endif
#ifdef __linux__
#include <sys/prctl.h> /* prctl(PR_SET_DUMPABLE) */
#endif
#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

/* At start, before any secret is read: no core file of this process (it
   would hold the key; a core_pattern that pipes to a program ignores
   RLIMIT_CORE, hence PR_SET_DUMPABLE too, which also stops other processes
   of the same user from attaching to it or reading its memory), and a
   closed pipe on stdout is a write error (EPIPE) that finish_output()
   reports, not a silent death by SIGPIPE. */
static void harden_process(void) {
#if defined(__unix__) || defined(__APPLE__)
  struct rlimit none;
  none.rlim_cur = 0;
  none.rlim_max = 0;
  (void)setrlimit(RLIMIT_CORE, &none);
#endif
#ifdef __linux__
  (void)prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
#endif
#ifdef SIGPIPE
  (void)signal(SIGPIPE, SIG_IGN);
#endif
}

/* Flushes and closes stdout. Any write that failed (stdio keeps the error:
   a full disk, a closed pipe) turns the exit status into EXIT_INTERNAL, with
   one line on stderr naming the status it replaces: a script never reads
   "done" from a result it was not given. */
static int finish_output(int status) {
  int failed = ferror(stdout), err = 0;
  if (fflush(stdout) != 0) {
    failed = 1;
    err = errno;
  }
  if (fclose(stdout) != 0 && !failed) {
    failed = 1;
    err = errno;
  }
  if (!failed) return status;
  fprintf(stderr, PROG ": cannot write the result to standard output (%s): exit status %d "
          "instead of %d\n", err ? strerror(err) : "an earlier write failed", EXIT_INTERNAL, status);
  return EXIT_INTERNAL;
}

/* The command the options name, with the keys it needs loaded and wiped
   (or freed) after. */
static int run_command(cli_context *ctx) {
  const cli_opts *o = &ctx->opts;
  int rc;
#ifndef CLI_RSA_NONE
  if (o->v3) {
    if ((rc = load_v3_keys(ctx)) == 0) rc = o->query ? run_query_v3(ctx) : run_close_v3(ctx);
    free_v3_keys(ctx); /* the private key: freed and wiped by the adapter */
    wipe(ctx->work, sizeof ctx->work);
    return rc;
  }
#endif
  if ((rc = load_key(ctx)) == 0)
    rc = o->verify ? run_verify(ctx) : o->query ? run_query(ctx) : run_close(ctx);
  wipe(ctx->key, sizeof ctx->key);
  wipe(ctx->work, sizeof ctx->work);
  return rc;
}

static int run(cli_context *ctx, int argc, char **argv) {
  int i, rc;
#ifdef _WIN32
  /* bytes as they are, no CR LF translation: --dry-run prints the exact
     body, verify checks the signature over the bytes received */
  (void)_setmode(_fileno(stdin), _O_BINARY);
  (void)_setmode(_fileno(stdout), _O_BINARY);
#endif
  /* the result in one write at exit (--help is 9 KB): finish_output()
     then sees that write's own error, not a failure stdio met earlier and
     kept no errno of */
  (void)setvbuf(stdout, ctx->stdout_buffer, _IOFBF, sizeof ctx->stdout_buffer);
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { print_help(); return 0; }
    if (!strcmp(argv[i], "--version")) { print_version(); return 0; }
    if (!strcmp(argv[i], "--json")) ctx->json_errors = 1;
  }
  if (argc < 2) { /* a usage error like any other: one line, not the help */
    fputs(PROG ": missing command or options; try '" PROG " --help'\n", stderr);
    return EXIT_USAGE;
  }
  if ((rc = parse_args(ctx, argc, argv)) != 0) return rc;
  return run_command(ctx);
}

int main(int argc, char **argv) {
  /* The run's state, about 240 KB (the work buffer, a PEM file or the body
     verify reads, stdout's buffer): static rather than on a stack that may
     be 1 MB or less (Windows' main thread); main() is its only owner and
     passes it by pointer, so no other function reaches it as a global. */
  static cli_context ctx;
  harden_process();
  return finish_output(run(&ctx, argc, argv));
}
