/* ecsrun_opts.h - ecsrun's exit codes and its parsed command line
 * (ecsrun_opts.c), shared with the runner (ecsrun.c). */
#ifndef ECS_ECSRUN_OPTS_H
#define ECS_ECSRUN_OPTS_H

enum { EXIT_OK = 0, EXIT_SCRIPT = 1, EXIT_USAGE = 2, EXIT_CONFIG = 3 };

/* The name messages start with. */
extern const char *progname;

typedef struct opts {
  const char *region, *profile, *endpoint, *signature, *simulate, *log, *audit, *ca_file;
  const char *qps, *concurrency;
  const char *exec; /* -e */
  int dry_run, verbose, quiet, insecure_http;
  int script; /* index of the script in argv, or 0 */
} opts;

/* Parses argv into o (zeroed by the caller). Returns 0, 1 when it printed
 * --help/--version, or -1 on a usage error (already reported on stderr). */
int ecsrun_parse_args(int argc, char **argv, opts *o);

#endif
