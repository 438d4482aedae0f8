#!/usr/bin/env bash
# The benchmark of docs/benchmark.md, in one command from a fresh clone:
#   ./bench/run.sh                 # Release build in build-bench/, then the issue's defaults
#   ACD_BENCH_CARTS=10000 ./bench/run.sh   # a quicker run
# It prints acd-bench's figures: 100 000 carts at 20 ms and 0 ms per reply with both baselines
# and the idle daemon, then the peak RSS of a 1 000 000-cart cycle (no baselines).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ACD_BENCH_BUILD_DIR:-$here/build-bench}"
carts="${ACD_BENCH_CARTS:-100000}"
big_carts="${ACD_BENCH_BIG_CARTS:-1000000}"
jobs="${ACD_BENCH_JOBS:-$(nproc)}"

generator=()
if command -v ninja >/dev/null 2>&1; then
    generator=(-G Ninja)
fi
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DACD_BUILD_TESTS=ON >/dev/null
cmake --build "$build" -j"$jobs" --target acd-bench abandoned-cartd commerce-sim
if cmake --build "$build" -j"$jobs" --target ledger_bench >/dev/null 2>&1; then
    have_ledger_bench=1
else
    have_ledger_bench=0
fi

echo "== machine"
echo "nproc: $(nproc)"
grep -m1 'model name' /proc/cpuinfo || true
free -h | sed -n 1,2p
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== acd-bench --carts=$carts (defaults: --latency-ms=20,0 --page-size=1000 --concurrency=4)"
"$build/bin/acd-bench" --carts="$carts"

echo
echo "== acd-bench --carts=$big_carts --latency-ms=0 --baselines=none --idle=no (peak RSS)"
"$build/bin/acd-bench" --carts="$big_carts" --latency-ms=0 --baselines=none --idle=no

if [ "$have_ledger_bench" = 1 ]; then
    echo
    echo "== ledger_bench (Google Benchmark): the ledger on its own"
    "$build/bin/ledger_bench" --benchmark_min_time=1
fi
