/* lecs_http.c - core.http_start{url=, method=, headers=, body=, timeout=,
 * connect_timeout=, ca_file=, insecure_http=, max_response=, client=}: the
 * call handle of a plain HTTP request (webhooks, notifications) over the
 * engine that carries the API calls; api.lua's ecs.http.request waits for
 * it as for an API call (lecs_call.c). This file only converts: the
 * transport policy (TLS verified, plain http to loopback only unless
 * insecure_http, the response caps, error codes) is runtime/http.c's, as
 * for API calls, and the settings not given come from the client (default:
 * the default client, so --ca-file and --insecure-http apply as to API
 * calls).
 *
 * Misuse raises "bad argument #1 to 'request' (<option>: ...)" at the
 * caller's line; what the network or server decides is (nil, err). Any
 * HTTP status is an answer: {status=, headers=, body=}.
 */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "lecs_internal.h"

static const char *const http_opts[] = {"url", "method", "headers", "body", "timeout",
                                        "connect_timeout", "ca_file", "insecure_http",
                                        "max_response", "client", NULL};
static const char *const http_methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", NULL};

/* Raises bad argument #1 to 'request' with "<fmt...>". */
static int bad(lua_State *L, const char *fmt, const char *a) {
  return lecs_argerror(L, 1, "request", fmt, a);
}

/* Optional string option k with no NUL byte; NULL when absent. The string
 * stays referenced by the options table, so the pointer lives on. */
static const char *opt_str(lua_State *L, const char *k, size_t *len) {
  const char *s = NULL;
  size_t n = 0;
  lua_getfield(L, 1, k);
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING)
      lecs_argerror(L, 1, "request", "%s: string expected, got %s", k, luaL_typename(L, -1));
    s = lua_tolstring(L, -1, &n);
    if (!len && strlen(s) != n) bad(L, "%s: must not contain a NUL byte", k);
  }
  lua_pop(L, 1);
  if (len) *len = n;
  return s;
}

/* Optional number option k in [lo, hi] (NaN refused) into *out; returns 1
 * when present. */
static int opt_num(lua_State *L, const char *k, double lo, double hi, double *out) {
  int present = 0;
  lua_getfield(L, 1, k);
  if (!lua_isnil(L, -1)) {
    *out = lecs_checkrange(L, -1, 1, "request", k, lo, hi);
    present = 1;
  }
  lua_pop(L, 1);
  return present;
}

/* 1 when s is an HTTP header name (RFC 9110 token characters). */
static int header_name_ok(const char *s, size_t n) {
  size_t i;
  if (n == 0 || n > 256) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr("!#$%&'*+-.^_`|~", c)))
      return 0;
  }
  return 1;
}

/* 1 when v can be a header value: no CR, LF or NUL (no header injection). */
static int header_value_ok(const char *v, size_t n) {
  return strlen(v) == n && !strpbrk(v, "\r\n") && n <= 65536;
}

/* Checks headers = {name = value} (strings only) without building anything. */
static void check_headers(lua_State *L) {
  lua_getfield(L, 1, "headers");
  if (!lua_isnil(L, -1)) {
    int t = lua_gettop(L);
    if (!lua_istable(L, t)) bad(L, "headers: table expected, got %s", luaL_typename(L, t));
    lua_pushnil(L);
    while (lua_next(L, t)) {
      size_t nn, vn;
      const char *name, *value;
      if (lua_type(L, -2) != LUA_TSTRING) bad(L, "headers: names must be strings", NULL);
      name = lua_tolstring(L, -2, &nn);
      if (!header_name_ok(name, nn)) bad(L, "headers: invalid header name '%s'", name);
      if (lua_type(L, -1) != LUA_TSTRING) bad(L, "headers['%s']: string expected", name);
      value = lua_tolstring(L, -1, &vn);
      if (!header_value_ok(value, vn))
        bad(L, "headers['%s']: must not contain CR, LF or NUL (or exceed 64 KiB)", name);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* Copies the (checked) headers into req. 0 or -1 (out of memory). */
static int copy_headers(lua_State *L, ecs_http_req *req) {
  int rc = 0;
  lua_getfield(L, 1, "headers");
  if (lua_istable(L, -1)) {
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      if (rc == 0 && ecs_params_add(&req->headers, lua_tostring(L, -2), lua_tostring(L, -1)) < 0)
        rc = -1;
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  return rc;
}

static const char *check_method(lua_State *L, int has_body) {
  const char *m = opt_str(L, "method", NULL);
  int i;
  if (!m) return has_body ? "POST" : "GET";
  for (i = 0; http_methods[i]; i++)
    if (strcmp(http_methods[i], m) == 0) return m;
  return bad(L, "method: one of GET, POST, PUT, PATCH, DELETE expected, got '%s'", m), NULL;
}

/* Copies the transport settings (timeouts, answer cap, ca_file,
 * insecure_http) of the client at idx (0: the default client), over the
 * default client, into req. 0; -1 out of memory; -2 not a client. */
static int transport_defaults(lua_State *L, int idx, ecs_http_req *req) {
  lecs_client *d = lecs_default_client(L);
  lecs_client *c = idx ? luaL_testudata(L, idx, LECS_CLIENT) : d;
  ecs_client_config cfg;
  if (!c) return -2;
  if (lecs_effective_config(&cfg, c, d) < 0) return -1;
  req->connect_timeout_ms = cfg.connect_timeout_ms;
  req->timeout_ms = cfg.timeout_ms;
  req->max_response = cfg.max_response;
  req->insecure_http = cfg.insecure_http;
  free(req->ca_file);
  req->ca_file = cfg.ca_file;
  cfg.ca_file = NULL;
  ecs_client_config_free(&cfg);
  return 0;
}

/* Fills the transport settings of the empty req: the client's (option
 * client=, else the default client), then timeout=, connect_timeout=,
 * max_response=, insecure_http= and ca_file= over them. Raises on misuse
 * (req freed); 0, or -1 out of memory. */
static int transport_options(lua_State *L, ecs_http_req *req) {
  double timeout, cto, maxr;
  int has_to = opt_num(L, "timeout", 0.001, 3600, &timeout);
  int has_cto = opt_num(L, "connect_timeout", 0.001, 600, &cto);
  int has_maxr = opt_num(L, "max_response", 1024, 1024.0 * 1024 * 1024, &maxr);
  int insecure = -1, rc;
  const char *ca = opt_str(L, "ca_file", NULL);
  lua_getfield(L, 1, "client"); /* stays at index 2 */
  lua_getfield(L, 1, "insecure_http");
  if (!lua_isnil(L, -1)) {
    if (!lua_isboolean(L, -1)) bad(L, "insecure_http: boolean expected, got %s", luaL_typename(L, -1));
    insecure = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  if ((rc = transport_defaults(L, lua_isnil(L, 2) ? 0 : 2, req)) == -2) {
    ecs_http_req_free(req);
    return bad(L, "client: ecs client expected, got %s", luaL_typename(L, 2));
  }
  if (has_to) req->timeout_ms = (long)(timeout * 1000);
  if (has_cto) req->connect_timeout_ms = (long)(cto * 1000);
  if (has_maxr) req->max_response = (size_t)maxr;
  if (insecure >= 0) req->insecure_http = insecure;
  if (ca) {
    free(req->ca_file);
    req->ca_file = NULL;
  }
  return rc < 0 || (ca && !(req->ca_file = strdup(ca))) ? -1 : 0;
}

/* core.http_start(opts) -> h: the call handle of the request (core.finish
 * gives {status=, headers=, body=} | nil, err). */
static int lecs_http_start(lua_State *L) {
  const char *url, *method, *body;
  size_t blen;
  ecs_http_req req;
  if (!lua_istable(L, 1)) bad(L, "table expected, got %s", luaL_typename(L, 1));
  lua_settop(L, 1);
  lecs_check_options(L, 1, 1, "request", http_opts, sizeof *http_opts);
  if (!(url = opt_str(L, "url", NULL))) bad(L, "url: string expected, got %s", "no value");
  if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
    bad(L, "url: must start with https:// or http://", NULL);
  body = opt_str(L, "body", &blen);
  method = check_method(L, body != NULL);
  if (body && strcmp(method, "GET") == 0) bad(L, "body: not allowed with method GET", NULL);
  check_headers(L);
  ecs_http_req_init(&req);
  /* nothing after transport_options raises before the request is handed
   * over, except OOM */
  if (transport_options(L, &req) < 0 || !(req.method = strdup(method)) ||
      !(req.url = strdup(url)) || copy_headers(L, &req) < 0 ||
      (body && blen && ecs_buf_add(&req.body, body, blen) < 0)) {
    ecs_http_req_free(&req);
    return luaL_error(L, "out of memory");
  }
  return lecs_http_call(L, &req);
}

/* Pushes {status=, headers={lower-case name = value (repeats joined with
 * ", ")}, body=} for a completed request. */
void lecs_push_response(lua_State *L, long status, const ecs_params *headers, const char *body,
                        size_t len) {
  size_t i;
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, status);
  lua_setfield(L, -2, "status");
  lua_createtable(L, 0, (int)headers->n);
  for (i = 0; i < headers->n; i++) {
    const char *name = headers->v[i].name, *value = headers->v[i].value;
    if (lua_getfield(L, -1, name) == LUA_TSTRING) {
      lua_pushfstring(L, "%s, %s", lua_tostring(L, -1), value);
      lua_remove(L, -2);
    } else {
      lua_pop(L, 1);
      lua_pushstring(L, value);
    }
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, -2, "headers");
  lua_pushlstring(L, body, len);
  lua_setfield(L, -2, "body");
}

void lecs_open_http(lua_State *L) {
  lua_pushcfunction(L, lecs_http_start);
  lua_setfield(L, -2, "http_start");
}
