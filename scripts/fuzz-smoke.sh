#!/bin/sh
# Runs every libFuzzer target built in BUILD_DIR (default build-fuzz, see `make fuzz-smoke`) for
# FUZZ_SECONDS each (default 20), FUZZ_JOBS at a time (default: all at once, so the step costs
# FUZZ_SECONDS however many targets there are), with extra libFuzzer flags from FUZZ_ARGS.
# Each starts from an empty temporary corpus plus its seeds, if it has any. Crash, leak, OOM and
# timeout inputs are kept in BUILD_DIR/artifacts/; logs in BUILD_DIR/fuzz-logs/. Exits 1 if any
# fuzzer fails (or none was found).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-0}
artifacts="$build/artifacts"
logs="$build/fuzz-logs"
mkdir -p "$artifacts" "$logs"
corpora=$(mktemp -d "${TMPDIR:-/tmp}/ringcast-fuzz.XXXXXX")
trap 'rm -rf "$corpora"' EXIT
# Readable stacks in ASan/UBSan reports, if llvm-14 is installed.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
    export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

# Seeds: tests/fuzz/corpus/<name>/ if it exists; the config parser also gets the shipped configs.
seeds() {
    [ -d "tests/fuzz/corpus/$1" ] && echo "tests/fuzz/corpus/$1"
    if [ "$1" = conf_parser ]; then
        echo conf
        [ -d ../shared/srs-conf ] && echo ../shared/srs-conf
    fi
    return 0
}

# Starts one fuzzer in the background; its exit status lands in $corpora/<name>.rc.
start() {
    name=$1
    mkdir -p "$corpora/$name"
    # shellcheck disable=SC2046,SC2086
    ( set +e
      "$build/tests/fuzz_$name" "$corpora/$name" $(seeds "$name") \
          -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
          -artifact_prefix="$artifacts/$name-" ${FUZZ_ARGS:-} >"$logs/$name.log" 2>&1
      echo $? >"$corpora/$name.rc" ) &
}

# Prints one line per fuzzer, and the tail of the log of one that failed; returns its status.
report() {
    name=$1
    rc=$(cat "$corpora/$name.rc" 2>/dev/null || echo 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$name.log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logs/$name.log")
    cov=$(grep -o 'cov: [0-9]*' "$logs/$name.log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz_$name: ok, ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-cov: ?} (${seconds}s)"
        return 0
    fi
    echo "fuzz_$name: FAILED (exit $rc); log $logs/$name.log; last 40 lines:" >&2
    tail -n 40 "$logs/$name.log" >&2
    for input in "$artifacts/$name-"*; do
        [ -e "$input" ] && echo "fuzz_$name: failing input kept in $input" >&2
    done
    return 1
}

names=""
for src in tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$src" _fuzz.cpp)
    if [ ! -x "$build/tests/fuzz_$name" ]; then
        echo "fuzz-smoke: $build/tests/fuzz_$name is not built" >&2
        exit 1
    fi
    names="$names $name"
done
[ -n "$names" ] || { echo "fuzz-smoke: no fuzz targets in tests/fuzz/" >&2; exit 1; }
if [ "$jobs" -le 0 ]; then
    jobs=$(echo "$names" | wc -w)
fi

echo "fuzz-smoke: ${seconds}s per target, $jobs at a time:$names"
failed=0
batch=""
count=0
for name in $names; do
    start "$name"
    batch="$batch $name"
    count=$((count + 1))
    if [ "$count" -ge "$jobs" ]; then
        wait
        for n in $batch; do report "$n" || failed=1; done
        batch=""
        count=0
    fi
done
wait
for n in $batch; do report "$n" || failed=1; done
exit "$failed"
