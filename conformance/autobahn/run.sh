#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run by `launch "run_$r"` and traps
# Runs the Autobahn testsuite (wstest) against every adapter, strictly, and
# compares the results with the committed expected results.
#
#   conformance/autobahn/run.sh [server|client|all] [--full] [--tls]
#       [--cases PATTERNS] [--exclude PATTERNS] [--agents LIST] [--jobs N]
#       [--timeout SECONDS] [--update-expected] [--update-readme]
#
#   server   wstest -m fuzzingclient against each agent's echo-server example
#            (axum-echo for tokio-axum)
#   client   each agent's autobahn-client example against a wstest -m
#            fuzzingserver of its own
#   all      both (the default)
#
# Agents (--agents, comma-separated; default all seven): tokio, async-std and
# smol (agents ws-tokio, ...: the example echoes on the whole socket in one
# task), and tokio-split, async-std-split and smol-split (ws-tokio-split,
# ...: `--split`, the socket's ReadHalf in one task hands each message over
# a bounded channel to its WriteHalf in another). Six agents as server and
# as client: twelve runs. And tokio-axum (agent ws-tokio-axum), a server
# only: ws-tokio's axum-echo example, the same echo on a socket that axum's
# router hands over (the extractor ws_tokio::axum::WebSocketUpgrade, an
# HTTP/1.1 upgrade inside hyper); it has no client run. Thirteen runs.
#
# TLS agents: each agent with `-tls` appended (tokio-tls, tokio-split-tls,
# ...: agents ws-tokio-tls, ...) runs the same example over TLS: as server
# its echo-server with --tls-cert/--tls-key, tested by a fuzzingclient with
# a wss:// URL; as client its autobahn-client with --url wss://... --ca
# against a fuzzingserver with "key" and "cert". The key and its
# self-signed certificate (for 127.0.0.1 and localhost) are made with the
# openssl command in target/autobahn/tls/ and reused while valid. --tls
# runs the TLS agent of every agent of --agents instead of the plain one
# (`--tls --agents tokio,smol` runs ws-tokio-tls and ws-smol-tls); LIST may
# also name TLS agents itself, mixed with plain ones.
#
#   (default)  sections 1 to 11 on every agent, and every section (12 and 13
#              too: permessage-deflate) on ws-tokio as client and on
#              ws-tokio-axum as server (the driver's server side, as under
#              ws-tokio's echo-server). What .ci/run runs. Sections 12 and 13 take 5-10 minutes per
#              agent, mostly wstest's own CPU; 1 to 11 about 15 s.
#   --full     every section on every agent (about 1 h 40 min with --jobs 1
#              on 2 cores)
#
# TLS agents run sections 1 to 10 (all but 12 and 13) unless --full: 12 and
# 13 run in plain only.
#
# PATTERNS are wstest case patterns separated by commas, as `1.*,2.1,9.*`;
# --cases/--exclude narrow every agent's cases further (default `*`,
# nothing excluded). --jobs runs N agents at once (default 1; each run is
# one single-threaded wstest). --timeout bounds each agent's run (default
# 1800 s).
#
# Everything binds 127.0.0.1: each echo server a port of its own choosing,
# each fuzzing server the first free port from $AUTOBAHN_PORT (default
# 9001) + 10 x the agent's number. Nothing reads stdin.
#
# Installs wstest first (install.sh; reused when installed), builds the
# examples in release mode, writes the specs to target/autobahn/specs/, the
# reports to target/autobahn/reports/{servers,clients}/AGENT/ (index.json,
# index.html and a JSON and an HTML file per case) and
# reports/{servers,clients}/index.json (every agent with reports there, of
# this run or an earlier one; reportfile names relative to that directory),
# the logs to target/autobahn/logs/ and the
# table to target/autobahn/summary.txt. Then check.py prints one table
# (agent x role: OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED, the
# close behaviour, the wall time) and the cases that are not OK, and the run
# fails (exit 1) on any case that is not OK or INFORMATIONAL (NON-STRICT,
# UNIMPLEMENTED, FAILED), a close behaviour that is not OK or INFORMATIONAL,
# a case not run, an agent run that timed out or crashed, results that
# differ from conformance/autobahn/expected/AGENT-ROLE.json, or a README
# Conformance section that differs from those files.
#
#   --update-expected  rewrite the expected files from this run (a run of
#                      part of the suite updates only the cases it ran)
#   --update-readme    regenerate README.md's Conformance table (between
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
agents=tokio,async-std,smol,tokio-split,async-std-split,smol-split,tokio-axum
jobs=1
timeout=1800
update_expected=
update_readme=
tls_only=
usage() {
    sed -n '3,77p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}
while (($#)); do
    case $1 in
        server | client | all) role=$1 ;;
        --full) mode=full ;;
        --tls) tls_only=1 ;;
        --cases) cases=${2:?}; shift ;;
        --exclude) exclude=${2?}; shift ;;
        --agents) agents=${2:?}; shift ;;
        --jobs) jobs=${2:?}; shift ;;
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
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad --jobs $jobs" >&2; exit 2; }
[[ $base_port =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad AUTOBAHN_PORT $base_port" >&2; exit 2; }
IFS=, read -r -a agent_list <<<"$agents"
adapters=()
any_tls=
any_axum=
for i in "${!agent_list[@]}"; do
    a=${agent_list[i]#ws-}
    [[ -n $tls_only && $a != *-tls ]] && a=$a-tls
    agent_list[i]=$a
    case ${a%-tls} in
        tokio | async-std | smol | tokio-split | async-std-split | smol-split | tokio-axum) ;;
        *) echo "run.sh: unknown agent $a" >&2; exit 2 ;;
    esac
    [[ $a == *-tls ]] && any_tls=1
    [[ ${a%-tls} == *-axum ]] && any_axum=1
    adapter=${a%-tls}
    adapter=${adapter%-split}
    adapter=${adapter%-axum}
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
    for ((p = $1; p < $1 + 100 && p < 65536; p++)); do
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
# regex $2, while $3 runs, and prints that line.
wait_log() {
    local i line
    for ((i = 0; i < 200; i++)); do
        line=$(grep -m1 -E "$2" "$1" 2>/dev/null) && { echo "$line"; return 0; }
        kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# A JSON list of the patterns in the comma-separated lists $@.
json_list() {
    local - IFS=, items=() p joined
    set -f # the patterns are wstest's, not the shell's
    # shellcheck disable=SC2048 # split on commas
    for p in $*; do [[ -n $p ]] && items+=("\"$p\""); done
    joined=$(IFS=,; echo "${items[*]:-}")
    echo "[${joined//,/, }]"
}

# Whether agent $1 in role $2 (server or client) runs every section in the
# default mode: ws-tokio as client, and ws-tokio-axum as server (the
# server side of the same driver and permessage-deflate code as ws-tokio's
# echo-server, whose handshake is axum's and hyper's and whose stream is
# hyper's upgraded one). Sections 12 and 13 set the run's time, so each
# role runs them once.
whole_suite() {
    local agent=${1#ws-}
    [[ $mode == full || ($agent == tokio && $2 == client) || ($agent == tokio-axum && $2 == server) ]]
}

# The exclude patterns of agent $1 in role $2: --exclude, and sections 12
# and 13 where the agent does not run the whole suite.
agent_exclude() {
    if ! whole_suite "$1" "$2"; then
        echo "$exclude,12.*,13.*"
    else
        echo "$exclude"
    fi
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

# --- wstest and the examples ------------------------------------------------

wstest=$("$here/install.sh" </dev/null)
python=$(dirname "$wstest")/python2.7
check() {
    AUTOBAHN_SITE=$(dirname "$(dirname "$wstest")")/site PYTHONNOUSERSITE=1 \
        "$python" -s "$here/check.py" "$@"
}

mkdir -p "$out/bin" "$out/logs" "$out/specs"
# What an earlier run left of the agents run now; other agents' reports and
# logs stay (a run over TLS after a plain one keeps the plain reports).
for a in "${agent_list[@]}"; do
    rm -rf "$out/logs/echo-server-$a.log" "$out/logs/autobahn-client-$a.log" \
        "$out"/logs/fuzzing{client,server}-"ws-$a.log" "$out"/specs/fuzzing{client,server}-"ws-$a.json" \
        "$out/reports/servers/ws-$a" "$out/reports/clients/ws-$a"
done
rm -rf "$out/manifest.d" "$out/manifest.tsv" "$out/summary.txt"
mkdir -p "$out/manifest.d"
roles=()
[[ $role == server || $role == all ]] && roles+=(server)
[[ $role == client || $role == all ]] && roles+=(client)
examples=()
[[ $role == server || $role == all ]] && examples+=(--example echo-server)
[[ $role == client || $role == all ]] && examples+=(--example autobahn-client)
build_start=$(date +%s)
for a in "${adapters[@]}"; do
    # The axum agent's server, built beside tokio's others.
    axum=()
    [[ $a == tokio && -n $any_axum && " ${roles[*]} " == *" server "* ]] && axum=(--example axum-echo)
    # Examples of the three packages share output names: copy each
    # package's binaries away right after building them.
    log "building ws-$a ${examples[*]} ${axum[*]}"
    (cd "$root" && cargo build --quiet --release -p "ws-$a" "${examples[@]}" "${axum[@]}" </dev/null)
    for r in "${roles[@]}"; do
        case $r in
            server) cp "$target/release/examples/echo-server" "$out/bin/echo-server-$a" ;;
            client) cp "$target/release/examples/autobahn-client" "$out/bin/autobahn-client-$a" ;;
        esac
    done
    ((${#axum[@]} == 0)) || cp "$target/release/examples/axum-echo" "$out/bin/axum-echo-$a"
done
log "built in $(($(date +%s) - build_start)) s"

# --- the TLS agents' key and certificate --------------------------------------

# A P-256 key and a self-signed certificate for 127.0.0.1 and localhost
# (not a CA: rustls refuses a CA certificate as a server's own), made once
# and reused while valid for another day.
tls_dir=$out/tls
tls_key=$tls_dir/key.pem
tls_cert=$tls_dir/cert.pem
if [[ -n $any_tls ]]; then
    command -v openssl >/dev/null || { echo "run.sh: the TLS agents need the openssl command" >&2; exit 1; }
    if [[ -s $tls_key && -s $tls_cert ]] &&
        openssl x509 -in "$tls_cert" -noout -checkend 86400 >/dev/null 2>&1; then
        log "reusing the TLS certificate $tls_cert"
    else
        mkdir -p "$tls_dir"
        timeout -k 5 60 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$tls_key.new" -out "$tls_cert.new" -days 365 -subj /CN=localhost \
            -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
            -addext basicConstraints=critical,CA:FALSE </dev/null >"$tls_dir/openssl.log" 2>&1 ||
            { echo "run.sh: openssl failed (see $tls_dir/openssl.log)" >&2; exit 1; }
        mv "$tls_key.new" "$tls_key"
        mv "$tls_cert.new" "$tls_cert"
        log "made the TLS certificate $tls_cert"
    fi
fi

# --- one agent ----------------------------------------------------------------

# Writes the manifest line of agent number $index's run, for check.py:
# role, agent, spec, index.json, seconds, status.
manifest_line() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >"$out/manifest.d/$(printf '%02d' "$index").tsv"
}

# The spec of agent $1 for fuzzing mode $2 (fuzzingclient: $3 is the
# server's URL; fuzzingserver: $3 is the port to listen on, over TLS for a
# TLS agent).
write_spec() {
    local agent=$1 reports=$out/reports/servers/$1 role=server
    if [[ $2 == fuzzingserver ]]; then
        reports=$out/reports/clients/$1
        role=client
    fi
    {
        echo "{"
        if [[ $2 == fuzzingclient ]]; then
            echo "   \"servers\": [{\"agent\": \"$agent\", \"url\": \"$3\"}],"
        elif [[ $agent == *-tls ]]; then
            echo "   \"url\": \"wss://127.0.0.1:$3\","
            echo "   \"key\": \"$tls_key\","
            echo "   \"cert\": \"$tls_cert\","
        else
            echo "   \"url\": \"ws://127.0.0.1:$3\","
        fi
        echo "   \"outdir\": \"$reports\","
        echo "   \"cases\": $(json_list "$cases"),"
        echo "   \"exclude-cases\": $(json_list "$(agent_exclude "$agent" "$role")"),"
        echo "   \"exclude-agent-cases\": {}"
        echo "}"
    } >"$out/specs/$2-$agent.json"
}

# The adapter of agent $1 (tokio for tokio-split-tls and tokio-axum).
agent_adapter() {
    local adapter=${1%-tls}
    adapter=${adapter%-split}
    echo "${adapter%-axum}"
}

# The echo server of agent $1 as a server: axum-echo for an axum agent,
# else echo-server, of its adapter.
agent_server() {
    case ${1%-tls} in
        *-axum) echo "$out/bin/axum-echo-$(agent_adapter "$1")" ;;
        *) echo "$out/bin/echo-server-$(agent_adapter "$1")" ;;
    esac
}

# Whether agent $1 has role $2: an axum agent is a server only.
agent_has_role() {
    [[ $2 == server || ${1%-tls} != *-axum ]]
}

# The flags of agent $1's example beyond its address: --split for split
# agents, and for TLS agents the server's key and certificate (role
# server) or the certificate to trust (role client, $2).
agent_flags() {
    [[ $1 == *-split* ]] && echo --split
    if [[ $1 == *-tls ]]; then
        case $2 in
            server) printf '%s\n' --tls-cert "$tls_cert" --tls-key "$tls_key" ;;
            client) printf '%s\n' --ca "$tls_cert" ;;
        esac
    fi
}

# Agent $1 (tokio, tokio-split, tokio-tls, tokio-axum, ...) as a server:
# its echo server on a port of its own choosing, and wstest -m
# fuzzingclient against it (with a wss:// URL for a TLS agent).
run_server() {
    local a=$1 agent=ws-$1 flags=() scheme=ws line url start rc status seconds server
    local spec=$out/specs/fuzzingclient-$agent.json log=$out/logs/echo-server-$1.log
    local index_json=$out/reports/servers/index.json
    mapfile -t flags < <(agent_flags "$a" server)
    [[ $a == *-tls ]] && scheme=wss
    write_spec "$agent" fuzzingclient "$scheme://127.0.0.1:0"
    "$(agent_server "$a")" --addr 127.0.0.1:0 "${flags[@]}" </dev/null >"$log" 2>&1 &
    server=$!
    pids+=("$server")
    if ! line=$(wait_log "$log" " on $scheme://127\.0\.0\.1:[0-9]+" "$server"); then
        log "$agent: echo-server did not start (see $log)"
        stop "$server"
        manifest_line server "$agent" "$spec" "$index_json" 0 "echo-server did not start"
        return
    fi
    url=$scheme://${line##*"$scheme"://}
    write_spec "$agent" fuzzingclient "$url"
    log "fuzzingclient -> $agent at $url"
    start=$(now_us)
    rc=0
    run_waited timeout -k 10 "$timeout" "$wstest" -m fuzzingclient -s "$spec" \
        >"$out/logs/fuzzingclient-$agent.log" 2>&1 || rc=$?
    seconds=$(seconds_since "$start")
    status=$(run_status "$rc" wstest)
    if [[ $status == ok ]] && ! kill -0 "$server" 2>/dev/null; then
        status="echo-server died"
    fi
    stop "$server"
    [[ $status == ok ]] || log "$agent: $status (see $out/logs/)"
    manifest_line server "$agent" "$spec" "$index_json" "$seconds" "$status"
    log "$agent server: $seconds s"
}

# Agent $1 as a client: a fuzzing server of its own (its cases, its
# reports) on the first free port from $base_port + 10 x $index, over TLS
# for a TLS agent, and the agent's autobahn-client against it.
run_client() {
    local a=$1 adapter agent=ws-$1 flags=() scheme=ws fuzzer='' port attempt start rc status seconds
    local spec=$out/specs/fuzzingserver-$agent.json index_json=$out/reports/clients/index.json
    adapter=$(agent_adapter "$a")
    mapfile -t flags < <(agent_flags "$a" client)
    [[ $a == *-tls ]] && scheme=wss
    # wstest's fuzzing server never exits by itself: it is stopped below. A
    # port taken between the probe and wstest's bind shows as a fuzzing
    # server that exits: then the next port is tried.
    port=$((base_port + 10 * index))
    for attempt in 1 2 3; do
        port=$(free_port "$port") || break
        write_spec "$agent" fuzzingserver "$port"
        timeout -k 10 $((timeout + 60)) "$wstest" -m fuzzingserver -s "$spec" --webport 0 \
            </dev/null >"$out/logs/fuzzingserver-$agent.log" 2>&1 &
        fuzzer=$!
        pids+=("$fuzzer")
        wait_port "$port" "$fuzzer" && break
        stop "$fuzzer"
        fuzzer=
        log "$agent: the fuzzing server did not start on port $port (attempt $attempt)"
        port=$((port + 1))
    done
    if [[ -z $fuzzer ]]; then
        log "$agent: no fuzzing server (see $out/logs/fuzzingserver-$agent.log)"
        manifest_line client "$agent" "$spec" "$index_json" 0 "the fuzzing server did not start"
        return
    fi
    log "fuzzingserver on 127.0.0.1:$port <- $agent"
    start=$(now_us)
    rc=0
    run_waited timeout -k 10 "$timeout" "$out/bin/autobahn-client-$adapter" \
        --url "$scheme://127.0.0.1:$port" "${flags[@]}" --agent "$agent" \
        >"$out/logs/autobahn-client-$a.log" 2>&1 || rc=$?
    seconds=$(seconds_since "$start")
    status=$(run_status "$rc" autobahn-client)
    stop "$fuzzer"
    [[ $status == ok ]] || log "$agent: $status (see $out/logs/)"
    manifest_line client "$agent" "$spec" "$index_json" "$seconds" "$status"
    log "$agent client: $seconds s"
}

# Runs `$@` in a subshell of its own, which stops what it started when it
# ends or is stopped; at most $jobs at once.
launch() {
    while (($(jobs -rp | wc -l) >= jobs)); do
        wait -n 2>/dev/null || true
    done
    (
        # shellcheck disable=SC2030 # the subshell's own processes
        pids=()
        trap cleanup EXIT
        trap 'exit 130' INT TERM
        "$@"
    ) &
    # shellcheck disable=SC2031
    pids+=("$!")
}

# --- the runs -------------------------------------------------------------------

for r in "${roles[@]}"; do
    mkdir -p "$out/reports/${r}s"
done
# The agents running sections 12 and 13 first, so that with --jobs the
# short runs fill in beside them.
ordered=()
for r in "${roles[@]}"; do
    for a in "${agent_list[@]}"; do
        agent_has_role "$a" "$r" || continue
        whole_suite "$a" "$r" && ordered+=("$r ${a#ws-}")
    done
done
for r in "${roles[@]}"; do
    for a in "${agent_list[@]}"; do
        agent_has_role "$a" "$r" || continue
        whole_suite "$a" "$r" || ordered+=("$r ${a#ws-}")
    done
done
for run in "${ordered[@]}"; do
    r=${run% *}
    a=${run#* }
    # The agent's number: its row in the table (servers, then clients).
    index=0
    for ((i = 0; i < ${#agent_list[@]}; i++)); do
        [[ ${agent_list[i]#ws-} == "$a" ]] && index=$((i + 1))
    done
    [[ $r == client ]] && index=$((index + ${#agent_list[@]}))
    launch "run_$r" "$a"
done
wait

# The manifest, in table order; one index.json per role with every agent.
manifest=$out/manifest.tsv
cat "$out"/manifest.d/*.tsv >"$manifest"
for r in "${roles[@]}"; do
    shopt -s nullglob
    indexes=("$out/reports/${r}s"/*/index.json)
    shopt -u nullglob
    "$python" -c '
import json, os, sys
merged = {}
for path in sys.argv[2:]:
    sub = os.path.basename(os.path.dirname(path))
    for agent, results in json.load(open(path)).items():
        for result in results.values():
            if result.get("reportfile"):
                result["reportfile"] = sub + "/" + result["reportfile"]
        merged[agent] = results
json.dump(merged, open(sys.argv[1], "w"), sort_keys=True, indent=3, separators=(",", ": "))
' "$out/reports/${r}s/index.json" "${indexes[@]}"
done

# --- the result ---------------------------------------------------------------

check_args=(--manifest "$manifest" --expected "$here/expected" --readme "$root/README.md"
    --total "$(seconds_since "$run_start")" --mode "$mode" --jobs "$jobs")
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
    echo "autobahn: FAILED (strict: every case OK or INFORMATIONAL with its close behaviour," \
        "and as in conformance/autobahn/expected/)"
fi
exit "$rc"
