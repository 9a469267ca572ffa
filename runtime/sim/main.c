/* main.c - the ecs-sim program: serves a fleet on loopback until SIGINT or
 * SIGTERM.
 *
 *   ecs-sim [--listen 127.0.0.1:PORT] [--latency-ms N] [--quiet]
 *           [--tls-cert FILE --tls-key FILE] FLEET.json
 *
 * The first stdout line is exactly "listening on http://127.0.0.1:PORT"
 * ("https://" with --tls-cert/--tls-key: PEM files, served through
 * libmicrohttpd's GnuTLS) and is flushed, so a parent can read the port. Exit status: 0 after a signal,
 * 2 for bad usage or a bad fleet (the message names the field), 1 when the
 * simulator cannot start (e.g. the port is taken).
 *
 * Signals are blocked before the simulator starts (its threads inherit the
 * mask) and taken synchronously with sigwait: no handler runs anywhere.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "file.h"
#include "sim.h"
#include "version.h"

static const char usage[] =
    "usage: ecs-sim [--listen 127.0.0.1:PORT] [--latency-ms N] [--quiet]\n"
    "               [--tls-cert FILE --tls-key FILE] FLEET.json\n"
    "       ecs-sim --version | --help\n"
    "FLEET.json: at most 64 MiB, each key once per object (docs/fleet.md).\n";

/* Parses argv into o and *fleet. Returns -1 to go on, else the exit status
 * (0 after --help/--version, 2 after a usage error it reported). */
static int parse_args(int argc, char **argv, ecs_sim_opts *o, const char **fleet) {
  char *end;
  int i;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      o->listen = argv[++i];
    } else if (strcmp(argv[i], "--latency-ms") == 0 && i + 1 < argc) {
      long v = strtol(argv[++i], &end, 10);
      if (*end || end == argv[i] || v < 0 || v > 3600000) {
        fprintf(stderr, "ecs-sim: --latency-ms: expected milliseconds, got '%s'\n%s", argv[i], usage);
        return 2;
      }
      o->latency_ms = (int)v;
    } else if (strcmp(argv[i], "--tls-cert") == 0 && i + 1 < argc) {
      o->tls_cert_file = argv[++i];
    } else if (strcmp(argv[i], "--tls-key") == 0 && i + 1 < argc) {
      o->tls_key_file = argv[++i];
    } else if (strcmp(argv[i], "--quiet") == 0) {
      o->quiet = 1;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--version") == 0) {
      printf("ecs-sim %s (libmicrohttpd %s)\n", ECS_VERSION, MHD_get_version());
      return 0;
    } else if (argv[i][0] == '-' || *fleet) {
      fprintf(stderr, "ecs-sim: unexpected argument '%s'\n%s", argv[i], usage);
      return 2;
    } else {
      *fleet = argv[i];
    }
  }
  if (!*fleet) {
    fputs(usage, stderr);
    return 2;
  }
  if (!o->tls_cert_file != !o->tls_key_file) {
    fprintf(stderr, "ecs-sim: --tls-cert and --tls-key go together\n%s", usage);
    return 2;
  }
  return -1;
}

int main(int argc, char **argv) {
  ecs_sim_opts o = {.latency_ms = -1};
  const char *fleet = NULL;
  char err[512];
  ecs_buf text = {0};
  sigset_t set;
  ecs_sim *s;
  int i, sig;
  if ((i = parse_args(argc, argv, &o, &fleet)) >= 0) return i;
  if ((i = ecs_file_read(fleet, ECS_SIM_FLEET_MAX_BYTES, &text)) != 0) {
    if (i == ECS_FILE_TOO_LARGE)
      fprintf(stderr, "ecs-sim: %s: (top level): larger than %zu MiB\n", fleet,
              ECS_SIM_FLEET_MAX_BYTES >> 20);
    else
      fprintf(stderr, "ecs-sim: %s: cannot read\n", fleet);
    return 2;
  }
  i = ecs_sim_check_fleet(text.data, text.len, err, sizeof err);
  if (i < 0) {
    /* err is "fleet: <field>: <problem>"; name the file instead */
    fprintf(stderr, "ecs-sim: %s: %s\n", fleet, strncmp(err, "fleet: ", 7) == 0 ? err + 7 : err);
    ecs_buf_wipe(&text); /* a fleet holds key secrets */
    return 2;
  }
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
    fprintf(stderr, "ecs-sim: cannot block signals\n");
    ecs_buf_wipe(&text); /* a fleet holds key secrets */
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  s = ecs_sim_start(text.data, text.len, &o, err, sizeof err);
  ecs_buf_wipe(&text); /* a fleet holds key secrets */
  if (!s) {
    fprintf(stderr, "ecs-sim: %s\n", err);
    return 1;
  }
  printf("listening on %s\n", ecs_sim_url(s));
  fflush(stdout);
  do {
    if (sigwait(&set, &sig) != 0) sig = SIGTERM;
  } while (sig != SIGINT && sig != SIGTERM);
  ecs_sim_stop(s);
  return 0;
}
