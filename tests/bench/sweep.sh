#!/usr/bin/env bash
# sweep.sh [BUILD_DIR] - wall time of BENCH_SWEEP_N (default 2000) reactivations against an
# ecs-sim process with 20 ms latency, at concurrency 1 4 16 64 128 256 (BENCH_SWEEP_C), by
# ecsrun and by the official Node.js SDK; each run verified on /_sim/requests. Writes
# $OUT/sweep.tsv and plots docs/benchmarks-concurrency.png with gnuplot.
. "$(dirname "$0")/lib.sh" "$@"
N=${BENCH_SWEEP_N:-2000} LAT=20
CS=${BENCH_SWEEP_C:-"1 4 16 64 128 256"}
need_tools gnuplot:gnuplot-nox
gen_fleet "$N" "$OUT/fleet-sweep.json" "$LAT"
clients="ecsrun node"
node_setup || clients=ecsrun
printf 'concurrency\tideal_s\tecsrun_s\tecsrun_cpu_s\tnode_s\tnode_cpu_s\n' >"$OUT/sweep.tsv"
for c in $CS; do
  line="$c	$(calc "$N / $c * $LAT / 1000")"
  for client in $clients; do
    log "sweep: $client, $N calls, concurrency $c"
    sim_start "$OUT/fleet-sweep.json"
    if [ "$client" = ecsrun ]; then
      timed "$OUT/time.txt" "$ECSRUN" --endpoint "$SIM_URL" --region cn-hangzhou \
        "$BENCH_DIR/reactivate.lua" "$N" "$c" >"$OUT/sweep-run.json"
    else
      timed "$OUT/time.txt" node "$BENCH_DIR/node_reactivate.js" "$SIM_URL" "$N" "$c" >"$OUT/sweep-run.json"
    fi
    verify_once "$N"
    sim_stop
    read -r _ u s _ <"$OUT/time.txt"
    line="$line	$(jq -r .wall_s "$OUT/sweep-run.json")	$(calc "$u + $s")"
  done
  [ "$clients" = ecsrun ] && line="$line	NaN	NaN"
  printf '%s\n' "$line" >>"$OUT/sweep.tsv"
done
column -t "$OUT/sweep.tsv" >&2
for c in $CS; do
  v=$(awk -v c="$c" '$1 == c { printf "ecsrun %.0f ms, Node SDK %s (ideal %.0f ms)", $3 * 1000, ($5 == "NaN" ? "n/a" : sprintf("%.0f ms", $5 * 1000)), $2 * 1000 }' "$OUT/sweep.tsv")
  row "sweep: $N reactivations at concurrency $c: wall" "$v"
done

PNG=${BENCH_PNG:-$ROOT/docs/benchmarks-concurrency.png}
mkdir -p "$(dirname "$PNG")"
gnuplot <<GP
set terminal pngcairo size 900,560 font "DejaVu Sans,11"
set output "$PNG"
set title "$N ReActivateInstances calls against ecs-sim (20 ms latency per call)"
set xlabel "concurrency (calls in flight)"
set ylabel "wall time (s), log scale"
set logscale xy
set xrange [0.8:330]
set xtics (${CS// /, })
set grid xtics ytics mytics
set key top right box opaque
set datafile missing "NaN"
plot "$OUT/sweep.tsv" using 1:2 skip 1 with lines dashtype 2 lw 2 lc rgb "#888888" title "ideal: N / concurrency x 20 ms", \
     "" using 1:3 skip 1 with linespoints pt 7 ps 1.3 lw 2 lc rgb "#1f77b4" title "ecsrun (ecs.parallel)", \
     "" using 1:5 skip 1 with linespoints pt 5 ps 1.3 lw 2 lc rgb "#d62728" title "official Node.js SDK (Promise pool)"
GP
log "plot: $PNG"
