/* sim.h - the ECS simulator (libmicrohttpd on loopback), usable in-process
 * (ecsrun --simulate, the Lua module's ecs.sim) and as the ecs-sim program.
 */
#ifndef ECS_SIM_H
#define ECS_SIM_H

#include <stddef.h>

typedef struct ecs_sim ecs_sim;

typedef struct ecs_sim_opts {
  const char *listen;  /* "127.0.0.1:PORT" (PORT 0 = any free port); NULL = "127.0.0.1:0" */
  int latency_ms;      /* < 0: take the fleet's latency_ms */
  int quiet;           /* no request log on stderr */
  /* HTTPS: PEM files of the server certificate (chain) and its private key,
   * both or neither; NULL (zero) serves plain http. */
  const char *tls_cert_file, *tls_key_file;
} ecs_sim_opts;

/* Loads a fleet (JSON text of n bytes, or a file) and starts serving.
 * On failure returns NULL and writes a one-line message naming the bad field
 * (e.g. "fleet: instances[2].Status: expected one of Pending, Running, ...")
 * into err; "tls: ..." when a TLS file is unreadable, only one of the pair is
 * given or libmicrohttpd has no TLS; a pair GnuTLS rejects is reported with
 * the listen failure (MHD does not tell them apart). */
ecs_sim *ecs_sim_start(const char *fleet_json, size_t n, const ecs_sim_opts *o,
                       char *err, size_t errlen);
ecs_sim *ecs_sim_start_file(const char *path, const ecs_sim_opts *o, char *err,
                            size_t errlen);
/* Fleet files larger than this are refused (before they are read whole). */
#define ECS_SIM_FLEET_MAX_BYTES ((size_t)64 << 20)

/* Validates a fleet without serving: 0, or -1 with err set. */
int ecs_sim_check_fleet(const char *fleet_json, size_t n, char *err, size_t errlen);

int ecs_sim_port(const ecs_sim *s);
/* "http://127.0.0.1:PORT", or "https://127.0.0.1:PORT" when serving TLS */
const char *ecs_sim_url(const ecs_sim *s);
/* The first account's key pair (for --simulate's default credentials). */
const char *ecs_sim_access_key_id(const ecs_sim *s);
const char *ecs_sim_access_key_secret(const ecs_sim *s);
/* Moves the simulator's clock forward by ms (its windows, timestamps and
 * Starting -> Running all follow it; for time-scaled rehearsals) and returns
 * its new time in epoch milliseconds. */
long long ecs_sim_advance(ecs_sim *s, long long ms);
/* Stops serving and frees everything. NULL is fine. */
void ecs_sim_stop(ecs_sim *s);

#endif
