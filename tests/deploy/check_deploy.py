#!/usr/bin/env python3
"""Checks the files under deploy/ the way they will be used.

usage: check_deploy.py ECSRUN SOURCE_DIR SCRATCH_DIR

- systemd: `systemd-analyze verify` of the service and timer, instantiated for
  an account and with the install paths mapped to this build (a "generated
  environment": verify insists that ExecStart's program exists). Any warning
  about them fails the check. Then the service's ExecStart line itself runs
  against the built-in simulator (--simulate): it must exit 0 and write the
  report and the metrics; while another holder has the lock it must exit 75.
- cron: the line's schedule fields are valid and its command, run the same
  way, exits 0 and writes the report.
- Kubernetes: the CronJob forbids overlapping runs, sets the RRSA variables
  that ecsrun's credential chain reads (checked against runtime/*.c), the
  token file is where the projected token is mounted, and its command runs.

Nothing is skipped: a missing tool is a failure.
"""
import fcntl
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

import yaml

ECSRUN, SRC, TMP = (os.path.abspath(a) for a in sys.argv[1:4])
DEMO = os.path.join(SRC, "scripts", "fleets", "demo.json")
ACCOUNT = "ci"
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def mapped(text):
    """Install paths -> this build and a scratch tree (one pass: a mapped path
    is never mapped again)."""
    root = os.path.join(TMP, "root")
    table = {"/usr/local/bin/ecsrun": ECSRUN,
             "/usr/local/share/ecsrun/": os.path.join(SRC, "scripts") + "/",
             "/var/lib/ecsrun": root + "/var/lib/ecsrun",
             "/var/log/ecsrun": root + "/var/log/ecsrun",
             "/etc/ecsrun": root + "/etc/ecsrun",
             "/work/": root + "/work/"}
    pattern = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.sub(r"(?<![\w.-])(%s)" % pattern, lambda m: table[m.group(1)], text)


def with_simulator(argv):
    """Inserts --simulate DEMO right after the ecsrun program."""
    i = argv.index(ECSRUN)
    return argv[:i + 1] + ["--simulate", DEMO] + argv[i + 1:]


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_CLOUD_")}
    env.update(extra or {})
    return env


def check_report(path, what):
    try:
        with open(path) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        return fail(f"{what}: no report at {path}: {e}")
    if rep.get("counts", {}).get("reactivated") != 4 or len(rep.get("regions", [])) < 3:
        fail(f"{what}: the report does not show the demo's 4 reactivations in every region: {rep.get('counts')}")


def unit_value(text, key):
    """All values of key= in a unit file, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", text)
    return [m.group(1).strip() for m in re.finditer(r"^%s=(.*)$" % re.escape(key), text, re.M)]


def check_systemd():
    if not shutil.which("systemd-analyze"):
        return fail("systemd-analyze not found (apt-get install systemd)")
    d = os.path.join(TMP, "units")
    os.makedirs(d, exist_ok=True)
    units = []
    for path in sorted(glob.glob(os.path.join(SRC, "deploy", "systemd", "*@.*"))):
        name = os.path.basename(path).replace("@.", "@%s." % ACCOUNT)
        with open(path) as f:
            text = f.read()
        out = os.path.join(d, name)
        with open(out, "w") as f:
            f.write(mapped(text))
        units.append(out)
    if len(units) != 2:
        return fail(f"expected a service and a timer template under deploy/systemd, found {units}")
    p = subprocess.run(["systemd-analyze", "verify", "--man=no"] + units,
                       capture_output=True, text=True)
    noise = [l for l in (p.stdout + p.stderr).splitlines() if "ecsrun" in l]
    if p.returncode != 0 or noise:
        fail("systemd-analyze verify: exit %d\n%s" % (p.returncode, p.stdout + p.stderr))
    service = [u for u in units if u.endswith(".service")][0]
    with open(service) as f:
        text = f.read().replace("%i", ACCOUNT)
    env = dict(v.split("=", 1) for v in unit_value(text, "Environment"))
    for sd in " ".join(unit_value(text, "StateDirectory")).split():
        os.makedirs(os.path.join(TMP, "root", "var", "lib", sd), exist_ok=True)
    argv = with_simulator(shlex.split(unit_value(text, "ExecStart")[0]))
    p = subprocess.run(argv, env=clean_env(env), capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail("the service's ExecStart exited %d:\n%s" % (p.returncode, p.stderr[-2000:]))
    root = os.path.join(TMP, "root", "var", "lib", "ecsrun")
    check_report(os.path.join(root, ACCOUNT, "report.json"), "systemd")
    try:
        with open(os.path.join(root, "metrics", ACCOUNT + ".prom")) as f:
            prom = f.read()
        if 'ecsrun_reactivate_instances{account="%s",outcome="reactivated"} 4' % ACCOUNT not in prom:
            fail("systemd: the metrics do not carry the account name from the unit:\n" + prom)
    except OSError as e:
        fail(f"systemd: no metrics file: {e}")
    # flock: while another run holds the account's lock, exit 75 at once
    with open(os.path.join(root, ACCOUNT, "run.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        t0 = time.time()
        p = subprocess.run(argv, env=clean_env(env), capture_output=True, text=True, timeout=60)
        if p.returncode != 75 or time.time() - t0 > 10:
            fail(f"a second run did not exit 75 at once while the lock was held (exit {p.returncode})")


def check_cron():
    with open(os.path.join(SRC, "deploy", "cron", "ecsrun-reactivate")) as f:
        lines = [l for l in f.read().splitlines() if l.strip() and not l.startswith("#")]
    jobs = [l for l in lines if not re.match(r"^[A-Z_]+=", l)]
    if not jobs:
        return fail("no cron line")
    field = r"(\*|\d+(-\d+)?)(/\d+)?(,(\d+(-\d+)?)(/\d+)?)*"
    for job in jobs:
        parts = job.split(None, 6)
        if len(parts) != 7 or not all(re.fullmatch(field, x) for x in parts[:5]):
            fail(f"not a cron.d line (5 schedule fields, a user, a command): {job}")
            continue
        cmd = mapped(parts[6]).replace("exec ecsrun ", "exec %s --simulate %s " % (ECSRUN, DEMO))
        acct = re.search(r"/etc/ecsrun/(\w+)\.env", parts[6]).group(1)
        root = os.path.join(TMP, "root")
        os.makedirs(os.path.join(root, "etc", "ecsrun"), exist_ok=True)
        os.makedirs(os.path.join(root, "var", "log", "ecsrun"), exist_ok=True)
        with open(os.path.join(root, "etc", "ecsrun", acct + ".env"), "w") as f:
            f.write("ALIBABA_CLOUD_REGION_ID=cn-hangzhou\n")
        p = subprocess.run(["sh", "-c", cmd], env=clean_env({"PATH": "/usr/local/bin:/usr/bin:/bin"}),
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            log = open(os.path.join(root, "var", "log", "ecsrun", acct + ".log")).read()[-2000:]
            fail(f"the cron command exited {p.returncode}: {p.stderr}\n{log}")
        check_report(os.path.join(root, "var", "lib", "ecsrun", acct, "report.json"), "cron")


def check_kubernetes():
    with open(os.path.join(SRC, "deploy", "kubernetes", "cronjob.yaml")) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    jobs = [d for d in docs if d.get("kind") == "CronJob"]
    if len(jobs) != 1:
        return fail("expected one CronJob in deploy/kubernetes/cronjob.yaml")
    spec = jobs[0]["spec"]
    if spec.get("concurrencyPolicy") != "Forbid":
        fail("the CronJob must forbid overlapping runs (concurrencyPolicy: Forbid)")
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    c = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    code = ""
    for path in glob.glob(os.path.join(SRC, "runtime", "*.c")):
        with open(path) as f:
            code += f.read()
    for var in ("ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE"):
        if not env.get(var):
            fail(f"the CronJob does not set {var}")
        short = var[len("ALIBABA_CLOUD_"):]
        if var not in code and ('"%s"' % short) not in code:
            fail(f"ecsrun's credential chain does not read {var}")
    token = env.get("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "")
    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    ok = False
    for v in pod.get("volumes", []):
        for s in v.get("projected", {}).get("sources", []):
            sat = s.get("serviceAccountToken")
            if sat and os.path.join(mounts.get(v["name"], "?"), sat["path"]) == token:
                ok = sat.get("audience") == "sts.aliyuncs.com"
    if not ok:
        fail("ALIBABA_CLOUD_OIDC_TOKEN_FILE is not the projected service account token (audience sts.aliyuncs.com)")
    os.makedirs(os.path.join(TMP, "root", "work"), exist_ok=True)
    argv = with_simulator([mapped(a) for a in c["command"] + c["args"]])
    run_env = {k: v for k, v in env.items() if k in ("ECSRUN_ACCOUNT", "ALIBABA_CLOUD_REGION_ID")}
    p = subprocess.run(argv, env=clean_env(run_env), capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        fail("the CronJob's command exited %d:\n%s" % (p.returncode, p.stderr[-2000:]))
    check_report(os.path.join(TMP, "root", "work", "report.json"), "kubernetes")


shutil.rmtree(TMP, ignore_errors=True)
os.makedirs(TMP)
check_systemd()
check_cron()
check_kubernetes()
if failures:
    print("%d problem(s) in deploy/" % len(failures))
    sys.exit(1)
print("deploy/: systemd units verified and run, cron line run, CronJob checked and run")
