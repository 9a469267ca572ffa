/* http.h - the libcurl multi engine: submit many transfers, drive them all
 * from one loop, get a callback when each completes.
 *
 * One ecs_http owns one CURLM and its connection pool (keep-alive reuse across
 * requests). Requests are caller-owned structs; the engine only borrows them
 * between ecs_http_submit and their done callback.
 */
#ifndef ECS_HTTP_H
#define ECS_HTTP_H

#include <stddef.h>
#include "buf.h"
#include "errors.h"

typedef struct ecs_http ecs_http;
typedef struct ecs_http_req ecs_http_req;
typedef void (*ecs_http_done_fn)(ecs_http_req *req, void *ud);

struct ecs_http_req {
  /* --- input (owned by the request; freed by ecs_http_req_free) --- */
  char *method;             /* "GET", "POST" */
  char *url;                /* full URL incl. query */
  ecs_params headers;       /* sent as given */
  ecs_buf body;             /* request body (may be empty) */
  long connect_timeout_ms;  /* default 5000 when 0 */
  long timeout_ms;          /* whole transfer; default 10000 when 0 */
  size_t max_response;      /* body cap; default 8 MiB when 0 */
  char *ca_file;            /* NULL: system store */
  int insecure_http;        /* allow http:// to non-loopback hosts */
  int no_proxy;             /* never through a proxy (the metadata service) */
  ecs_http_done_fn done;    /* called once, from ecs_http_run */
  void *ud;
  /* --- output --- */
  long status;              /* HTTP status, 0 if none */
  ecs_params resp_headers;  /* names lower-cased */
  ecs_buf resp_body;
  ecs_error err;            /* kind TRANSPORT when the transfer failed */
  int failed;               /* 1 when err is set */
  double elapsed;           /* seconds from submit to completion */
  /* --- engine private --- */
  void *easy;
  double t_start;
};

ecs_http *ecs_http_new(void);
/* Aborts transfers still in flight (their done callbacks are NOT called) and
 * frees the engine. */
void ecs_http_free(ecs_http *h);
void ecs_http_req_init(ecs_http_req *r);
void ecs_http_req_free(ecs_http_req *r); /* must not be in flight */
/* Aborts r's transfer if it is in flight (its done callback is NOT called);
 * afterwards r may be freed. */
void ecs_http_cancel(ecs_http *h, ecs_http_req *r);
/* Resets the output fields so the request can be submitted again. */
void ecs_http_req_reset_output(ecs_http_req *r);

/* Starts the transfer. Refuses plain http:// to a non-loopback host unless
 * r->insecure_http (ECONFIG). Returns 0, or -1 with r->err set (no callback). */
int ecs_http_submit(ecs_http *h, ecs_http_req *r);

/* Drives transfers: waits up to timeout_ms for socket activity, then calls
 * done for each completed request. Returns at once (no wait) when a pass
 * completed something; with nothing in flight it still waits timeout_ms, so
 * a scheduler may use it as its sleep. A done callback may free or resubmit
 * its request, but must not free the engine. Returns the number still in
 * flight, or -1 on an engine failure. */
int ecs_http_run(ecs_http *h, long timeout_ms);
/* Number of requests in flight. */
int ecs_http_active(const ecs_http *h);

/* Transport error codes set in r->err.code (kind TRANSPORT, retryable,
 * unless noted):
 *  ETIMEDOUT (ambiguous when the request had been sent), ECONNECT, ERESET
 *  (ambiguous when sent), ETLS (not retryable; curl's reason in the message),
 *  ETOOBIG (response body over max_response, headers over 256 KiB or one
 *  header line over libcurl's CURL_MAX_HTTP_HEADER; not retryable,
 *  ambiguous), EHTTP (anything else from curl), ECONFIG (kind
 *  CONFIG: refused URL, from ecs_http_submit).
 * Messages name the host at most: never the URL query or header values. */

#endif
