/* creds.c - in progress */
typedef int ecs_placeholder_t;
