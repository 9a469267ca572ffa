/* ecsrun.c - the ecsrun CLI, modelled on lua.c: a protected main, a message
 * handler that adds a traceback, `arg` as lua sets it, -e, and the options of
 * DESIGN.md (parsed in ecsrun_opts.c) that configure the `ecs` module's
 * default client.
 *
 * Exit codes: 0 ok, 1 the script failed, 2 usage (or a bad fleet file),
 * 3 configuration or credentials. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecsrun_opts.h"
#include "lecs.h"
#include "sim.h"

#include <lualib.h>

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
  rc = ecsrun_parse_args(argc, argv, &o);
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
