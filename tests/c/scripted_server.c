/* scripted_server.c - see scripted_server.h. */
#include "scripted_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void scripted_server_start(scripted_server *s, int backlog, void *(*body)(void *), void *arg) {
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  int one = 1;
  pthread_mutex_init(&s->mu, NULL);
  s->stop = 0;
  s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(s->lfd, backlog) < 0 ||
      getsockname(s->lfd, (struct sockaddr *)&a, &al) < 0) {
    perror("scripted_server_start");
    exit(2);
  }
  s->port = ntohs(a.sin_port);
  pthread_create(&s->th, NULL, body, arg);
}

void scripted_server_stop(scripted_server *s) {
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_mutex_unlock(&s->mu);
  pthread_join(s->th, NULL);
  close(s->lfd);
  pthread_mutex_destroy(&s->mu);
}

int scripted_server_stopping(scripted_server *s) { return scripted_server_get(s, &s->stop); }

int scripted_server_get(scripted_server *s, const int *field) {
  int v;
  pthread_mutex_lock(&s->mu);
  v = *field;
  pthread_mutex_unlock(&s->mu);
  return v;
}

void scripted_server_bump(scripted_server *s, int *field) {
  pthread_mutex_lock(&s->mu);
  (*field)++;
  pthread_mutex_unlock(&s->mu);
}

double mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void count_done(ecs_http_req *r, void *ud) {
  (void)r;
  (*(int *)ud)++;
}

void run_all(ecs_http *h, double limit) {
  double t0 = mono();
  while (ecs_http_active(h) > 0 && mono() - t0 < limit)
    if (ecs_http_run(h, 100) < 0) break;
}
