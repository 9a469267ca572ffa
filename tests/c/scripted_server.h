/* scripted_server.h - what the scripted raw-socket servers of the transport
 * tests (test_http.c, test_http_hostile.c) have in common: a listener on
 * 127.0.0.1 at an ephemeral port, the server thread's start and stop, a stop
 * flag and counters read under the server's mutex; and the clock and loop
 * that drive the engine in every case. Each test keeps its own server
 * struct (with a scripted_server as `base`) and its own thread body: a poll
 * loop over many keep-alive connections, or one scripted connection at a
 * time.
 */
#ifndef ECS_TEST_SCRIPTED_SERVER_H
#define ECS_TEST_SCRIPTED_SERVER_H

#include <pthread.h>

#include "http.h"

typedef struct scripted_server {
  int lfd, port;
  pthread_t th;
  pthread_mutex_t mu; /* the stop flag, and whatever the owner counts */
  int stop;
} scripted_server;

/* Listens on 127.0.0.1 (port chosen by the kernel, backlog as given) and
 * runs body(arg) in the server thread. Exits the test (status 2) when it
 * cannot listen. */
void scripted_server_start(scripted_server *s, int backlog, void *(*body)(void *), void *arg);
/* Raises the stop flag, joins the thread, closes the listener. */
void scripted_server_stop(scripted_server *s);
/* 1 once scripted_server_stop has been called. */
int scripted_server_stopping(scripted_server *s);
/* Reads, or adds 1 to, an int the server shares with the test, under mu. */
int scripted_server_get(scripted_server *s, const int *field);
void scripted_server_bump(scripted_server *s, int *field);

/* Seconds on the monotonic clock. */
double mono(void);
/* A done callback counting completions into the int at ud. */
void count_done(ecs_http_req *r, void *ud);
/* Runs the engine until nothing is in flight or limit seconds pass. */
void run_all(ecs_http *h, double limit);

#endif
