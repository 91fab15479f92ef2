#!/usr/bin/env bash
# Runs the Autobahn testsuite (wstest) against every adapter, strictly, and
# compares the results with the committed expected results.
#
#   conformance/autobahn/run.sh [server|client|all] [--full | --reduced]
#       [--cases PATTERNS] [--exclude PATTERNS] [--agents LIST]
#       [--timeout SECONDS] [--update-expected] [--update-readme]
#
#   server   wstest -m fuzzingclient against each agent's echo-server
#            example, one agent at a time
#   client   wstest -m fuzzingserver, and each agent's autobahn-client
#            example run against it, one agent at a time
#   all      both (the default)
#
# Agents (--agents, comma-separated; default all six): tokio, async-std,
# smol (agents ws-tokio, ...: the example echoes on the whole socket in one
# task) and tokio-split, async-std-split, smol-split (ws-tokio-split, ...:
# `--split`, the socket's ReadHalf in one task hands each message over a
# bounded channel to its WriteHalf in another). All six as server and as
# client: twelve runs.
#
#   (default) every case on every agent: with permessage-deflate declined the
#             216 cases of sections 12 and 13 end at once, and the whole run
#             takes about 3 minutes on 2 cores. This is what .ci/run runs.
#   --full    the same, explicitly: every section on every agent
#   --reduced sections 1 to 11 on every agent, the full suite on ws-tokio
#             (server and client) only: for when compression is implemented
#             and 12/13 take 5-10 minutes per agent
#
# PATTERNS are wstest case patterns separated by commas, as `1.*,2.1,9.*`;
# --cases/--exclude narrow every agent's cases (default `*`, nothing
# excluded). --timeout bounds each agent's run (default 900 s).
#
# Everything binds 127.0.0.1: each echo server a port of its own choosing,
# the fuzzing server the first free port from $AUTOBAHN_PORT (default 9001).
# Nothing reads stdin.
#
# Installs wstest first (install.sh; reused when installed), builds the
# examples in release mode, writes the specs to target/autobahn/specs/, the
# reports to target/autobahn/reports/{servers,clients}/AGENT/ (index.json,
# index.html and one JSON and HTML file per case) and
# reports/{servers,clients}/index.json (all agents; reportfile names relative
# to the AGENT directory), the logs to target/autobahn/logs/ and the table to
# target/autobahn/summary.txt. Then check.py prints one table (agent x role:
# OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED, close behaviour,
# wall time) and the cases that are not OK, and fails the run (exit 1) on
# any FAILED or NON-STRICT case, a wrong close behaviour, UNIMPLEMENTED
# outside sections 12/13, a case not run, a run that timed out or crashed,
# results that differ from conformance/autobahn/expected/AGENT-ROLE.json, or
# a README Conformance section that differs from those files.
#
#   --update-expected  rewrite the expected files from this run (a run of
#                      part of the suite updates only the cases it ran)
#   --update-readme    regenerate README.md's Conformance section (between
#                      <!-- autobahn:begin --> and <!-- autobahn:end -->)
#                      from the expected files
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/autobahn
base_port=${AUTOBAHN_PORT:-9001}

role=all
mode=default
cases='*'
exclude=
agents=tokio,async-std,smol,tokio-split,async-std-split,smol-split
timeout=900
update_expected=
update_readme=
usage() {
    sed -n '2,57p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while (($#)); do
    case $1 in
        server | client | all) role=$1 ;;
        --full) mode=full ;;
        --reduced) mode=reduced ;;
        --cases) cases=${2:?}; shift ;;
        --exclude) exclude=${2?}; shift ;;
        --agents) agents=${2:?}; shift ;;
        --timeout) timeout=${2:?}; shift ;;
        --update-expected) update_expected=1 ;;
        --update-readme) update_readme=1 ;;
        -h | --help) usage ;;
        *) echo "run.sh: unknown argument $1" >&2; usage ;;
    esac
    shift
done
for list in "$cases" "$exclude"; do
    [[ $list =~ ^[0-9.*,]*$ ]] || { echo "run.sh: bad case pattern list: $list" >&2; exit 2; }
done
[[ $timeout =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad --timeout $timeout" >&2; exit 2; }
[[ $base_port =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad AUTOBAHN_PORT $base_port" >&2; exit 2; }
IFS=, read -r -a agent_list <<<"$agents"
adapters=()
for a in "${agent_list[@]}"; do
    case ${a#ws-} in
        tokio | async-std | smol | tokio-split | async-std-split | smol-split) ;;
        *) echo "run.sh: unknown agent $a" >&2; exit 2 ;;
    esac
    adapter=${a#ws-}
    adapter=${adapter%-split}
    [[ " ${adapters[*]:-} " == *" $adapter "* ]] || adapters+=("$adapter")
done

log() { echo "autobahn: $*" >&2; }
# Microseconds since the epoch, and the seconds since $1 (to 0.1 s).
now_us() { echo "${EPOCHREALTIME//[.,]/}"; }
seconds_since() {
    local tenths=$((($(now_us) - $1) / 100000))
    echo "$((tenths / 10)).$((tenths % 10))"
}
run_start=$(now_us)

# --- processes: every one started here is stopped on exit ----------------------

pids=()
# shellcheck disable=SC2317 # run by the trap
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process started here.
stop() {
    local pid=$1 keep=() p
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${pids[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    pids=("${keep[@]}")
}

# Runs a command to its end, as a child that a signal does not wait for:
# the trap ends the wait and cleanup stops the child.
run_waited() {
    "$@" </dev/null &
    local pid=$! rc=0
    pids+=("$pid")
    wait "$pid" || rc=$?
    stop "$pid"
    return "$rc"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The first port from $1 on that nothing on 127.0.0.1 accepts on.
free_port() {
    local p
    for ((p = $1; p < $1 + 200; p++)); do
        port_open "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# Waits up to 20 s for 127.0.0.1:$1 to accept connections, while $2 runs.
wait_port() {
    local i
    for ((i = 0; i < 200; i++)); do
        port_open "$1" && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Waits up to 20 s for the log $1 to show a line matching the extended
# regex $2, while $3 runs, and prints it.
wait_log() {
    local i line
    for ((i = 0; i < 200; i++)); do
        line=$(grep -m1 -E "$2" "$1" 2>/dev/null) && { echo "$line"; return 0; }
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# A JSON list of the comma-separated patterns in $@ (several lists).
json_list() {
    local - IFS=, items=() p
    set -f # the patterns are wstest's, not the shell's
    for p in $*; do [[ -n $p ]] && items+=("\"$p\""); done
    local joined
    joined=$(IFS=,; echo "${items[*]:-}")
    echo "[${joined//,/, }]"
}

# The exclude patterns of agent $1: --exclude, and sections 12/13 for every
# agent but ws-tokio with --reduced.
agent_exclude() {
    if [[ $mode == reduced && $1 != ws-tokio ]]; then
        echo "$exclude,12.*,13.*"
    else
        echo "$exclude"
    fi
}

# --- wstest and the examples ------------------------------------------------

wstest=$("$here/install.sh" </dev/null)
python=$(dirname "$wstest")/python2.7
check() {
    AUTOBAHN_SITE=$(dirname "$(dirname "$wstest")")/site PYTHONNOUSERSITE=1 \
        "$python" -s "$here/check.py" "$@"
}

mkdir -p "$out/bin" "$out/logs" "$out/specs"
rm -f "$out"/logs/* "$out"/specs/* "$out/manifest.tsv" "$out/summary.txt"
examples=()
[[ $role == server || $role == all ]] && examples+=(--example echo-server)
[[ $role == client || $role == all ]] && examples+=(--example autobahn-client)
build_start=$(date +%s)
for a in "${adapters[@]}"; do
    # Examples of the three packages share output names: copy each
    # package's binaries away right after building them.
    log "building ws-$a ${examples[*]}"
    (cd "$root" && cargo build --quiet --release -p "ws-$a" "${examples[@]}" </dev/null)
    [[ $role == server || $role == all ]] && cp "$target/release/examples/echo-server" "$out/bin/echo-server-$a"
    [[ $role == client || $role == all ]] && cp "$target/release/examples/autobahn-client" "$out/bin/autobahn-client-$a"
done
log "built in $(($(date +%s) - build_start)) s"

manifest=$out/manifest.tsv
: >"$manifest"

# Merges the per-agent index.json files under $1 into $1/index.json, with
# reportfile names relative to $1.
merge_indexes() {
    "$python" -c '
import json, os, sys
merged = {}
for path in sys.argv[2:]:
    sub = os.path.basename(os.path.dirname(path))
    for agent, cases in json.load(open(path)).items():
        for result in cases.values():
            if result.get("reportfile"):
                result["reportfile"] = sub + "/" + result["reportfile"]
        merged[agent] = cases
json.dump(merged, open(sys.argv[1], "w"), sort_keys=True, indent=3, separators=(",", ": "))
' "$1/index.json" "${@:2}"
}

# The status of an agent's run from the exit code $1 of its timeout-bound
# command ($2 names it).
run_status() {
    case $1 in
        0) echo ok ;;
        124 | 137) echo "timed out after $timeout s" ;;
        *) echo "$2 exited with $1" ;;
    esac
}

# --- servers: wstest -m fuzzingclient against each echo-server -----------------

if [[ $role == server || $role == all ]]; then
    reports=$out/reports/servers
    rm -rf "$reports"
    mkdir -p "$reports"
    indexes=()
    for a in "${agent_list[@]}"; do
        a=${a#ws-}
        adapter=${a%-split}
        agent=ws-$a
        flags=()
        [[ $a == *-split ]] && flags=(--split)
        spec=$out/specs/fuzzingclient-$agent.json
        log=$out/logs/echo-server-$a.log
        "$out/bin/echo-server-$adapter" --addr 127.0.0.1:0 "${flags[@]}" </dev/null >"$log" 2>&1 &
        server=$!
        pids+=("$server")
        line=$(wait_log "$log" " on ws://127\.0\.0\.1:[0-9]+" "$server") || {
            log "echo-server-$adapter ${flags[*]} did not start (see $log)"
            exit 1
        }
        url=ws://${line##*ws://}
        cat >"$spec" <<EOF
{
   "outdir": "$reports/$agent",
   "servers": [{"agent": "$agent", "url": "$url"}],
   "cases": $(json_list "$cases"),
   "exclude-cases": $(json_list "$(agent_exclude "$agent")"),
   "exclude-agent-cases": {}
}
EOF
        log "fuzzingclient -> $agent at $url"
        start=$(now_us)
        rc=0
        run_waited timeout -k 10 "$timeout" "$wstest" -m fuzzingclient -s "$spec" \
            >"$out/logs/fuzzingclient-$agent.log" 2>&1 || rc=$?
        seconds=$(seconds_since "$start")
        status=$(run_status "$rc" wstest)
        if ! kill -0 "$server" 2>/dev/null; then
            [[ $status == ok ]] && status="echo-server died"
        fi
        stop "$server"
        [[ $status == ok ]] || log "$agent: $status (see $out/logs/)"
        [[ -f $reports/$agent/index.json ]] && indexes+=("$reports/$agent/index.json")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' server "$agent" "$spec" "$reports/index.json" "$seconds" "$status" >>"$manifest"
        log "$agent server: $seconds s"
    done
    merge_indexes "$reports" "${indexes[@]}"
fi

# --- clients: wstest -m fuzzingserver, each autobahn-client against it ----------

if [[ $role == client || $role == all ]]; then
    reports=$out/reports/clients
    rm -rf "$reports"
    mkdir -p "$reports"
    indexes=()
    for a in "${agent_list[@]}"; do
        a=${a#ws-}
        adapter=${a%-split}
        agent=ws-$a
        flags=()
        [[ $a == *-split ]] && flags=(--split)
        spec=$out/specs/fuzzingserver-$agent.json
        # One fuzzing server per agent: its cases, its reports. It never
        # exits by itself: it is stopped below. A port taken between the
        # probe and wstest's bind shows as a fuzzing server that exits.
        fuzzer=
        for attempt in 1 2 3; do
            port=$(free_port "$base_port") || { log "no free port from $base_port"; exit 1; }
            cat >"$spec" <<EOF
{
   "url": "ws://127.0.0.1:$port",
   "outdir": "$reports/$agent",
   "cases": $(json_list "$cases"),
   "exclude-cases": $(json_list "$(agent_exclude "$agent")"),
   "exclude-agent-cases": {}
}
EOF
            timeout -k 10 $((timeout + 60)) "$wstest" -m fuzzingserver -s "$spec" --webport 0 \
                </dev/null >"$out/logs/fuzzingserver-$agent.log" 2>&1 &
            fuzzer=$!
            pids+=("$fuzzer")
            wait_port "$port" "$fuzzer" && break
            stop "$fuzzer"
            fuzzer=
            log "the fuzzing server did not start on port $port (attempt $attempt)"
        done
        [[ -n $fuzzer ]] || { log "see $out/logs/fuzzingserver-$agent.log"; exit 1; }
        log "fuzzingserver on 127.0.0.1:$port <- $agent"
        start=$(now_us)
        rc=0
        run_waited timeout -k 10 "$timeout" "$out/bin/autobahn-client-$adapter" \
            --addr "127.0.0.1:$port" "${flags[@]}" --agent "$agent" \
            >"$out/logs/autobahn-client-$a.log" 2>&1 || rc=$?
        seconds=$(seconds_since "$start")
        status=$(run_status "$rc" autobahn-client)
        stop "$fuzzer"
        [[ $status == ok ]] || log "$agent: $status (see $out/logs/)"
        [[ -f $reports/$agent/index.json ]] && indexes+=("$reports/$agent/index.json")
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' client "$agent" "$spec" "$reports/index.json" "$seconds" "$status" >>"$manifest"
        log "$agent client: $seconds s"
    done
    merge_indexes "$reports" "${indexes[@]}"
fi

# --- the result ---------------------------------------------------------------

check_args=(--manifest "$manifest" --expected "$here/expected" --readme "$root/README.md"
    --total "$(seconds_since "$run_start")")
[[ -n $update_expected ]] && check_args+=(--update-expected)
[[ -n $update_readme ]] && check_args+=(--update-readme)
echo
set +e
check "${check_args[@]}" | tee "$out/summary.txt"
rc=${PIPESTATUS[0]}
set -e
echo
echo "autobahn: reports in $out/reports, logs in $out/logs"
if ((rc != 0)); then
    echo "autobahn: FAILED (strict: OK or INFORMATIONAL only, UNIMPLEMENTED only in 12.*/13.*," \
        "as in conformance/autobahn/expected/)"
fi
exit "$rc"
