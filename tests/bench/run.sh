#!/usr/bin/env bash
# run.sh [BUILD_DIR] [PART...] - the ecsrun benchmarks (issue 3). Figures are printed, never
# asserted: nothing here is a pass/fail timing test.
#   BUILD_DIR  a build with ecsrun, ecs-sim and ecs.so (default build-bench; relative to the repo)
#   PART       any of: startup throughput ratelimit sweep (default: all, in that order);
#              each is also a script of its own: tests/bench/PART.sh [BUILD_DIR]
# Environment: BENCH_RUNS (throughput repetitions, 3), BENCH_SWEEP_N (2000), BENCH_SWEEP_C,
# BENCH_OUT (tests/bench/out), BENCH_PNG (docs/benchmarks-concurrency.png).
# Needs GNU time, jq, curl, valgrind, lua5.4, gnuplot (Debian packages, installed when missing),
# hyperfine if available, and node + npm for the official SDK (installed into
# tests/bench/.npm-cache on first use).
set -eu
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build-bench}; [ $# -gt 0 ] && shift
PARTS=${*:-startup throughput ratelimit sweep}
OUT=${BENCH_OUT:-$BENCH_DIR/out}
mkdir -p "$OUT"
: >"$OUT/table.md"
for p in $PARTS; do
  [ -x "$BENCH_DIR/$p.sh" ] || { echo "run.sh: unknown part '$p'" >&2; exit 2; }
  "$BENCH_DIR/$p.sh" "$BUILD" >/dev/null
done
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
{
  echo
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
       "$(uname -sr); $("$BUILD/ecsrun" --version 2>&1 | head -1); $(lua5.4 -v 2>&1 | awk "NR == 1 { print \$1, \$2 }");" \
       "node $(node --version 2>/dev/null || echo n/a);" \
       "@alicloud/ecs20140526 $(jq -r .version "$BENCH_DIR/.npm-cache/node_modules/@alicloud/ecs20140526/package.json" 2>/dev/null || echo n/a)," \
       "@alicloud/openapi-core $(jq -r .version "$BENCH_DIR/.npm-cache/node_modules/@alicloud/openapi-core/package.json" 2>/dev/null || echo n/a)"
  echo
  echo "| figure | measured | target | met |"
  echo "|---|---|---|---|"
  cat "$OUT/table.md"
} | tee "$OUT/report.md"
