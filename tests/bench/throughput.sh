#!/usr/bin/env bash
# throughput.sh [BUILD_DIR] - 2,000 reactivations at concurrency 64 against an ecs-sim process
# with 20 ms latency, by ecsrun (ecs.parallel over ecs.reactivate{retry=false}) and by the
# official Node.js SDK (node_reactivate.js), each BENCH_RUNS times (default 3) on a fresh
# simulator; every run is checked on /_sim/requests + /_sim/state (each instance reactivated
# exactly once). Prints wall time (median) vs the ideal 2000/64 x 20 ms, and client CPU per call.
. "$(dirname "$0")/lib.sh" "$@"
N=${BENCH_N:-2000} C=${BENCH_C:-64} LAT=20 RUNS=${BENCH_RUNS:-3}
IDEAL=$(calc "$N / $C * $LAT / 1000")
gen_fleet "$N" "$OUT/fleet-throughput.json" "$LAT"

run_client() { # run_client ecsrun|node i -> appends "wall user sys rss inrun_cpu" to $OUT/tp-<client>.txt
  local client=$1 i=$2 json
  sim_start "$OUT/fleet-throughput.json"
  if [ "$client" = ecsrun ]; then
    timed "$OUT/time.txt" "$ECSRUN" --endpoint "$SIM_URL" --region cn-hangzhou \
      "$BENCH_DIR/reactivate.lua" "$N" "$C" >"$OUT/tp-$client-$i.json"
    json=$(jq -r '"\(.wall_s) \(.cpu_s) \(.ok)"' "$OUT/tp-$client-$i.json")
  else
    timed "$OUT/time.txt" node "$BENCH_DIR/node_reactivate.js" "$SIM_URL" "$N" "$C" >"$OUT/tp-$client-$i.json"
    json=$(jq -r '"\(.wall_s) \(.cpu_user_s + .cpu_sys_s) \(.ok)"' "$OUT/tp-$client-$i.json")
  fi
  cat "$OUT/tp-$client-$i.json" >&2
  local run_wall run_cpu ok
  read -r run_wall run_cpu ok <<<"$json"
  [ "$ok" = "$N" ] || { echo "bench: $client: only $ok of $N OK" >&2; jq . "$OUT/tp-$client-$i.json" >&2; }
  verify_once "$N"
  sim_stop
  # run_wall inrun_cpu | GNU time: wall user sys maxrss_kb
  echo "$run_wall $run_cpu $(cat "$OUT/time.txt")" >>"$OUT/tp-$client.txt"
}

clients="ecsrun node"
if ! node_setup; then clients=ecsrun; fi
for client in $clients; do
  rm -f "$OUT/tp-$client.txt"
  for i in $(seq "$RUNS"); do log "throughput: $client run $i/$RUNS ($N calls, concurrency $C)"; run_client "$client" "$i"; done
done

col() { awk "{ print \$$2 }" "$OUT/tp-$1.txt" | median; }
E_WALL=$(col ecsrun 1); E_PROC=$(awk '{ print $4 + $5 }' "$OUT/tp-ecsrun.txt" | median)
E_RUN=$(col ecsrun 2); E_RSS=$(col ecsrun 6)
row "ecsrun: $N reactivations, concurrency $C, 20 ms latency: wall (median of $RUNS)" \
    "$(calc "$E_WALL * 1000") ms = $(calc "$E_WALL / $IDEAL")x ideal $(calc "$IDEAL * 1000") ms" "<= 1.25x" "$(met "$E_WALL <= 1.25 * $IDEAL")"
row "ecsrun: client CPU per call, whole process (user+sys / $N)" "$(calc "$E_PROC / $N * 1e6") us"
row "ecsrun: client CPU per call, during the run (os.clock)" "$(calc "$E_RUN / $N * 1e6") us"
row "ecsrun: max RSS" "$(calc "$E_RSS / 1024") MiB"
echo "ecsrun $E_WALL $E_PROC $E_RUN $E_RSS" >"$OUT/tp-summary.txt"
if [ -f "$OUT/tp-node.txt" ] && [ "$clients" != ecsrun ]; then
  S_WALL=$(col node 1); S_PROC=$(awk '{ print $4 + $5 }' "$OUT/tp-node.txt" | median)
  S_RUN=$(col node 2); S_RSS=$(col node 6)
  echo "node $S_WALL $S_PROC $S_RUN $S_RSS" >>"$OUT/tp-summary.txt"
  row "Node SDK: same run: wall (median of $RUNS)" "$(calc "$S_WALL * 1000") ms = $(calc "$S_WALL / $IDEAL")x ideal" \
      "ecsrun not slower" "$(met "$E_WALL <= $S_WALL")"
  row "Node SDK: client CPU per call, whole process (user+sys / $N)" "$(calc "$S_PROC / $N * 1e6") us" \
      "ecsrun <= 1/5" "$(met "$E_PROC * 5 <= $S_PROC") (ratio $(calc "$S_PROC / $E_PROC"))"
  row "Node SDK: client CPU per call, during the run (process.cpuUsage)" "$(calc "$S_RUN / $N * 1e6") us" \
      "ecsrun <= 1/5" "$(met "$E_RUN * 5 <= $S_RUN") (ratio $(calc "$S_RUN / $E_RUN"))"
  row "Node SDK: max RSS" "$(calc "$S_RSS / 1024") MiB"
fi
