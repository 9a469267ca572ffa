/* webhook.c - /_sim/webhook: a receiver for scripts' outgoing HTTP (ecs.http
 * .request) on the simulator's own listener, so tests see exactly what
 * arrived. POST /_sim/webhook records the method, headers and body and
 * answers {"ok":true,"n":N}; ?status=N (200-599) answers with that status
 * instead of 200 and ?delay_ms=N (0-60000) holds the answer, to play a
 * failing or slow receiver. GET /_sim/webhooks lists what was recorded
 * (the last SIM_HOOK_MAX posts), oldest first.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sim_internal.h"

#define SIM_HOOK_MAX 1000

struct sim_hook {
  char *method, *body;
  size_t body_len;
  cJSON *headers;
};

static void hook_free(sim_hook *h) {
  free(h->method);
  free(h->body);
  cJSON_Delete(h->headers);
  memset(h, 0, sizeof *h);
}

void sim_webhooks_free(ecs_sim *s) {
  size_t i;
  for (i = 0; i < s->nhooks; i++) hook_free(&s->hooks[i]);
  free(s->hooks);
  s->hooks = NULL;
  s->nhooks = 0;
}

/* Optional decimal query value in [lo, hi]: 0 (absent: dflt), -1 when bad. */
static int query_num(const ecs_params *q, const char *name, long lo, long hi, long dflt,
                     long *out) {
  const char *v = ecs_params_get(q, name);
  char *end;
  *out = dflt;
  if (!v) return 0;
  if (*v < '0' || *v > '9') return -1;
  *out = strtol(v, &end, 10);
  return (*end || *out < lo || *out > hi) ? -1 : 0;
}

static cJSON *headers_json(const ecs_params *h) {
  cJSON *o = cJSON_CreateObject();
  size_t i;
  for (i = 0; o && i < h->n; i++)
    if (!cJSON_AddStringToObject(o, h->v[i].name, h->v[i].value)) {
      cJSON_Delete(o);
      return NULL;
    }
  return o;
}

/* Appends req to the record (dropping the oldest beyond SIM_HOOK_MAX).
 * Returns the number recorded so far, or -1 (out of memory). */
static long record(ecs_sim *s, const sim_req *req) {
  sim_hook h;
  long n;
  memset(&h, 0, sizeof h);
  if (!(h.method = strdup(req->method)) || !(h.body = malloc(req->body.len + 1)) ||
      !(h.headers = headers_json(&req->headers))) {
    hook_free(&h);
    return -1;
  }
  if (req->body.len) memcpy(h.body, req->body.data, req->body.len);
  h.body[req->body.len] = '\0';
  h.body_len = req->body.len;
  if (pthread_mutex_lock(&s->mu) != 0) {
    hook_free(&h);
    return -1;
  }
  if (s->nhooks == SIM_HOOK_MAX) {
    hook_free(&s->hooks[0]);
    memmove(s->hooks, s->hooks + 1, (s->nhooks - 1) * sizeof *s->hooks);
    s->nhooks--;
  } else if (!s->hooks && !(s->hooks = calloc(SIM_HOOK_MAX, sizeof *s->hooks))) {
    pthread_mutex_unlock(&s->mu);
    hook_free(&h);
    return -1;
  }
  s->hooks[s->nhooks++] = h;
  n = (long)++s->nhooks_total;
  pthread_mutex_unlock(&s->mu);
  return n;
}

int sim_webhook_post(ecs_sim *s, const sim_req *req, char **doc, long *delay_ms) {
  long status, n;
  cJSON *o;
  *doc = NULL;
  if (query_num(&req->query, "status", 200, 599, 200, &status) < 0 ||
      query_num(&req->query, "delay_ms", 0, 60000, 0, delay_ms) < 0) {
    *delay_ms = 0;
    *doc = strdup("{\"Code\":\"InvalidParameter\",\"Message\":\"status must be 200-599 and "
                  "delay_ms 0-60000\"}");
    return 400;
  }
  if ((n = record(s, req)) < 0 || !(o = cJSON_CreateObject())) return 500;
  if (cJSON_AddBoolToObject(o, "ok", 1) && cJSON_AddNumberToObject(o, "n", (double)n))
    *doc = ecs_json_print(o);
  cJSON_Delete(o);
  return *doc ? (int)status : 500;
}

char *sim_webhooks_json(ecs_sim *s) {
  cJSON *arr = cJSON_CreateArray();
  char *out = NULL;
  size_t i;
  if (!arr || pthread_mutex_lock(&s->mu) != 0) {
    cJSON_Delete(arr);
    return NULL;
  }
  for (i = 0; i < s->nhooks; i++) {
    const sim_hook *h = &s->hooks[i];
    cJSON *o = cJSON_CreateObject(), *hd;
    if (!o) goto done;
    if (!cJSON_AddItemToArray(arr, o)) {
      cJSON_Delete(o);
      goto done;
    }
    if (!(hd = cJSON_Duplicate(h->headers, 1))) goto done;
    if (!cJSON_AddItemToObject(o, "headers", hd)) {
      cJSON_Delete(hd);
      goto done;
    }
    if (!cJSON_AddStringToObject(o, "method", h->method) ||
        !cJSON_AddStringToObject(o, "body", h->body) ||
        !cJSON_AddNumberToObject(o, "body_length", (double)h->body_len))
      goto done;
  }
  out = ecs_json_print(arr);
done:
  pthread_mutex_unlock(&s->mu);
  cJSON_Delete(arr);
  return out;
}
