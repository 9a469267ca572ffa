/* ecsrun.c - the ecsrun CLI, modelled on lua.c: a protected main, a message
 * handler that adds a traceback, `arg` as lua sets it, -e, and the options of
 * DESIGN.md that configure the `ecs` module's default client.
 *
 * Exit codes: 0 ok, 1 the script failed, 2 usage (or a bad fleet file),
 * 3 configuration or credentials. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "lecs.h"
#include "sim.h"

#include <lualib.h>

enum { EXIT_OK = 0, EXIT_SCRIPT = 1, EXIT_USAGE = 2, EXIT_CONFIG = 3 };

static const char *progname = "ecsrun";

typedef struct opts {
  const char *region, *profile, *endpoint, *signature, *simulate, *log, *audit, *ca_file;
  const char *qps, *concurrency;
  const char *exec; /* -e */
  int dry_run, verbose, quiet, insecure_http;
  int script; /* index of the script in argv, or 0 */
} opts;

static void usage(FILE *f) {
  fprintf(f,
          "usage: %s [options] script.lua [args...]\n"
          "       %s [options] -e 'lua code' [args...]\n"
          "Runs a Lua policy script with the `ecs` module (also the global `ecs`).\n"
          "Options:\n"
          "  --region R          default region (else ALIBABA_CLOUD_REGION_ID)\n"
          "  --profile P         credentials profile\n"
          "  --endpoint URL      ECS endpoint (https://..., or http:// on loopback)\n"
          "  --signature v3|v1   request signature version (default v3)\n"
          "  --qps N             client-side rate limit per access key, region and action\n"
          "  --concurrency N     default concurrency of ecs.parallel (default 16)\n"
          "  --simulate FLEET    run against a built-in ECS simulator seeded from FLEET.json\n"
          "  --dry-run           do not send mutating calls; they return err.code EDRYRUN\n"
          "  --audit FILE        append one fsync'd JSON line per mutating call (intent, outcome);\n"
          "                      a call whose intent cannot be written is not sent (EAUDIT, exit 3)\n"
          "  --ca-file FILE      CA bundle for TLS verification\n"
          "  --insecure-http     allow plain http:// to non-loopback endpoints\n"
          "  --log text|json     log format on stderr (default text)\n"
          "  -v                  verbose (debug log)\n"
          "  -q                  quiet (warnings and errors only)\n"
          "  -e CODE             run CODE instead of a script\n"
          "  --version           print the version\n"
          "  --help              print this help\n"
          "Exit codes: 0 ok, 1 script failed, 2 usage, 3 configuration, credentials or audit.\n"
          "Environment (credentials: the first source that has them wins; man ecsrun):\n"
          "  ALIBABA_CLOUD_REGION_ID                 default region (also ALIBABACLOUD_REGION_ID,\n"
          "                                          ALICLOUD_REGION_ID)\n"
          "  ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET,\n"
          "  ALIBABA_CLOUD_SECURITY_TOKEN            keys (also ALIBABACLOUD_*, ALICLOUD_*, unprefixed)\n"
          "  ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN,\n"
          "  ALIBABA_CLOUD_OIDC_TOKEN_FILE           OIDC role (also ALIBABACLOUD_*)\n"
          "  ALIBABA_CLOUD_ROLE_SESSION_NAME         session name for assumed roles\n"
          "  ALIBABA_CLOUD_PROFILE                   profile of ~/.aliyun/config.json (also\n"
          "                                          ALIBABACLOUD_PROFILE, ALICLOUD_PROFILE)\n"
          "  ALIBABA_CLOUD_IGNORE_PROFILE, ALIBABA_CLOUD_CLI_PROFILE_DISABLED  skip config files\n"
          "  ALIBABA_CLOUD_CREDENTIALS_FILE          instead of ~/.alibabacloud/credentials\n"
          "  ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS  refuse External (process) profiles\n"
          "  ECSRUN_CREDENTIALS_PROCESS_TIMEOUT      seconds for such a process\n"
          "  ALIBABA_CLOUD_ECS_METADATA              RAM role name on an ECS instance\n"
          "  ALIBABA_CLOUD_ECS_METADATA_DISABLED     do not ask the metadata service\n"
          "  ALIBABA_CLOUD_IMDSV1_DISABLED           no IMDSv1 fallback\n"
          "  ECSRUN_METADATA_ENDPOINT                instead of http://100.100.100.200\n"
          "  ALIBABA_CLOUD_CREDENTIALS_URI           credentials from this URL\n"
          "  ALIBABA_CLOUD_STS_ENDPOINT, ALIBABA_CLOUD_STS_REGION,\n"
          "  ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED      where roles are assumed\n"
          "  HOME                                    finds ~/.aliyun and ~/.alibabacloud\n"
          "  https_proxy, http_proxy, no_proxy       as libcurl reads them (never for loopback)\n"
          "Examples:\n"
          "  %s --simulate fleet.json playbook.lua        rehearse against a simulator\n"
          "  %s --dry-run --region cn-hangzhou playbook.lua   plan: nothing mutating is sent\n"
          "  %s --audit run.audit --qps 20 reactivate_expired.lua cn-hangzhou\n"
          "  %s -e 'print(ecs.json.encode(ecs.credentials()))'   who am I\n",
          progname, progname, progname, progname, progname, progname);
}

static int usage_error(const char *fmt, const char *what) {
  fprintf(stderr, "%s: ", progname);
  fprintf(stderr, fmt, what);
  fprintf(stderr, "\n(try '%s --help')\n", progname);
  return -1;
}

/* Parses argv into o. Returns 0, 1 when it printed --help/--version, or -1
 * on a usage error (already reported). */
static int parse_args(int argc, char **argv, opts *o) {
  int i;
  static const struct {
    const char *name;
    size_t off;
  } valued[] = {
      {"--region", offsetof(opts, region)},     {"--profile", offsetof(opts, profile)},
      {"--endpoint", offsetof(opts, endpoint)}, {"--signature", offsetof(opts, signature)},
      {"--simulate", offsetof(opts, simulate)}, {"--log", offsetof(opts, log)},
      {"--audit", offsetof(opts, audit)},       {"--ca-file", offsetof(opts, ca_file)},
      {"--qps", offsetof(opts, qps)},           {"--concurrency", offsetof(opts, concurrency)},
      {"-e", offsetof(opts, exec)},
  };
  for (i = 1; i < argc; i++) {
    const char *a = argv[i];
    size_t k;
    int matched = 0;
    if (a[0] != '-' || strcmp(a, "-") == 0) break; /* the script */
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 1;
    }
    if (strcmp(a, "--version") == 0) {
      printf("ecsrun %s (%s, libcurl %s)\n", ECS_VERSION, LUA_RELEASE,
             curl_version_info(CURLVERSION_NOW)->version);
      return 1;
    }
    if (strcmp(a, "--dry-run") == 0) { o->dry_run = 1; continue; }
    if (strcmp(a, "--insecure-http") == 0) { o->insecure_http = 1; continue; }
    if (strcmp(a, "-v") == 0) { o->verbose = 1; continue; }
    if (strcmp(a, "-q") == 0) { o->quiet = 1; continue; }
    for (k = 0; k < sizeof valued / sizeof valued[0]; k++) {
      size_t n = strlen(valued[k].name);
      const char **slot = (const char **)((char *)o + valued[k].off);
      if (strcmp(a, valued[k].name) == 0) {
        if (i + 1 >= argc) return usage_error("option '%s' needs a value", a);
        *slot = argv[++i];
        matched = 1;
      } else if (strncmp(a, valued[k].name, n) == 0 && a[n] == '=' && n > 2) {
        *slot = a + n + 1;
        matched = 1;
      }
      if (matched) break;
    }
    if (!matched) return usage_error("unknown option '%s'", a);
  }
  if (i < argc) o->script = i;
  if (!o->script && !o->exec) return usage_error("%s", "no script given");
  if (o->signature && strcmp(o->signature, "v1") != 0 && strcmp(o->signature, "v3") != 0)
    return usage_error("--signature must be v1 or v3, not '%s'", o->signature);
  if (o->log && strcmp(o->log, "text") != 0 && strcmp(o->log, "json") != 0)
    return usage_error("--log must be text or json, not '%s'", o->log);
  if (o->qps) {
    char *end;
    double q = strtod(o->qps, &end);
    /* NaN fails both comparisons; inf and 1e400 (HUGE_VAL) fail the second */
    if (end == o->qps || *end || !(q > 0 && q <= 100000))
      return usage_error("--qps must be a number > 0 and <= 100000, not '%s'", o->qps);
  }
  if (o->concurrency) {
    char *end;
    long c = strtol(o->concurrency, &end, 10);
    if (end == o->concurrency || *end || c < 1 || c > 100000)
      return usage_error("--concurrency must be a whole number 1-100000, not '%s'", o->concurrency);
  }
  if (o->verbose && o->quiet) return usage_error("%s", "-v and -q exclude each other");
  return 0;
}

static int g_error_code = EXIT_SCRIPT; /* set by msghandler for the last error */
static int g_log_json = 0;              /* --log json: a fatal error is one JSON line too */
static char g_error_name[80];           /* err.code of the last error ("" if none) */
static lua_State *globalL = NULL;

/* As lua.c: on SIGINT, a hook raises "interrupted!" at the next Lua
 * instruction (a call waiting on the network wakes at least once a second).
 * A second SIGINT kills the process (default action restored). */
static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

static void laction(int i) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  signal(i, SIG_DFL);
  lua_sethook(globalL, lstop, flag, 1);
}

/* Message handler: turns any error into "message\ntraceback" at the point of
 * the error; err tables keep their __tostring text, and credentials/config
 * failures select exit code 3. */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  g_error_code = EXIT_SCRIPT;
  g_error_name[0] = '\0';
  if (lua_istable(L, 1)) {
    lua_getfield(L, 1, "code");
    if (lua_type(L, -1) == LUA_TSTRING) snprintf(g_error_name, sizeof g_error_name, "%s", lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, 1, "kind");
    if (lua_isstring(L, -1)) {
      const char *k = lua_tostring(L, -1);
      if (strcmp(k, "credentials") == 0 || strcmp(k, "config") == 0) g_error_code = EXIT_CONFIG;
    }
    lua_pop(L, 1);
  }
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) {
      msg = lua_tostring(L, -1);
    } else {
      msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* With --log json, writes the error message at the top of the stack as one
 * JSON line through ecs.log.error (the module's own JSON writer, which
 * escapes newlines), with the exit code. 0, or -1 to fall back to text. */
static int log_fatal_json(lua_State *L) {
  int ok;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_getfield(L, -1, "ecs");
  lua_remove(L, -2);
  if (!lua_istable(L, -1)) { lua_pop(L, 1); return -1; }
  lua_getfield(L, -1, "log");
  lua_remove(L, -2);
  if (!lua_istable(L, -1)) { lua_pop(L, 1); return -1; }
  lua_getfield(L, -1, "error");
  lua_remove(L, -2);
  lua_pushvalue(L, -2); /* the message */
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, g_error_code);
  lua_setfield(L, -2, "exit_code");
  lua_pushstring(L, "fatal");
  lua_setfield(L, -2, "event");
  if (g_error_name[0]) {
    lua_pushstring(L, g_error_name);
    lua_setfield(L, -2, "code");
  }
  ok = lua_pcall(L, 2, 0, 0) == LUA_OK;
  if (!ok) lua_pop(L, 1);
  return ok ? 0 : -1;
}

/* Calls the function below nargs arguments with the traceback handler. On
 * failure prints the message and returns the exit code; 0 on success. */
static int docall(lua_State *L, int nargs) {
  int base = lua_gettop(L) - nargs, status;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  signal(SIGINT, laction);
  status = lua_pcall(L, nargs, 0, base);
  signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  if (status == LUA_OK) return 0;
  if (!g_log_json || log_fatal_json(L) != 0) fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
  lua_pop(L, 1);
  return status == LUA_ERRRUN ? g_error_code : EXIT_SCRIPT;
}

/* Creates the global `arg` as lua.c does: script at 0, its arguments at
 * 1..n, the interpreter and options at negative indices. */
static void create_arg(lua_State *L, int argc, char **argv, int script) {
  int i;
  lua_createtable(L, argc - script, script + 1);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

/* Calls ecs.<fn>(table at top) and pops the table. Returns 0 or the exit
 * code of a failure (printed). */
static int call_ecs(lua_State *L, const char *fn, const char *sub) {
  lua_getglobal(L, "ecs");
  if (sub) {
    lua_getfield(L, -1, sub);
    lua_remove(L, -2);
  }
  lua_getfield(L, -1, fn);
  lua_remove(L, -2);
  lua_insert(L, -2);
  return docall(L, 1);
}

/* Applies the CLI options to the module's default client and log. */
static int configure(lua_State *L, const opts *o, ecs_sim *sim) {
  int rc;
  lua_newtable(L);
  if (o->region) { lua_pushstring(L, o->region); lua_setfield(L, -2, "region"); }
  if (o->profile) { lua_pushstring(L, o->profile); lua_setfield(L, -2, "profile"); }
  if (o->endpoint) { lua_pushstring(L, o->endpoint); lua_setfield(L, -2, "endpoint"); }
  if (o->signature) { lua_pushstring(L, o->signature); lua_setfield(L, -2, "signature"); }
  if (o->ca_file) { lua_pushstring(L, o->ca_file); lua_setfield(L, -2, "ca_file"); }
  if (o->qps) { lua_pushnumber(L, strtod(o->qps, NULL)); lua_setfield(L, -2, "qps"); }
  if (o->insecure_http) { lua_pushboolean(L, 1); lua_setfield(L, -2, "insecure_http"); }
  if (o->dry_run) { lua_pushboolean(L, 1); lua_setfield(L, -2, "dry_run"); }
  if (sim) {
    if (!o->endpoint) { lua_pushstring(L, ecs_sim_url(sim)); lua_setfield(L, -2, "endpoint"); }
    lua_createtable(L, 0, 2);
    lua_pushstring(L, ecs_sim_access_key_id(sim));
    lua_setfield(L, -2, "access_key_id");
    lua_pushstring(L, ecs_sim_access_key_secret(sim));
    lua_setfield(L, -2, "access_key_secret");
    lua_setfield(L, -2, "credentials");
  }
  if ((rc = call_ecs(L, "configure", NULL)) != 0) return EXIT_CONFIG;
  lua_newtable(L);
  lua_pushstring(L, o->log ? o->log : "text");
  lua_setfield(L, -2, "format");
  lua_pushstring(L, o->verbose ? "debug" : o->quiet ? "warn" : "info");
  lua_setfield(L, -2, "level");
  if (call_ecs(L, "configure", "log") != 0) return EXIT_USAGE;
  g_log_json = o->log && strcmp(o->log, "json") == 0;
  if (o->audit) {
    lua_getglobal(L, "ecs");
    lua_getfield(L, -1, "audit");
    lua_getfield(L, -1, "open");
    lua_pushstring(L, o->audit);
    lua_call(L, 1, 2);
    if (lua_isnil(L, -2)) {
      fprintf(stderr, "%s: %s\n", progname, luaL_tolstring(L, -1, NULL));
      lua_pop(L, 5);
      return EXIT_CONFIG;
    }
    lua_pop(L, 4);
  }
  lua_getglobal(L, "ecs");
  if (o->concurrency) {
    lua_getfield(L, -1, "set_default_concurrency");
    lua_pushinteger(L, strtol(o->concurrency, NULL, 10));
    lua_call(L, 1, 0);
  }
  lua_getfield(L, -1, "set_progress_default");
  lua_pushboolean(L, isatty(STDERR_FILENO));
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  return 0;
}

/* Runs whatever tasks the script spawned but did not wait for. */
static int finish_tasks(lua_State *L) {
  int ok;
  lua_getglobal(L, "ecs");
  lua_getfield(L, -1, "run");
  lua_remove(L, -2);
  if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
    lua_pop(L, 1);
    return EXIT_SCRIPT;
  }
  ok = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return ok ? 0 : EXIT_SCRIPT;
}

/* An audit line that could not be written fails the run even when the
 * script handled the EAUDIT error (or the outcome line was lost after the
 * call went out): the record is incomplete. Returns rc, or EXIT_CONFIG. */
static int audit_verdict(lua_State *L, int rc) {
  lua_Integer n;
  lua_getglobal(L, "ecs");
  lua_getfield(L, -1, "audit");
  lua_getfield(L, -1, "failures");
  lua_call(L, 0, 2);
  n = lua_tointeger(L, -2);
  if (n > 0)
    fprintf(stderr, "%s: %lld audit line(s) could not be written; last: %s\n", progname, (long long)n,
            lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
  lua_pop(L, 4);
  return n > 0 && rc == 0 ? EXIT_CONFIG : rc;
}

/* The protected main: everything that may raise runs in here. */
static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = lua_touserdata(L, 2);
  opts *o = lua_touserdata(L, 3);
  ecs_sim *sim = lua_touserdata(L, 4);
  int rc, n;
  luaL_checkversion(L);
  luaL_openlibs(L);
  luaL_requiref(L, "ecs", luaopen_ecs, 1); /* require "ecs" returns the same table */
  lua_pop(L, 1);
  lecs_install_yield_guard(L); /* ecsrun owns its globals: a raw yield in a task raises there */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE); /* ecs.sim is linked in */
  lua_pushcfunction(L, luaopen_ecs_sim);
  lua_setfield(L, -2, "ecs.sim");
  lua_pop(L, 1);
  if ((rc = configure(L, o, sim)) != 0) {
    lua_pushinteger(L, rc);
    return 1;
  }
  create_arg(L, argc, argv, o->script ? o->script : argc);
  if (o->exec) {
    if (luaL_loadbufferx(L, o->exec, strlen(o->exec), "=(command line)", "t") != LUA_OK) {
      fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
      lua_pushinteger(L, EXIT_USAGE);
      return 1;
    }
    n = 0;
    if (o->script)
      for (n = 0; o->script + n < argc; n++) lua_pushstring(L, argv[o->script + n]);
  } else {
    const char *fname = argv[o->script];
    if (strcmp(fname, "-") == 0) fname = NULL; /* stdin */
    if (luaL_loadfilex(L, fname, "t") != LUA_OK) {
      fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
      lua_pushinteger(L, EXIT_USAGE);
      return 1;
    }
    for (n = 0; o->script + 1 + n < argc; n++) lua_pushstring(L, argv[o->script + 1 + n]);
  }
  rc = docall(L, n);
  if (rc == 0) rc = finish_tasks(L);
  rc = audit_verdict(L, rc);
  lua_pushinteger(L, rc);
  return 1;
}

int main(int argc, char **argv) {
  opts o;
  lua_State *L;
  ecs_sim *sim = NULL;
  int rc, status;
  memset(&o, 0, sizeof o);
  if (argv[0] && argv[0][0]) progname = "ecsrun";
  rc = parse_args(argc, argv, &o);
  if (rc != 0) return rc > 0 ? EXIT_OK : EXIT_USAGE;
  if (o.simulate) {
    char err[512];
    ecs_sim_opts so;
    memset(&so, 0, sizeof so);
    so.latency_ms = -1;
    so.quiet = 1;
    err[0] = '\0';
    sim = ecs_sim_start_file(o.simulate, &so, err, sizeof err);
    if (!sim) {
      fprintf(stderr, "%s: %s\n", progname, err[0] ? err : "the simulator failed to start");
      return EXIT_USAGE;
    }
  }
  L = luaL_newstate();
  if (!L) {
    fprintf(stderr, "%s: cannot create the Lua state: not enough memory\n", progname);
    ecs_sim_stop(sim);
    return EXIT_SCRIPT;
  }
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  lua_pushlightuserdata(L, &o);
  lua_pushlightuserdata(L, sim);
  status = lua_pcall(L, 4, 1, 0);
  if (status != LUA_OK) {
    fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
    rc = EXIT_SCRIPT;
  } else {
    rc = (int)lua_tointeger(L, -1);
  }
  lua_close(L);
  ecs_sim_stop(sim);
  return rc;
}
