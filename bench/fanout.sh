#!/usr/bin/env bash
# The fan-out benchmark (uWebSockets' broadcast_test methodology): N
# clients in one chat room, rounds in which S of them (100, or all of a
# smaller room) send one 64 B text each, every text delivered to the
# N - 1 others and checked; our chat example (ws-tokio, one thread)
# against the same room on tokio-tungstenite (peers/src/bin/
# peer-tungstenite-room.rs, one thread). See bench/README.md.
#
#   bench/fanout.sh               3 rounds x N in {100, 1000, 5000} x both servers,
#                                 1 s warm-up + 3 s of rounds per run (about 4 minutes)
#   bench/fanout.sh --quick       1 round, 0.5 s + 1.5 s (about 1 minute)
#   bench/fanout.sh --redis       also two chats sharing the room through a local
#                                 redis-server, clients split between them
#   bench/fanout.sh --redis-only  only that (results in results/fanout-redis.md)
#
# Options: --rounds K, --warmup S, --duration S, --members "100 1000 5000",
# --servers "chat tungstenite-room", --threads T (generator threads),
# --gen-cpus LIST (default 0), --server-cpus LIST (default 1), --no-build,
# --out FILE.md (raw RESULT lines go to FILE.txt).
#
# Builds the chat example in the main workspace (its target: $CARGO_TARGET_DIR,
# or target/) and the generator and the peer in bench/target, and copies
# them to bench/target/fanout/. Every run is bounded (timeout); a server
# that drops, changes or delays a delivery by 10 s fails the run and the
# script.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
command_line="bench/fanout.sh $*"

rounds=3
warmup=1
duration=3
members="100 1000 5000"
servers="chat tungstenite-room"
threads=1
gen_cpus=0
server_cpus=1
build=1
plain=1
redis=0
out=""

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) rounds=1; warmup=0.5; duration=1.5 ;;
        --rounds) rounds=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --duration) duration=$2; shift ;;
        --members) members=$2; shift ;;
        --servers) servers=$2; shift ;;
        --threads) threads=$2; shift ;;
        --gen-cpus) gen_cpus=$2; shift ;;
        --server-cpus) server_cpus=$2; shift ;;
        --no-build) build=0 ;;
        --redis) redis=1 ;;
        --redis-only) redis=1; plain=0 ;;
        --out) out=$2; shift ;;
        -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$out" ]; then
    if [ "$plain" = 1 ]; then out="$here/results/fanout.md"; else out="$here/results/fanout-redis.md"; fi
fi
raw_out="${out%.md}.txt"

bin="$here/target/fanout"
work=$(mktemp -d)
pids=()

# Stops what this script started (servers, redis-server), by their ids.
stop_all() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}
cleanup() {
    stop_all
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$build" = 1 ]; then
    echo "== building (release)"
    mkdir -p "$bin"
    main_target=${CARGO_TARGET_DIR:-$root/target}
    (cd "$root" && cargo build --release --quiet -p ws-tokio --example chat)
    cp "$main_target/release/examples/chat" "$bin/chat"
    (cd "$here" && cargo build --release --quiet --target-dir "$here/target" \
        -p loadgen --bin fanout -p bench-peers --bin peer-tungstenite-room)
    cp "$here/target/release/fanout" "$bin/fanout"
    cp "$here/target/release/peer-tungstenite-room" "$bin/tungstenite-room"
fi

# Both ends hold a socket per member.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
max_members=0
for n in $members; do [ "$n" -gt "$max_members" ] && max_members=$n; done
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((max_members + 200)) ]; then
    echo "ulimit -n is $(ulimit -n): too few file descriptors for $max_members members" >&2
    exit 1
fi

port=19900
# Starts server $1 (chat or tungstenite-room) on a fresh port, pinned to
# --server-cpus, with the flags that follow; sets server_pid and addr.
start_server() {
    local name=$1 out_file
    shift
    port=$((port + 1))
    if [ "$port" -gt 19990 ]; then port=19901; fi
    addr="127.0.0.1:$port"
    out_file="$work/server-$port.out"
    : > "$out_file"
    # The chat logs every join and every line said to stdout: to a file.
    taskset -c "$server_cpus" "$bin/$name" --addr "$addr" --threads 1 "$@" \
        > "$out_file" 2>> "$work/server.err" < /dev/null &
    server_pid=$!
    pids+=("$server_pid")
    # Every server prints a line once it listens; wait at most 5 s.
    for _ in $(seq 100); do
        if [ -s "$out_file" ]; then return 0; fi
        if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
        sleep 0.05
    done
    echo "server $name did not start:" >&2
    cat "$work/server.err" >&2
    exit 1
}

raw="$work/results.txt"
: > "$raw"

# One generator run; its RESULT line goes to the raw file. $1: what runs
# (for the log), then the generator's flags.
generate() {
    local what=$1 line
    shift
    # A join of 5,000 is 12.5 million notices: minutes on a slow server.
    if ! line=$(timeout 600 taskset -c "$gen_cpus" "$bin/fanout" --threads "$threads" \
        --warmup "$warmup" --duration "$duration" "$@" 2> "$work/gen.err" | tee "$work/gen.out" | grep '^RESULT '); then
        echo "fanout failed ($what):" >&2
        cat "$work/gen.out" "$work/gen.err" >&2
        return 1
    fi
    echo "$line round=$round" >> "$raw"
    printf 'round %s %-36s %s\n' "$round" "$what" \
        "$(echo "$line" | grep -o 'deliveries_per_s=[^ ]*\|p99_us=[^ ]*\|srv_ns_per_delivery=[^ ]*\|srv_cpu_pct=[^ ]*\|srv_wait_pct=[^ ]*\|redis_cpu_pct=[^ ]*\|gen_cpu_pct=[^ ]*\|kib_per_member=[^ ]*' | tr '\n' ' ')"
}

# Two chats on the room through a local redis-server (its own port, no
# persistence), the members dealt between them; stopped after each run.
redis_status=""
redis_run() {
    local n=$1 rport=$((port + 500)) rpid a1 p1 a2 p2
    redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
        > "$work/redis.out" 2>&1 &
    rpid=$!
    pids+=("$rpid")
    for _ in $(seq 100); do
        if redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG; then break; fi
        sleep 0.05
    done
    start_server chat --redis "redis://127.0.0.1:$rport"
    a1=$addr; p1=$server_pid
    start_server chat --redis "redis://127.0.0.1:$rport"
    a2=$addr; p2=$server_pid
    if generate "chat x2 via redis, $n members" --addr "$a1,$a2" --members "$n" \
        --server-pid "$p1,$p2" --redis-pid "$rpid" --label chat; then
        :
    else
        redis_status="failed at $n members (round $round): $(tail -1 "$work/gen.err")"
    fi
    stop_all
}

if [ "$redis" = 1 ] && ! command -v redis-server > /dev/null; then
    echo "--redis needs redis-server (apt-get install redis-server)" >&2
    exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
    echo "needs two CPUs (server on one, generator on the other)" >&2
    exit 1
fi

started=$(date -u +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== fan-out: rounds=$rounds warmup=${warmup}s duration=${duration}s, members: $members; generator on CPUs $gen_cpus ($threads threads), servers on CPUs $server_cpus; load average $load_start"
for round in $(seq "$rounds"); do
    if [ "$plain" = 1 ]; then
        for n in $members; do
            for server in $servers; do
                start_server "$server"
                generate "$server, $n members" --addr "$addr" --members "$n" \
                    --server-pid "$server_pid" --label "$server"
                stop_all
            done
        done
    fi
    if [ "$redis" = 1 ] && [ -z "$redis_status" ]; then
        for n in $members; do
            redis_run "$n"
            [ -z "$redis_status" ] || break
        done
    fi
done
finished=$(date -u +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

version() { grep -A1 "^name = \"$1\"$" "$here/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p' | sort -V | tail -1; }
commit=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(cd "$root" && git status --porcelain -- ws-proto ws-driver ws-tokio examples 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
mkdir -p "$(dirname "$out")"
{
    echo "# Fan-out benchmark results"
    echo
    echo "Generated by \`${command_line% }\`; do not edit by hand."
    echo
    echo "- date: $(date -u -d "@$started" '+%Y-%m-%d %H:%M UTC'), $(( (finished - started) / 60 )) min $(( (finished - started) % 60 )) s"
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, Linux $(uname -r)"
    echo "- load average (1/5/15 min) at start: $load_start; at end: $load_end (other jobs share the machine)"
    echo "- $(rustc --version)"
    echo "- ws-stack $commit (chat example, \`--threads 1\`); tokio-tungstenite $(version tokio-tungstenite), tokio $(version tokio) (the peer, one thread)"
    if [ "$redis" = 1 ]; then echo "- $(redis-server --version | cut -d' ' -f1-3)"; fi
    echo "- $rounds interleaved rounds of runs; per run: the members join, then ${warmup} s of rounds unmeasured, then ${duration} s (at least 3 rounds) measured; 100 senders (all members if fewer) x 64 B per round; every delivery checked"
    echo "- servers on CPU $server_cpus, generator on CPU $gen_cpus with $threads thread(s) (taskset)$([ "$redis" = 1 ] && echo "; through Redis both chats on CPU $server_cpus, redis-server unpinned")"
    echo "- deliveries/s: S x (N - 1) per round over the measured rounds; latency: send to receipt per delivery (one clock); server CPU: user + system (/proc/PID/stat, 10 ms ticks) over the measured window per delivery; server waited: the time its threads were runnable but waiting for a CPU (/proc/PID/task/*/schedstat) over the window, what other processes took from it; KiB/member: the server's RSS with N idle members (after the joins, quiet) minus its RSS before any connection, over N"
    echo "- medians over the rounds (min - max in brackets); ratios of medians"
    echo
    if grep -q '^RESULT ' "$raw"; then "$bin/fanout" report "$raw"; fi
    if [ -n "$redis_status" ]; then
        echo "Through Redis: the run $redis_status; the rest of that part was skipped (a chat whose \`--redis\` does not share the room yet stalls the first round)."
        echo
    fi
} > "$out"
cp "$raw" "$raw_out"
echo "== written: $out (raw lines: $raw_out), $(( (finished - started) / 60 )) min $(( (finished - started) % 60 )) s"
