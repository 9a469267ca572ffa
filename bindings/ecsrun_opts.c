/* ecsrun_opts.c - ecsrun's command line: the usage text, and argv parsed
 * into an opts (see ecsrun_opts.h). Running the script is ecsrun.c. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ecsrun_opts.h"
#include "lecs.h"

const char *progname = "ecsrun";


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

static int check_values(const opts *o);

static int usage_error(const char *fmt, const char *what) {
  fprintf(stderr, "%s: ", progname);
  fprintf(stderr, fmt, what);
  fprintf(stderr, "\n(try '%s --help')\n", progname);
  return -1;
}

int ecsrun_parse_args(int argc, char **argv, opts *o) {
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
  return check_values(o);
}

/* Checks the values of the options that take a fixed set or a range.
 * Returns 0 or -1 (reported). */
static int check_values(const opts *o) {
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
