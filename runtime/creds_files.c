/* creds_files.c - credentials the user already has on disk: the aliyun
 * CLI's ~/.aliyun/config.json (parsed with cJSON, ecs-facts 6.3), the SDKs'
 * INI file ~/.alibabacloud/credentials (parsed with libinih, 6.4), and the
 * CLI's External mode (a program printing JSON, run without a shell).
 *
 * Each loader turns a profile into an ecs_src; nothing here talks to the
 * network. Messages name files, profiles and modes, never values.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <ini.h>

#include "creds_internal.h"
#include "file.h"
#include "json.h"

extern char **environ;

#define MAX_FILE (4 * 1024 * 1024)
#define MAX_CHAIN 8

/* Reads a whole file. 1 when it does not exist, 0 with *out, -1 with why. */
static int slurp(const char *path, ecs_buf *out, ecs_buf *why) {
  int rc = ecs_file_read(path, MAX_FILE, out);
  if (rc == 0) return 0;
  if (rc == ECS_FILE_TOO_LARGE) {
    ecs_buf_adds(why, "file too large");
  } else if (errno == ENOENT || errno == ENOTDIR) {
    return 1;
  } else {
    ecs_buf_addf(why, "cannot read (%s)", strerror(errno));
  }
  return -1;
}

/* ------------------------------------------------------- aliyun CLI JSON */

/* String member or NULL (empty counts as absent). */
static const char *js(const cJSON *o, const char *k) {
  const char *v = ecs_json_str(o, k);
  return v && *v ? v : NULL;
}

static const cJSON *find_profile(const cJSON *root, const char *name) {
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "profiles"), *p;
  cJSON_ArrayForEach(p, arr) {
    const char *n = ecs_json_str(p, "name");
    if (cJSON_IsObject(p) && n && strcmp(n, name) == 0) return p;
  }
  return NULL;
}

/* The mode of a profile, recognised automatically when empty (6.2). */
static const char *profile_mode(const cJSON *p) {
  const char *m = js(p, "mode");
  if (m) return m;
  if (js(p, "access_key_id") && js(p, "access_key_secret"))
    return js(p, "sts_token") ? "StsToken" : js(p, "ram_role_arn") ? "RamRoleArn" : "AK";
  if (js(p, "ram_role_name")) return "EcsRamRole";
  if (js(p, "process_command")) return "External";
  if (js(p, "oidc_provider_arn") && js(p, "oidc_token_file") && js(p, "ram_role_arn"))
    return "OIDC";
  return "AK";
}

/* A static source from the profile's key pair (+ token). */
static ecs_src *static_src(const char *id, const char *secret, const char *token) {
  ecs_src *s = ecs_creds_src_new(SRC_STATIC, token ? "static_sts" : "static_ak");
  if (s && ecs_creds_set(&s->fixed, id, secret, token, NULL) < 0) {
    ecs_creds_src_free(s);
    return NULL;
  }
  return s;
}

/* Fills the AssumeRole fields of s from a CLI profile. 0 or -1 (OOM). */
static int role_fields(ecs_src *s, const cJSON *p) {
  const char *sess = js(p, "ram_session_name");
  const cJSON *dur = cJSON_GetObjectItemCaseSensitive(p, "expired_seconds");
  char dflt[64];
  snprintf(dflt, sizeof dflt, "ecsrun-%lld", (long long)(ecs_creds_now() * 1000));
  if (!sess) sess = ecs_creds_env("ALIBABA_CLOUD_ROLE_SESSION_NAME");
  if (cJSON_IsNumber(dur) && dur->valuedouble >= 900) /* STS allows 900..43200 */
    s->duration = dur->valuedouble > 43200 ? 43200 : (long)dur->valuedouble;
  if (ecs_str_dup(&s->role_arn, js(p, "ram_role_arn")) < 0 ||
      ecs_str_dup(&s->session, sess ? sess : dflt) < 0 ||
      ecs_str_dup(&s->external_id, js(p, "external_id")) < 0 ||
      !(s->sts_endpoint = ecs_creds_sts_endpoint(js(p, "sts_endpoint"), js(p, "sts_region"))))
    return -1;
  return 0;
}

/* Wraps source into an AssumeRole source named "ram_role_arn/<inner>". */
static ecs_src *role_src(ecs_src *source, const cJSON *p) {
  char name[160];
  ecs_src *s;
  if (!source) return NULL;
  snprintf(name, sizeof name, "ram_role_arn/%s", source->name);
  if (!(s = ecs_creds_src_new(SRC_ROLE_ARN, name))) {
    ecs_creds_src_free(source);
    return NULL;
  }
  s->source = source;
  if (role_fields(s, p) < 0) {
    ecs_creds_src_free(s);
    return NULL;
  }
  return s;
}

/* Builds the source for profile p of root (depth for source_profile
 * chains). NULL with why on failure. */
static ecs_src *cli_src(const cJSON *root, const cJSON *p, int depth, ecs_buf *why) {
  const char *name = ecs_json_str(p, "name"), *mode = profile_mode(p);
  const char *id = js(p, "access_key_id"), *sec = js(p, "access_key_secret");
  ecs_src *s = NULL;
  if (strcmp(mode, "AK") == 0 || strcmp(mode, "StsToken") == 0 ||
      strcmp(mode, "RamRoleArn") == 0) {
    int sts = strcmp(mode, "StsToken") == 0;
    if (!id || !sec || (sts && !js(p, "sts_token"))) {
      ecs_buf_addf(why, "profile \"%s\" (mode %s) lacks access_key_id, access_key_secret%s", name,
                   mode, sts ? " or sts_token" : "");
      return NULL;
    }
    if (strcmp(mode, "RamRoleArn") == 0 && !js(p, "ram_role_arn")) {
      ecs_buf_addf(why, "profile \"%s\" (mode RamRoleArn) lacks ram_role_arn", name);
      return NULL;
    }
    s = static_src(id, sec, sts ? js(p, "sts_token") : NULL);
    if (strcmp(mode, "RamRoleArn") == 0) s = role_src(s, p);
  } else if (strcmp(mode, "EcsRamRole") == 0) {
    if ((s = ecs_creds_src_new(SRC_ECS_ROLE, "ecs_ram_role")) &&
        ecs_str_dup(&s->role_name, js(p, "ram_role_name")) < 0) {
      ecs_creds_src_free(s);
      s = NULL;
    }
  } else if (strcmp(mode, "ChainableRamRoleArn") == 0) {
    const char *srcname = js(p, "source_profile");
    const cJSON *sp = srcname ? find_profile(root, srcname) : NULL;
    ecs_src *inner;
    if (!srcname || !js(p, "ram_role_arn")) {
      ecs_buf_addf(why, "profile \"%s\" (mode ChainableRamRoleArn) lacks source_profile or "
                        "ram_role_arn", name);
      return NULL;
    }
    if (!sp) {
      ecs_buf_addf(why, "source_profile \"%s\" of profile \"%s\" not found", srcname, name);
      return NULL;
    }
    if (depth >= MAX_CHAIN) {
      ecs_buf_addf(why, "profile \"%s\": source_profile chain too long (a loop?)", name);
      return NULL;
    }
    if (!(inner = cli_src(root, sp, depth + 1, why))) return NULL;
    s = role_src(inner, p);
  } else if (strcmp(mode, "CredentialsURI") == 0) {
    if (!js(p, "credentials_uri")) {
      ecs_buf_addf(why, "profile \"%s\" (mode CredentialsURI) lacks credentials_uri", name);
      return NULL;
    }
    if ((s = ecs_creds_src_new(SRC_URI, "credential_uri")) &&
        ecs_str_dup(&s->url, js(p, "credentials_uri")) < 0) {
      ecs_creds_src_free(s);
      s = NULL;
    }
  } else if (strcmp(mode, "External") == 0) {
    if (!js(p, "process_command")) {
      ecs_buf_addf(why, "profile \"%s\" (mode External) lacks process_command", name);
      return NULL;
    }
    if ((s = ecs_creds_src_new(SRC_EXTERNAL, "external")) &&
        ecs_str_dup(&s->command, js(p, "process_command")) < 0) {
      ecs_creds_src_free(s);
      s = NULL;
    }
  } else if (strcmp(mode, "OIDC") == 0) {
    if (!js(p, "oidc_provider_arn") || !js(p, "oidc_token_file") || !js(p, "ram_role_arn")) {
      ecs_buf_addf(why, "profile \"%s\" (mode OIDC) lacks oidc_provider_arn, oidc_token_file "
                        "or ram_role_arn", name);
      return NULL;
    }
    if ((s = ecs_creds_src_new(SRC_OIDC, "oidc_role_arn")) &&
        (role_fields(s, p) < 0 ||
         ecs_str_dup(&s->oidc_provider_arn, js(p, "oidc_provider_arn")) < 0 ||
         ecs_str_dup(&s->oidc_token_file, js(p, "oidc_token_file")) < 0)) {
      ecs_creds_src_free(s);
      s = NULL;
    }
  } else {
    ecs_buf_addf(why, "profile \"%s\": mode \"%.40s\" is not supported (supported: AK, StsToken, "
                      "RamRoleArn, EcsRamRole, ChainableRamRoleArn, CredentialsURI, External, "
                      "OIDC)", name, mode);
    return NULL;
  }
  if (!s) ecs_buf_adds(why, "out of memory");
  return s;
}

/* Parses path; *root on 0. 1 missing, -1 with why. */
static int cli_parse(const char *path, cJSON **root, ecs_buf *why) {
  ecs_buf b;
  int rc;
  ecs_buf_init(&b);
  *root = NULL;
  rc = slurp(path, &b, why);
  if (rc == 0) {
    *root = ecs_json_parse(b.data, b.len);
    if (!cJSON_IsObject(*root)) {
      cJSON_Delete(*root);
      *root = NULL;
      ecs_buf_adds(why, "not a valid JSON object");
      rc = -1;
    }
  }
  ecs_buf_wipe(&b);
  return rc;
}

/* The profile name to use: explicit, else `current`, else "default". */
static const char *cli_name(const cJSON *root, const char *profile) {
  const char *cur = js(root, "current");
  return profile ? profile : cur ? cur : "default";
}

int ecs_creds_cli_load(const char *path, const char *profile, ecs_src **src, char **region,
                         ecs_buf *why) {
  cJSON *root;
  const cJSON *p;
  const char *name;
  ecs_src *s;
  char full[200];
  int rc = cli_parse(path, &root, why);
  *src = NULL;
  *region = NULL;
  if (rc != 0) return rc;
  ecs_creds_check_mode(path);
  name = cli_name(root, profile);
  if (!(p = find_profile(root, name))) {
    ecs_buf_addf(why, "profile \"%.64s\" not found", name);
    cJSON_Delete(root);
    return 2;
  }
  if ((s = cli_src(root, p, 0, why))) {
    snprintf(full, sizeof full, "cli_profile/%s", s->name);
    free(s->name);
    if (!(s->name = strdup(full)) || ecs_str_dup(region, js(p, "region_id")) < 0) {
      ecs_creds_src_free(s);
      s = NULL;
      ecs_buf_adds(why, "out of memory");
    }
  }
  cJSON_Delete(root);
  *src = s;
  return s ? 0 : -1;
}

char *ecs_creds_cli_region(const char *path, const char *profile) {
  static const char *const envs[] = {"ALIBABA_CLOUD_PROFILE", "ALIBABACLOUD_PROFILE",
                                     "ALICLOUD_PROFILE", NULL};
  cJSON *root;
  const cJSON *p;
  ecs_buf why;
  char *r = NULL;
  int i;
  ecs_buf_init(&why);
  for (i = 0; !profile && envs[i]; i++) profile = ecs_creds_env(envs[i]);
  if (cli_parse(path, &root, &why) == 0) {
    if ((p = find_profile(root, cli_name(root, profile))) && js(p, "region_id"))
      r = strdup(js(p, "region_id"));
    cJSON_Delete(root);
  }
  ecs_buf_free(&why);
  return r;
}

/* ------------------------------------------------------------- INI file */

typedef struct ini_ctx {
  const char *section;
  ecs_params kv;
  int found;
  int oom;
} ini_ctx;

static int on_ini(void *ud, const char *section, const char *name, const char *value) {
  ini_ctx *c = ud;
  if (strcmp(section, c->section) != 0) return 1;
  c->found = 1;
  if (!name) return 1;
  if (ecs_params_set(&c->kv, name, value ? value : "") < 0) {
    c->oom = 1;
    return 0;
  }
  return 1;
}

/* A non-empty value of the section, or NULL. */
static const char *iv(const ini_ctx *c, const char *k) {
  const char *v = ecs_params_get(&c->kv, k);
  return v && *v ? v : NULL;
}

static ecs_src *ini_src(const ini_ctx *c, ecs_buf *why) {
  const char *type = iv(c, "type"), *id = iv(c, "access_key_id"),
             *sec = iv(c, "access_key_secret");
  ecs_src *s = NULL;
  char dflt[64];
  if (!type) {
    ecs_buf_addf(why, "profile \"%s\" has no type (access_key, ecs_ram_role, ram_role_arn)",
                 c->section);
    return NULL;
  }
  if (strcmp(type, "access_key") == 0 || strcmp(type, "ram_role_arn") == 0) {
    if (!id || !sec) {
      ecs_buf_addf(why, "profile \"%s\" (type %s) lacks access_key_id or access_key_secret",
                   c->section, type);
      return NULL;
    }
    if (strcmp(type, "ram_role_arn") == 0 && !iv(c, "role_arn")) {
      ecs_buf_addf(why, "profile \"%s\" (type ram_role_arn) lacks role_arn", c->section);
      return NULL;
    }
    if (!(s = static_src(id, sec, NULL))) goto oom;
    if (strcmp(type, "ram_role_arn") == 0) {
      ecs_src *r = ecs_creds_src_new(SRC_ROLE_ARN, "ram_role_arn/static_ak");
      const char *sess = iv(c, "role_session_name");
      if (!r) {
        ecs_creds_src_free(s);
        goto oom;
      }
      r->source = s;
      s = r;
      snprintf(dflt, sizeof dflt, "ecsrun-%lld", (long long)(ecs_creds_now() * 1000));
      if (!sess) sess = ecs_creds_env("ALIBABA_CLOUD_ROLE_SESSION_NAME");
      if (ecs_str_dup(&s->role_arn, iv(c, "role_arn")) < 0 ||
          ecs_str_dup(&s->session, sess ? sess : dflt) < 0 ||
          ecs_str_dup(&s->policy, iv(c, "policy")) < 0 ||
          !(s->sts_endpoint = ecs_creds_sts_endpoint(NULL, iv(c, "sts_region")))) {
        ecs_creds_src_free(s);
        goto oom;
      }
    }
  } else if (strcmp(type, "ecs_ram_role") == 0) {
    if (!(s = ecs_creds_src_new(SRC_ECS_ROLE, "ecs_ram_role")) ||
        ecs_str_dup(&s->role_name, iv(c, "role_name")) < 0) {
      ecs_creds_src_free(s);
      goto oom;
    }
  } else {
    ecs_buf_addf(why, "profile \"%s\": invalid type \"%.40s\" (supported: access_key, "
                      "ecs_ram_role, ram_role_arn)", c->section, type);
    return NULL;
  }
  return s;
oom:
  ecs_buf_adds(why, "out of memory");
  return NULL;
}

int ecs_creds_ini_load(const char *path, const char *profile, ecs_src **src, ecs_buf *why) {
  ini_ctx c;
  FILE *f;
  int rc, missing = 0;
  char full[200];
  *src = NULL;
  if (!(f = fopen(path, "r"))) {
    if (errno == ENOENT || errno == ENOTDIR) return 1;
    ecs_buf_addf(why, "cannot read (%s)", strerror(errno));
    return -1;
  }
  ecs_creds_check_mode(path);
  memset(&c, 0, sizeof c);
  c.section = profile ? profile : "default";
  ecs_params_init(&c.kv);
  rc = ini_parse_file(f, on_ini, &c);
  fclose(f);
  if (rc != 0 || c.oom) {
    if (c.oom) ecs_buf_adds(why, "out of memory");
    else ecs_buf_addf(why, "syntax error on line %d", rc);
  } else if (!c.found) {
    ecs_buf_addf(why, "profile \"%.64s\" not found", c.section);
    missing = 1;
  } else if ((*src = ini_src(&c, why))) {
    snprintf(full, sizeof full, "profile/%s", (*src)->name);
    free((*src)->name);
    if (!((*src)->name = strdup(full))) {
      ecs_creds_src_free(*src);
      *src = NULL;
      ecs_buf_adds(why, "out of memory");
    }
  }
  {
    size_t i;
    for (i = 0; i < c.kv.n; i++) {
      ecs_free_secret(c.kv.v[i].value);
      c.kv.v[i].value = NULL;
    }
    ecs_params_free(&c.kv);
  }
  return *src ? 0 : missing ? 2 : -1;
}

/* ------------------------------------------------------ External process */

/* Splits a command line on blanks; '...' and "..." group words (no
 * escapes, no expansion: there is no shell). argv is NULL-terminated;
 * free argv[0..] and argv. NULL when empty or out of memory. */
static char **split_command(const char *cmd) {
  size_t cap = 8, n = 0;
  char **argv = calloc(cap, sizeof *argv);
  const char *p = cmd;
  if (!argv) return NULL;
  for (;;) {
    ecs_buf w;
    while (*p == ' ' || *p == '\t') p++;
    if (!*p) break;
    ecs_buf_init(&w);
    while (*p && *p != ' ' && *p != '\t') {
      if (*p == '\'' || *p == '"') {
        char q = *p++;
        const char *e = strchr(p, q);
        size_t len = e ? (size_t)(e - p) : strlen(p);
        ecs_buf_add(&w, p, len);
        p += len + (e ? 1 : 0);
      } else {
        ecs_buf_addc(&w, *p++);
      }
    }
    if (n + 2 > cap) {
      char **nv = realloc(argv, (cap *= 2) * sizeof *argv);
      if (!nv) {
        ecs_buf_free(&w);
        break;
      }
      argv = nv;
    }
    argv[n++] = strdup(ecs_buf_cstr(&w));
    argv[n] = NULL;
    ecs_buf_free(&w);
  }
  if (n == 0) {
    free(argv);
    return NULL;
  }
  return argv;
}

static void free_argv(char **argv) {
  size_t i;
  for (i = 0; argv && argv[i]; i++) free(argv[i]);
  free(argv);
}

/* Timeout of the External program in ms (ECSRUN_CREDENTIALS_PROCESS_TIMEOUT
 * seconds, default 30). */
static long process_timeout_ms(void) {
  const char *v = ecs_creds_env("ECSRUN_CREDENTIALS_PROCESS_TIMEOUT");
  double d = v ? strtod(v, NULL) : 30;
  if (!(d > 0 && d <= 3600)) d = 30;
  return (long)(d * 1000);
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs argv with stdout into out (stderr discarded). 0 exit 0, -1 why. */
static int run_capture(char **argv, ecs_buf *out, ecs_buf *why) {
  posix_spawn_file_actions_t fa;
  pid_t pid;
  int fds[2], st = 0, rc, timed_out = 0;
  long long deadline = mono_ms() + process_timeout_ms();
  if (pipe(fds) != 0) return ecs_buf_adds(why, "cannot create a pipe"), -1;
  (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[1]);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    ecs_buf_addf(why, "cannot run \"%.80s\": %s", argv[0], strerror(rc));
    return -1;
  }
  for (;;) {
    struct pollfd pf = {fds[0], POLLIN, 0};
    long long left = deadline - mono_ms();
    char chunk[4096];
    ssize_t n;
    if (left <= 0) {
      timed_out = 1;
      break;
    }
    if (poll(&pf, 1, (int)left) <= 0) continue;
    n = read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (out->len + (size_t)n > 1024 * 1024 || ecs_buf_add(out, chunk, (size_t)n) < 0) break;
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (timed_out) {
    ecs_buf_addf(why, "\"%.80s\" did not finish within %ld s (killed)", argv[0],
                 process_timeout_ms() / 1000);
    return -1;
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127) { /* the child could not exec */
    ecs_buf_addf(why, "cannot run \"%.80s\" (exit status 127)", argv[0]);
    return -1;
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    ecs_buf_addf(why, "\"%.80s\" failed (%s %d)", argv[0],
                 WIFEXITED(st) ? "exit status" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return -1;
  }
  return 0;
}

int ecs_creds_external_fetch(const char *command, ecs_creds *out, ecs_buf *why) {
  char **argv;
  ecs_buf o;
  cJSON *j = NULL;
  int rc = -1;
  if (ecs_creds_env_true("ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS"))
    return ecs_buf_adds(why, "External mode disabled by ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS"),
           -1;
  if (!(argv = split_command(command))) return ecs_buf_adds(why, "empty process_command"), -1;
  ecs_buf_init(&o);
  if (run_capture(argv, &o, why) < 0) goto done;
  j = ecs_json_parse(o.data, o.len);
  if (!cJSON_IsObject(j)) {
    ecs_buf_addf(why, "\"%.80s\" printed no JSON object on stdout", argv[0]);
    goto done;
  }
  {
    const char *mode = js(j, "mode"), *id = js(j, "access_key_id"),
               *sec = js(j, "access_key_secret"), *tok = js(j, "sts_token"),
               *exp = js(j, "expiration");
    double e = 0;
    if (mode && strcmp(mode, "AK") != 0 && strcmp(mode, "StsToken") != 0) {
      ecs_buf_addf(why, "\"%.80s\" printed mode \"%.20s\" (expected AK or StsToken)", argv[0],
                   mode);
      goto done;
    }
    if (!id || !sec || (mode && strcmp(mode, "StsToken") == 0 && !tok)) {
      ecs_buf_addf(why, "\"%.80s\" printed JSON without access_key_id, access_key_secret%s",
                   argv[0], mode && strcmp(mode, "StsToken") == 0 ? " or sts_token" : "");
      goto done;
    }
    if (exp && (e = ecs_creds_parse_time(exp)) < 0) e = 0;
    if (ecs_creds_take(out, id, sec, tok, e, why) < 0) goto done;
  }
  rc = 0;
done:
  cJSON_Delete(j);
  ecs_buf_wipe(&o);
  free_argv(argv);
  return rc;
}
