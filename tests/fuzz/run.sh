#!/bin/sh
# tests/fuzz/run.sh SECONDS - builds the libFuzzer targets with clang in
# build-fuzz (-DECS_FUZZ=ON) and runs each for SECONDS on a scratch copy of
# its seed corpus (the committed corpus never grows). Exits non-zero when any
# fuzzer finds a crash, a leak, UB, a timeout or a broken invariant; the
# input that did it is kept in build-fuzz/fuzz-artifacts/.
#
# Environment: ECS_FUZZ_BUILD (build dir, default <repo>/build-fuzz),
# ECS_FUZZ_JOBS (build parallelism, default 2), ECS_FUZZ_ONLY (space-
# separated fuzzer names to run, default all), ECS_FUZZ_ARGS (extra
# libFuzzer flags, e.g. "-jobs=4 -workers=4").
set -eu
secs=${1:-30}
case $secs in ''|*[!0-9]*) echo "usage: $0 SECONDS" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${ECS_FUZZ_BUILD:-$root/build-fuzz}
jobs=${ECS_FUZZ_JOBS:-2}
fuzzers=${ECS_FUZZ_ONLY:-$(cd "$here" && ls fuzz_*.c | sed -e 's/\.c$//' -e '/^fuzz_util$/d')}

mkdir -p "$build"
CC=${CC_FUZZ:-clang} cmake -S "$root" -B "$build" -DECS_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $fuzzers

artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/ecs-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
failed=""
for f in $fuzzers; do
  mkdir -p "$work/$f"
  cp "$here/corpus/$f/"* "$work/$f/"
  dict=""
  [ -f "$here/$f.dict" ] && dict="-dict=$here/$f.dict"
  echo "== $f: ${secs}s"
  # shellcheck disable=SC2086
  if "$build/tests/fuzz/$f" "$work/$f" $dict -max_total_time="$secs" -rss_limit_mb=2048 \
       -timeout=10 -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts/$f-" \
       ${ECS_FUZZ_ARGS:-} >"$work/$f.log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+ *DONE)' \
      "$work/$f.log" || true
  else
    echo "!! $f failed; log tail:"
    tail -n 60 "$work/$f.log"
    failed="$failed $f"
  fi
done
if [ -n "$failed" ]; then
  echo "fuzzers that failed:$failed (inputs in $artifacts)" >&2
  exit 1
fi
echo "all fuzzers ran ${secs}s clean"
