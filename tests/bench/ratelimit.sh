#!/usr/bin/env bash
# ratelimit.sh [BUILD_DIR] - ecsrun --qps 50 for 10 s against an ecs-sim process whose fleet
# throttles ReActivateInstances at 50 per 1 s window (20 ms latency, 800 instances,
# concurrency 128 so that the limiter is what limits). Reports the achieved rate (calls answered
# OK within the 10 s / 10 s; target >= 0.95 x 50), the Throttling answers counted from
# /_sim/requests (target 0) and the busiest simulator second.
. "$(dirname "$0")/lib.sh" "$@"
QPS=${BENCH_QPS:-50} DUR=${BENCH_DURATION:-10} N=800 C=128
gen_fleet "$N" "$OUT/fleet-ratelimit.json" 20 "$QPS" 1
sim_start "$OUT/fleet-ratelimit.json"
log "ratelimit: ecsrun --qps $QPS for $DUR s, concurrency $C"
timed "$OUT/time.txt" "$ECSRUN" --endpoint "$SIM_URL" --region cn-hangzhou --qps "$QPS" \
  "$BENCH_DIR/reactivate.lua" "$N" "$C" 1 "$DUR" >"$OUT/ratelimit.json"
cat "$OUT/ratelimit.json" >&2
SENT=$(jq .calls "$OUT/ratelimit.json")
OKW=$(jq .ok_in_window "$OUT/ratelimit.json")
curl -sf "$SIM_URL/_sim/requests" >"$OUT/requests.json"
THR=$(throttled_count)
REQS=$(jq '[.[] | select(.action == "ReActivateInstances")] | length' "$OUT/requests.json")
BUSIEST=$(jq '[.[] | select(.action == "ReActivateInstances") | .time] | group_by(.) | map(length) | max' "$OUT/requests.json")
if [ "$THR" = 0 ]; then verify_once "$SENT"; else echo "bench: $THR throttled: not every call succeeded" >&2; fi
sim_stop
RATE=$(calc "$OKW / $DUR")
row "rate limit: --qps $QPS, $DUR s, sim throttle $QPS/1 s: achieved rate" "$RATE calls/s ($OKW OK in $DUR s; $SENT sent, $REQS seen by the sim)" ">= $(calc "0.95 * $QPS")" "$(met "$RATE >= 0.95 * $QPS")"
row "rate limit: Throttling answers (from /_sim/requests)" "$THR" "0" "$(met "$THR == 0")"
row "rate limit: busiest simulator second (its log has 1 s resolution)" "$BUSIEST requests" "<= $QPS" "$(met "$BUSIEST <= $QPS")"
