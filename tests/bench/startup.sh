#!/usr/bin/env bash
# startup.sh [BUILD_DIR] - startup of `ecsrun -e ''` beside `lua5.4 -e ''` (hyperfine, 100 runs,
# or a timed loop of 100 runs without it), their instruction counts under callgrind, and the
# instructions per ReActivateInstances call of ecsrun (callgrind over 500 calls against an
# ecs-sim process with no latency, minus the startup count).
. "$(dirname "$0")/lib.sh" "$@"
need_tools lua5.4:lua5.4 valgrind:valgrind
command -v hyperfine >/dev/null 2>&1 || need_tools hyperfine:hyperfine || true
NCG=500
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine -N --warmup 10 --runs 100 --export-json "$OUT/startup.json" \
    "$ECSRUN -e ''" "lua5.4 -e ''" >&2
  E_MS=$(jq '.results[0].mean * 1000' "$OUT/startup.json"); L_MS=$(jq '.results[1].mean * 1000' "$OUT/startup.json")
  E_SD=$(jq '.results[0].stddev * 1000' "$OUT/startup.json"); L_SD=$(jq '.results[1].stddev * 1000' "$OUT/startup.json")
  HOW="hyperfine, 100 runs, mean +- sd"
else
  loop() { local s e; s=$(date +%s.%N); for _ in $(seq 100); do "$@" >/dev/null; done; e=$(date +%s.%N); calc "($e - $s) * 10"; }
  E_MS=$(loop "$ECSRUN" -e ''); L_MS=$(loop lua5.4 -e ''); E_SD=NaN; L_SD=NaN
  HOW="loop of 100 runs, mean"
fi
ir() { # ir LABEL CMD... -> instructions executed (callgrind "Collected")
  local label=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind.$label" "$@" >/dev/null 2>"$OUT/callgrind.$label.log"
  sed -n 's/^==[0-9]*== Collected : //p' "$OUT/callgrind.$label.log"
}
E_IR=$(ir ecsrun-startup "$ECSRUN" -e '')
L_IR=$(ir lua-startup lua5.4 -e '')
gen_fleet "$NCG" "$OUT/fleet-callgrind.json" 0
sim_start "$OUT/fleet-callgrind.json"
R_IR=$(ir ecsrun-calls "$ECSRUN" --endpoint "$SIM_URL" --region cn-hangzhou "$BENCH_DIR/reactivate.lua" "$NCG" 64)
verify_once "$NCG"
sim_stop
row "startup: ecsrun -e '' ($HOW)" "$(calc "$E_MS") ms +- $(calc "$E_SD"); $E_IR instructions (callgrind)"
row "startup: lua5.4 -e '' ($HOW)" "$(calc "$L_MS") ms +- $(calc "$L_SD"); $L_IR instructions (callgrind)"
row "ecsrun: instructions per ReActivateInstances call (callgrind, $NCG calls, concurrency 64)" "$(calc "($R_IR - $E_IR) / $NCG")"
