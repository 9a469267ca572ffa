# shellcheck shell=bash
# lib.sh - shared helpers for the benchmark parts (sourced, not run).
#
# Every part script does:  . "$(dirname "$0")/lib.sh" "$@"
# and then uses: $ECSRUN $SIM $OUT, need_tools, gen_fleet, sim_start/sim_stop, timed,
# verify_once, row. Figures go to stdout and, as Markdown table rows, to $OUT/table.md.
set -eu

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
BUILD=${1:-${BUILD:-build-bench}}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
ECSRUN=$BUILD/ecsrun
SIM=$BUILD/ecs-sim
OUT=${BENCH_OUT:-$BENCH_DIR/out}
NPM_PREFIX=$BENCH_DIR/.npm-cache
export NODE_PATH=$NPM_PREFIX/node_modules
export ALIBABA_CLOUD_ACCESS_KEY_ID=sim-ak ALIBABA_CLOUD_ACCESS_KEY_SECRET=sim-secret
unset ALIBABA_CLOUD_SECURITY_TOKEN ALIBABA_CLOUD_REGION_ID
mkdir -p "$OUT"

for f in "$ECSRUN" "$SIM"; do
  [ -x "$f" ] || { echo "bench: $f not built (cmake -S . -B ${BUILD#"$ROOT"/} && cmake --build ${BUILD#"$ROOT"/} -j2)" >&2; exit 2; }
done

log() { printf '== %s\n' "$*" >&2; }

# need_tools CMD:PACKAGE ... - installs the Debian packages of missing commands.
need_tools() {
  local missing="" t
  for t in "$@"; do
    [ -x "${t%%:*}" ] || command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
  done
  [ -z "$missing" ] && return 0
  log "installing Debian packages:$missing"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  # shellcheck disable=SC2086 # $missing is a list of package names
  $sudo apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
}
need_tools /usr/bin/time:time jq:jq curl:curl

# gen_fleet N FILE [latency_ms] [throttle_limit window_s]
gen_fleet() { "$ECSRUN" "$BENCH_DIR/gen_fleet.lua" "$@"; }

# sim_start FLEET [extra ecs-sim args] - starts ecs-sim, sets SIM_PID and SIM_URL.
sim_start() {
  local fleet=$1; shift
  rm -f "$OUT/sim.stdout"
  "$SIM" --quiet "$@" "$fleet" >"$OUT/sim.stdout" 2>"$OUT/sim.stderr" &
  SIM_PID=$!
  local _
  for _ in $(seq 100); do
    SIM_URL=$(sed -n '1s/^listening on //p' "$OUT/sim.stdout" 2>/dev/null || true)
    [ -n "$SIM_URL" ] && return 0
    kill -0 "$SIM_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench: ecs-sim did not start:" >&2; cat "$OUT/sim.stderr" >&2; exit 1
}
sim_stop() {
  [ -n "${SIM_PID:-}" ] || return 0
  kill "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
  SIM_PID=
}
trap sim_stop EXIT

# timed FILE CMD... - runs CMD under GNU time; FILE gets "wall user sys maxrss_kb".
timed() {
  local f=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$f" "$@"
}

# verify_once N [FIRST] - every i-bench<FIRST..FIRST+N-1> got exactly one ReActivateInstances
# answered OK, and is no longer Stopped in /_sim/state. Prints the Throttling count.
verify_once() {
  local n=$1 first=${2:-1}
  curl -sf "$SIM_URL/_sim/requests" >"$OUT/requests.json"
  curl -sf "$SIM_URL/_sim/state" >"$OUT/state.json"
  jq -e --argjson n "$n" --argjson first "$first" '
    [range($first; $first + $n) | "i-bench" + (tostring | ("0000" + .)[-5:])] as $want
    | (map(select(.action == "ReActivateInstances" and .code == "OK")) | group_by(.instance_id)
       | map({key: .[0].instance_id, value: length}) | from_entries) as $ok
    | ($want | map(select(($ok[.] // 0) != 1))) as $bad
    | if ($bad | length) == 0 and ($ok | length) == $n then true
      else error("not reactivated exactly once: \($bad[:5]) ... (\($bad | length) bad, \($ok | length) OK ids)") end
  ' "$OUT/requests.json" >/dev/null || { echo "bench: verification FAILED" >&2; return 1; }
  jq -e --argjson n "$n" --argjson first "$first" '
    [.instances[] | select(.InstanceId | test("^i-bench")) | select((.InstanceId[7:] | tonumber) as $k
      | $k >= $first and $k < $first + $n)] as $mine
    | ($mine | length) == $n and all($mine[]; .Status == "Starting" or .Status == "Running")
  ' "$OUT/state.json" >/dev/null || { echo "bench: /_sim/state disagrees" >&2; return 1; }
}

# throttled_count - Throttling answers in the last fetched request log.
throttled_count() { jq '[.[] | select(.code | startswith("Throttling"))] | length' "$OUT/requests.json"; }

# calc EXPR - floating point arithmetic with awk.
calc() { awk "BEGIN { printf \"%.4g\", $* }"; }

# median of the numbers on stdin
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# row "figure" "value" ["target" "met"] - one line of the results table.
row() {
  printf '| %s | %s | %s | %s |\n' "$1" "$2" "${3:-}" "${4:-}" | tee -a "$OUT/table.md"
}
met() { awk "BEGIN { exit !($*) }" && echo yes || echo NO; }

# node_setup - installs the official SDK into tests/bench/.npm-cache (once).
node_setup() {
  command -v node >/dev/null || { echo "bench: node not installed (Debian: nodejs)" >&2; return 1; }
  if [ ! -d "$NODE_PATH/@alicloud/ecs20140526" ] || [ ! -d "$NODE_PATH/@alicloud/openapi-core" ]; then
    log "npm install @alicloud/ecs20140526 @alicloud/openapi-client into $NPM_PREFIX"
    npm install --prefix "$NPM_PREFIX" --no-audit --no-fund --silent \
      @alicloud/ecs20140526 @alicloud/openapi-client >&2
  fi
}
