#!/usr/bin/env bash
# Runs the Autobahn testsuite (wstest) against every adapter, strictly.
#
#   conformance/autobahn/run.sh [server|client|all] [--cases PATTERNS]
#       [--exclude PATTERNS] [--agents tokio,async-std,smol] [--timeout SECONDS]
#
#   server   wstest -m fuzzingclient against each adapter's echo-server
#            example, one adapter at a time (agents ws-tokio, ws-async-std,
#            ws-smol)
#   client   wstest -m fuzzingserver, and each adapter's autobahn-client
#            example run against it, one after the other
#   all      both (the default)
#
# PATTERNS are wstest case patterns separated by commas, as `1.*,2.1,9.*`
# (default `*`: every case). --timeout bounds each agent's run (default
# 900 s). Everything binds 127.0.0.1: the fuzzing server listens on port
# $AUTOBAHN_PORT (default 9001), the echo servers on the next three.
#
# Installs wstest first (install.sh; reused when installed), builds the
# examples in release mode, writes the specs to target/autobahn/*.json and
# the reports to target/autobahn/reports/{servers,clients}/ (index.json and
# one JSON and HTML file per agent and case; a server run's index.html shows
# its last agent), and the logs to target/autobahn/logs/. Then checks the
# reports (check.py): every case of every agent must be OK or INFORMATIONAL,
# with a close behaviour that is OK or INFORMATIONAL, UNIMPLEMENTED only in
# sections 12 and 13 (no permessage-deflate yet). Prints one summary line per
# agent and role and each case that is not OK; exits 1 when a case fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/autobahn
port=${AUTOBAHN_PORT:-9001}

role=all
cases='*'
exclude=
agents=tokio,async-std,smol
timeout=900
usage() {
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while (($#)); do
    case $1 in
        server | client | all) role=$1 ;;
        --cases) cases=${2:?}; shift ;;
        --exclude) exclude=${2?}; shift ;;
        --agents) agents=${2:?}; shift ;;
        --timeout) timeout=${2:?}; shift ;;
        -h | --help) usage ;;
        *) echo "run.sh: unknown argument $1" >&2; usage ;;
    esac
    shift
done
for list in "$cases" "$exclude"; do
    [[ $list =~ ^[0-9.*,]*$ ]] || { echo "run.sh: bad case pattern list: $list" >&2; exit 2; }
done
[[ $timeout =~ ^[0-9]+$ ]] || { echo "run.sh: bad --timeout $timeout" >&2; exit 2; }
IFS=, read -r -a adapters <<<"$agents"
for a in "${adapters[@]}"; do
    case $a in tokio | async-std | smol) ;; *) echo "run.sh: unknown adapter $a" >&2; exit 2 ;; esac
done

log() { echo "autobahn: $*" >&2; }
run_start=$(date +%s)

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
    "$@" &
    local pid=$! rc=0
    pids+=("$pid")
    wait "$pid" || rc=$?
    stop "$pid"
    return "$rc"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

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

# Waits up to 20 s for the log $1 to show the line $2, while $3 runs (a
# probe connection would show up in an echo server's log as a failed
# handshake).
wait_log() {
    local i
    for ((i = 0; i < 200; i++)); do
        grep -q -F "$2" "$1" 2>/dev/null && return 0
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# A JSON list of the comma-separated patterns in $1.
json_list() {
    local - IFS=, items=() p
    set -f # the patterns are wstest's, not the shell's
    for p in $1; do [[ -n $p ]] && items+=("\"$p\""); done
    local joined
    joined=$(IFS=,; echo "${items[*]:-}")
    echo "[${joined//,/, }]"
}

# --- wstest and the examples ------------------------------------------------

wstest=$("$here/install.sh")
python=$(dirname "$wstest")/python2.7
check() {
    AUTOBAHN_SITE=$(dirname "$(dirname "$wstest")")/site PYTHONNOUSERSITE=1 \
        "$python" -s "$here/check.py" "$@"
}

mkdir -p "$out/bin" "$out/logs"
rm -f "$out/logs/check-servers.txt" "$out/logs/check-clients.txt"
examples=()
[[ $role == server || $role == all ]] && examples+=(echo-server)
[[ $role == client || $role == all ]] && examples+=(autobahn-client)
build_start=$(date +%s)
for a in "${adapters[@]}"; do
    for example in "${examples[@]}"; do
        # Examples of the three packages share output names: copy each
        # binary away right after building it.
        log "building ws-$a --example $example"
        (cd "$root" && cargo build --quiet --release -p "ws-$a" --example "$example")
        cp "$target/release/examples/$example" "$out/bin/$example-$a"
    done
done
log "built in $(($(date +%s) - build_start)) s"

# Ports: the fuzzing server's, then one echo server per adapter.
for ((i = 0; i <= ${#adapters[@]}; i++)); do
    if port_open $((port + i)); then
        echo "autobahn: 127.0.0.1:$((port + i)) is already in use (set AUTOBAHN_PORT)" >&2
        exit 1
    fi
done

status=0

# --- servers: wstest -m fuzzingclient against each echo-server -----------------

if [[ $role == server || $role == all ]]; then
    reports=$out/reports/servers
    rm -rf "$reports"
    mkdir -p "$reports"
    agent_times=()
    i=0
    for a in "${adapters[@]}"; do
        i=$((i + 1))
        agent=ws-$a
        spec=$out/fuzzingclient-$agent.json
        cat >"$spec" <<EOF
{
   "outdir": "$reports",
   "servers": [{"agent": "$agent", "url": "ws://127.0.0.1:$((port + i))"}],
   "cases": $(json_list "$cases"),
   "exclude-cases": $(json_list "$exclude"),
   "exclude-agent-cases": {}
}
EOF
        "$out/bin/echo-server-$a" --addr "127.0.0.1:$((port + i))" >"$out/logs/echo-server-$a.log" 2>&1 &
        server=$!
        pids+=("$server")
        wait_log "$out/logs/echo-server-$a.log" " on ws://127.0.0.1:$((port + i))" "$server" || {
            log "echo-server-$a did not start (see $out/logs/echo-server-$a.log)"
            exit 1
        }
        log "fuzzingclient -> $agent on 127.0.0.1:$((port + i))"
        start=$(date +%s)
        rc=0
        run_waited timeout -k 10 "$timeout" "$wstest" -m fuzzingclient -s "$spec" \
            >"$out/logs/fuzzingclient-$agent.log" 2>&1 || rc=$?
        seconds=$(($(date +%s) - start))
        if ((rc == 124)); then
            log "$agent: fuzzingclient timed out after $timeout s"
        elif ((rc != 0)); then
            log "$agent: fuzzingclient exited with $rc (see $out/logs/fuzzingclient-$agent.log)"
        fi
        kill -0 "$server" 2>/dev/null || log "$agent: echo-server died during the run"
        stop "$server"
        # Each run writes an index.json of its own agent only: keep it.
        [[ -f $reports/index.json ]] && mv "$reports/index.json" "$reports/index-$agent.json"
        agent_times+=("$agent=$seconds")
        log "$agent: $seconds s"
    done
    # One index.json for all agents, as a single run would write.
    shopt -s nullglob
    indexes=("$reports"/index-*.json)
    shopt -u nullglob
    "$python" -c '
import json, sys
merged = {}
for path in sys.argv[2:]:
    merged.update(json.load(open(path)))
json.dump(merged, open(sys.argv[1], "w"), sort_keys=True, indent=3, separators=(",", ": "))
' "$reports/index.json" "${indexes[@]}"
    check servers "$out/fuzzingclient-ws-${adapters[0]}.json" "$reports/index.json" "${agent_times[@]}" \
        >"$out/logs/check-servers.txt" || status=1
fi

# --- clients: wstest -m fuzzingserver, each autobahn-client against it ----------

if [[ $role == client || $role == all ]]; then
    reports=$out/reports/clients
    rm -rf "$reports"
    mkdir -p "$reports"
    spec=$out/fuzzingserver.json
    cat >"$spec" <<EOF
{
   "url": "ws://127.0.0.1:$port",
   "outdir": "$reports",
   "cases": $(json_list "$cases"),
   "exclude-cases": $(json_list "$exclude"),
   "exclude-agent-cases": {}
}
EOF
    # wstest's fuzzingserver never exits by itself: it is stopped below.
    timeout -k 10 $((timeout * ${#adapters[@]} + 60)) "$wstest" -m fuzzingserver -s "$spec" \
        --webport 0 >"$out/logs/fuzzingserver.log" 2>&1 &
    fuzzer=$!
    pids+=("$fuzzer")
    wait_port "$port" "$fuzzer" || {
        log "the fuzzing server did not start (see $out/logs/fuzzingserver.log)"
        exit 1
    }
    agent_times=()
    for a in "${adapters[@]}"; do
        agent=ws-$a
        log "fuzzingserver <- $agent"
        start=$(date +%s)
        rc=0
        run_waited timeout -k 10 "$timeout" "$out/bin/autobahn-client-$a" --addr "127.0.0.1:$port" \
            --agent "$agent" >"$out/logs/autobahn-client-$a.log" 2>&1 || rc=$?
        seconds=$(($(date +%s) - start))
        if ((rc == 124)); then
            log "$agent: autobahn-client timed out after $timeout s"
        elif ((rc != 0)); then
            log "$agent: autobahn-client exited with $rc (see $out/logs/autobahn-client-$a.log)"
        fi
        agent_times+=("$agent=$seconds")
        log "$agent: $seconds s"
    done
    stop "$fuzzer"
    check clients "$spec" "$reports/index.json" "${agent_times[@]}" \
        >"$out/logs/check-clients.txt" || status=1
fi

# --- the result ---------------------------------------------------------------

echo
for f in "$out/logs/check-servers.txt" "$out/logs/check-clients.txt"; do
    [[ -f $f ]] || continue
    grep -E '^(servers|clients) ' "$f" || true
done
echo
for f in "$out/logs/check-servers.txt" "$out/logs/check-clients.txt"; do
    [[ -f $f ]] || continue
    grep -v -E '^(servers|clients) ' "$f" || true
done
echo "autobahn: total wall time $(($(date +%s) - run_start)) s; reports in $out/reports"
if ((status != 0)); then
    echo "autobahn: FAILED (strict: OK or INFORMATIONAL only; UNIMPLEMENTED only in 12.*/13.*)"
fi
exit $status
