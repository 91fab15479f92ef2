#!/usr/bin/env bash
# Builds and runs the fuzz targets of ws-proto.
#
#   fuzz/run.sh --smoke SECONDS [TARGET...]
#       CI: build every target, run each for SECONDS (30 is the CI
#       setting: about 6 minutes with the build on two cores).
#   fuzz/run.sh --long SECONDS_PER_TARGET [TARGET...]
#       The same for long runs, one target after the other.
#
# Without TARGETs, every target in fuzz_targets/ runs. Each run starts from
# the committed seeds (corpus/TARGET/seed-*) copied into a scratch
# directory, which is also its working corpus, so the repository is never
# written to except for crash artifacts in the ignored fuzz/artifacts/.
# libFuzzer runs as one process (no -jobs or -workers).
#
# Prints per target: executions (libFuzzer's final
# stat::number_of_executed_units), coverage (cov: edges, ft: features) and
# crashes. On a crash also the target, the artifact's path, the panic and
# the crashing input in hex; the exit status is then non-zero. Reproduce
# one with: cargo +nightly fuzz run -s none TARGET ARTIFACT
#
# Environment:
#   CARGO_BUILD_JOBS   build parallelism, 1 unless set
#   FUZZ_SANITIZER     cargo fuzz's --sanitizer, "none" unless set: ws-proto
#                      has no unsafe code, and without AddressSanitizer the
#                      targets run 3 to 6 times faster (set "address" to
#                      check the dependencies' unsafe code too)
#   FUZZ_KEEP          a directory to keep the grown corpora and logs in
#                      (default: a temporary directory, removed at the end)
set -euo pipefail

usage() {
    sed -n '2,12p' "$0" >&2
    exit 2
}

[[ $# -ge 2 ]] || usage
case "$1" in
--smoke | --long) mode=${1#--} ;;
*) usage ;;
esac
seconds=$2
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || usage
shift 2

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
cd "$fuzz_dir"
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
sanitizer=${FUZZ_SANITIZER:-none}

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=()
    for file in fuzz_targets/*.rs; do
        targets+=("$(basename "$file" .rs)")
    done
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    timeout 900 cargo install cargo-fuzz --locked
fi

echo "== building ${targets[*]} (sanitizer: $sanitizer)"
build_start=$(date +%s)
for target in "${targets[@]}"; do
    cargo +nightly fuzz build --sanitizer "$sanitizer" "$target"
done
echo "== built in $(($(date +%s) - build_start)) s"

triple=$(rustc +nightly -vV | awk '/^host:/ { print $2 }')
bin_dir="$fuzz_dir/target/$triple/release"

if [[ -n ${FUZZ_KEEP:-} ]]; then
    scratch=$FUZZ_KEEP
    mkdir -p "$scratch"
else
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
fi

hexdump() {
    if command -v xxd >/dev/null; then xxd "$1"; else od -A x -t x1z "$1"; fi
}

failed=()
summary=()
for target in "${targets[@]}"; do
    corpus="$scratch/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$scratch/$target.log"
    mkdir -p "$corpus" "$artifacts"
    cp corpus/"$target"/seed-* "$corpus"/
    before=$(find "$artifacts" -type f | wc -l)
    echo "== $mode run: $target for $seconds s"
    status=0
    # -timeout: an input that takes 10 s is a hang, reported as a crash.
    "$bin_dir/$target" "$corpus" \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
    execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -n 1)
    coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
    crashes=$(($(find "$artifacts" -type f | wc -l) - before))
    if [[ $status -ne 0 && $crashes -eq 0 ]]; then
        crashes=1
    fi
    summary+=("$(printf '%-18s %12s %-22s %s' "$target" "${execs:-?}" "${coverage:-?}" "$crashes")")
    if [[ $status -ne 0 ]]; then
        failed+=("$target")
        echo "!! $target failed (exit $status)"
        grep -E -A4 "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | head -n 30 || tail -n 30 "$log"
        while IFS= read -r artifact; do
            echo "!! $target: crashing input $artifact"
            hexdump "$artifact"
        done < <(grep -oE 'Test unit written to [^ ]+' "$log" | awk '{ print $5 }')
    fi
done

echo "== $mode run: $seconds s per target"
printf '%-18s %12s %-22s %s\n' target executions coverage crashes
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "!! crashes in: ${failed[*]}"
    exit 1
fi
