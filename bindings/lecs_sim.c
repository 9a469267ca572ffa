/* lecs_sim.c - ecs.sim: the ECS simulator in-process, for playbook rehearsal
 * and specs from any Lua host (`require "ecs"` from busted, say). Its own
 * module (ecs/sim.so, luaopen_ecs_sim; preloaded in ecsrun) so that the
 * production ecs.so does not link libmicrohttpd; `ecs.sim` loads it on first
 * use.
 *
 *   local sim = ecs.sim.start(fleet_table_or_path [, { latency_ms =, quiet = }])
 *   sim:url()  sim:port()  sim:credentials()  sim:stop()
 *   sim:state()  sim:requests()            -- GET /_sim/state, /_sim/requests
 *   sim:advance(seconds)                   -- moves the simulator's clock forward
 *
 * The userdata is born stopped (no simulator until ecs_sim_start succeeds, so
 * a failed start leaves __gc nothing to do), and is stopped idempotently by
 * stop, __gc and __close (liolib's pattern). */
#include <string.h>

#include <cjson/cJSON.h>

#include "lecs.h"
#include "sim.h"

#define LECS_SIM "ecs.sim"

typedef struct lsim {
  ecs_sim *sim;
} lsim;

static lsim *check_sim(lua_State *L) {
  lsim *s = luaL_checkudata(L, 1, LECS_SIM);
  if (!s->sim) luaL_argerror(L, 1, "simulator is stopped");
  return s;
}

static int sim_stop(lua_State *L) {
  lsim *s = luaL_checkudata(L, 1, LECS_SIM);
  ecs_sim_stop(s->sim);
  s->sim = NULL;
  return 0;
}

static int sim_url(lua_State *L) {
  lua_pushstring(L, ecs_sim_url(check_sim(L)->sim));
  return 1;
}

static int sim_port(lua_State *L) {
  lua_pushinteger(L, ecs_sim_port(check_sim(L)->sim));
  return 1;
}

/* sim:credentials() -> { access_key_id=, access_key_secret= } of the first
 * account (fake keys the simulator itself defines). */
static int sim_credentials(lua_State *L) {
  lsim *s = check_sim(L);
  lua_createtable(L, 0, 2);
  lua_pushstring(L, ecs_sim_access_key_id(s->sim));
  lua_setfield(L, -2, "access_key_id");
  lua_pushstring(L, ecs_sim_access_key_secret(s->sim));
  lua_setfield(L, -2, "access_key_secret");
  return 1;
}

/* sim:advance(seconds) -> the simulator's time (epoch seconds) after moving
 * its clock forward: throttle windows, x-acs-date checks and Starting ->
 * Running follow it, so a rehearsal can cover minutes in milliseconds. */
static int sim_advance(lua_State *L) {
  lsim *s = check_sim(L);
  lua_Number sec = luaL_checknumber(L, 2);
  luaL_argcheck(L, sec >= 0 && sec <= 86400, 2, "must be a number of seconds in 0-86400");
  lua_pushnumber(L, (lua_Number)ecs_sim_advance(s->sim, (long long)(sec * 1000 + 0.5)) / 1000);
  return 1;
}

/* ecs.sim.start(fleet [, opts]) -> sim. fleet: a table (the fleet itself) or
 * a path to a fleet JSON file. A bad fleet raises with the simulator's
 * message, which names the field. */
static int sim_start(lua_State *L) {
  ecs_sim_opts o;
  char err[512];
  lsim *s;
  memset(&o, 0, sizeof o);
  o.latency_ms = -1;
  o.quiet = 1;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "latency_ms");
    if (!lua_isnil(L, -1)) o.latency_ms = (int)luaL_checkinteger(L, -1);
    lua_getfield(L, 2, "quiet");
    if (!lua_isnil(L, -1)) o.quiet = lua_toboolean(L, -1);
    lua_getfield(L, 2, "listen");
    if (!lua_isnil(L, -1)) o.listen = luaL_checkstring(L, -1);
  }
  s = lua_newuserdatauv(L, sizeof *s, 0);
  s->sim = NULL;
  luaL_setmetatable(L, LECS_SIM);
  err[0] = '\0';
  if (lua_type(L, 1) == LUA_TSTRING) {
    s->sim = ecs_sim_start_file(lecs_checkcstr(L, 1, 1, "start", "path"), &o, err, sizeof err);
  } else if (lua_istable(L, 1)) {
    cJSON *j = lecs_to_json(L, 1, "bad argument #1 to 'start'");
    char *text = cJSON_PrintUnformatted(j);
    if (!text) return luaL_error(L, "out of memory");
    s->sim = ecs_sim_start(text, strlen(text), &o, err, sizeof err);
    cJSON_free(text);
    lua_pop(L, 1);
  } else {
    return luaL_typeerror(L, 1, "fleet table or path");
  }
  if (!s->sim) return luaL_error(L, "%s", err[0] ? err : "simulator failed to start");
  return 1;
}

void lecs_open_sim(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"advance", sim_advance},
      {"credentials", sim_credentials},
      {"port", sim_port},
      {"stop", sim_stop},
      {"url", sim_url},
      {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"start", sim_start}, {NULL, NULL}};
  if (luaL_newmetatable(L, LECS_SIM)) {
    luaL_newlib(L, methods);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__index");
    lua_pushcfunction(L, sim_stop);
    lua_setfield(L, -3, "__gc");
    lua_pushcfunction(L, sim_stop);
    lua_setfield(L, -3, "__close");
    lua_pushliteral(L, "ecs.sim");
    lua_setfield(L, -3, "__name");
    lua_setfield(L, -2, "methods");
  }
  lua_pop(L, 1);
  luaL_newlib(L, funcs);
  luaL_getmetatable(L, LECS_SIM);
  lua_getfield(L, -1, "methods");
  lua_setfield(L, -3, "methods"); /* sim.lua adds state()/requests() here */
  lua_pop(L, 1);
}

/* require "ecs.sim": the C table completed by the Lua half's sim part
 * (bindings/lua/ecs/sim.lua), the function luaopen_ecs left in the registry
 * (so "ecs" is loaded first, and must be the same version: two installs
 * side by side would mix). */
int luaopen_ecs_sim(lua_State *L) {
  const char *v;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "ecs");
  lua_call(L, 1, 1);
  v = lua_istable(L, -1) && lua_getfield(L, -1, "version") == LUA_TSTRING ? lua_tostring(L, -1) : "none";
  if (strcmp(v, ECS_VERSION) != 0)
    return luaL_error(L, "ecs.sim %s needs the ecs module %s, found %s", ECS_VERSION, ECS_VERSION, v);
  if (lua_getfield(L, LUA_REGISTRYINDEX, LECS_SIM_SETUP) != LUA_TFUNCTION)
    return luaL_error(L, "ecs.sim: the ecs module did not load");
  lecs_open_sim(L);
  lua_call(L, 1, 1);
  return 1;
}
