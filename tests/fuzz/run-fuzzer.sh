#!/usr/bin/env bash
# How CTest runs the fuzz targets (README.md here).
#   run-fuzzer.sh fuzz BINARY WORKDIR SECONDS [DICT]   fuzz for SECONDS from the seeds
#   run-fuzzer.sh replay BINARY...                     run each over its corpus and regressions
# A target's seeds are corpus/<name>/ beside this script and its kept crashes regressions/<name>/;
# what fuzzing finds goes to WORKDIR/<name>/ (new inputs) and WORKDIR/<name>-crash-* (a failure).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=$1
shift

inputs() { # the read-only input folders of a target that exist
    for dir in "$here/corpus/$1" "$here/regressions/$1"; do
        [ -d "$dir" ] && echo "$dir"
    done
    return 0
}

case $mode in
fuzz)
    binary=$1 work=$2 seconds=$3 dict=${4:-}
    name=$(basename "$binary")
    mkdir -p "$work/$name"
    args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$work/$name-")
    [ -n "$dict" ] && args+=(-dict="$dict")
    mapfile -t dirs < <(inputs "$name")
    exec "$binary" "${args[@]}" "$work/$name" "${dirs[@]}"
    ;;
replay)
    status=0
    for binary in "$@"; do
        name=$(basename "$binary")
        mapfile -t dirs < <(inputs "$name")
        [ ${#dirs[@]} -eq 0 ] && { echo "$name: no corpus" >&2; status=1; continue; }
        count=$(find "${dirs[@]}" -type f | wc -l)
        if "$binary" -runs=0 -timeout=25 "${dirs[@]}" >"/tmp/replay-$$.log" 2>&1; then
            echo "$name: $count inputs replayed"
        else
            tail -n 30 "/tmp/replay-$$.log" >&2
            echo "$name: FAILED on its corpus or regressions" >&2
            status=1
        fi
    done
    rm -f "/tmp/replay-$$.log"
    exit $status
    ;;
*)
    echo "usage: $0 fuzz BINARY WORKDIR SECONDS [DICT] | replay BINARY..." >&2
    exit 2
    ;;
esac
