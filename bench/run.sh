#!/usr/bin/env bash
# The echo benchmark: our three adapters' echo servers against the peers and
# two raw TCP echoes, one server thread each, interleaved over several rounds.
#
#   bench/run.sh            full matrix, 5 rounds x 3 s (about 34 minutes with the TLS and axum cells)
#   bench/run.sh --quick    2 rounds x 1.5 s (about 12 minutes)
#
# Options: --rounds R, --duration S, --warmup S, --servers "a b ...",
# --cells "c16 c1k ...", --memory-conns N, --no-memory, --no-build,
# --loadgen-cpus LIST (taskset, default 0), --loadgen-threads "CELL=N ..."
# (loadgen --threads per cell, default 1 for every cell), --out FILE
# (default bench/results/latest.md; the raw RESULT lines go beside it as
# latest.txt). TLS: --tls-servers "a b ...", --tls-cells "t1kx16 t16x16",
# --no-tls, --tls-only (only the TLS cells and the TLS memory probe; by
# default written into a marked section of latest.md, which keeps the
# last full run, and latest-tls.txt). axum: --axum-servers "a b ...",
# --axum-cells "a16 a1k a16x16 a1kx16", --no-axum, --axum-only (only the
# axum cells and their memory probe, into a marked section of latest.md
# and latest-axum.txt).
#
# Builds in release what the servers given need (ours from the main
# workspace, the peers and the load generator from the bench workspace),
# then for every round, cell and server, in that nesting (A B C ... A B C
# ...): starts the server pinned to CPU 1, runs bench/loadgen pinned to the
# load generator's CPUs, which measures msg/s, RTT, its own CPU time and
# the server's per message (/proc/PID/stat), and stops the server. Then
# the memory test: each server holding N idle connections after the
# handshake, our servers with and without permessage-deflate offered.
# Over TLS (wss://, a self-signed certificate made with openssl under
# bench/target/tls, reused while valid) the TLS cells run in the same
# rounds against tokio-tungstenite over rustls and a raw TLS echo, and the
# memory test holds N wss:// connections, each after one message echoed.
# Behind axum (HTTP/1.1 upgrades through `axum::serve`) the axum cells run
# our axum extractor against axum's own WebSocket, with the plain ws-tokio
# server and the raw echo beside them, in the same rounds; their memory
# test holds N idle connections each.
# `loadgen report` turns the RESULT lines into the tables of the output
# file.
set -euo pipefail

command_line="bench/run.sh $*"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

rounds=5
duration=3
warmup=1
memory_conns=10000
memory=1
build=1
quick=0
out="$here/results/latest.md"
out_given=0
plain=1
tls=1
tls_servers="ws-tokio ws-smol ws-async-std tokio-tungstenite-rustls raw-tls"
tls_cells="t1kx16 t16x16"
axum=1
axum_servers="ws-tokio-axum axum-ws ws-tokio raw-tcp"
axum_cells="a16 a1k a16x16 a1kx16"
servers="ws-tokio ws-smol ws-async-std fastwebsockets tokio-websockets tokio-tungstenite async-tungstenite-smol raw-tcp raw-tcp-smol"
cells="c16 c1k c64k c64kt c1m c16x16"
# The load generator's CPUs and threads. On two CPUs, with the server on
# the other one, one thread does best in every cell (more threads on the
# same CPU only add switches: see bench/README.md); on a machine with more
# CPUs, e.g. --loadgen-cpus 0,2,3 --loadgen-threads "c16x16=3".
loadgen_cpus=0
loadgen_threads=""

while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; rounds=2; duration=1.5; warmup=0.5 ;;
        --rounds) rounds=$2; shift ;;
        --duration) duration=$2; shift ;;
        --warmup) warmup=$2; shift ;;
        --servers) servers=$2; shift ;;
        --cells) cells=$2; shift ;;
        --memory-conns) memory_conns=$2; shift ;;
        --no-memory) memory=0 ;;
        --no-build) build=0 ;;
        --loadgen-cpus) loadgen_cpus=$2; shift ;;
        --loadgen-threads) loadgen_threads=$2; shift ;;
        --out) out=$2; out_given=1; shift ;;
        --tls-servers) tls_servers=$2; shift ;;
        --tls-cells) tls_cells=$2; shift ;;
        --no-tls) tls=0 ;;
        --tls-only) plain=0; tls=1; axum=0 ;;
        --axum-servers) axum_servers=$2; shift ;;
        --axum-cells) axum_cells=$2; shift ;;
        --no-axum) axum=0 ;;
        --axum-only) plain=0; tls=0; axum=1 ;;
        -h|--help) sed -n '2,43p' "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
    shift
done

# The cells of the matrix: loadgen flags.
cell_flags() {
    case "$1" in
        c16) echo "--conns 100 --size 16" ;;
        c1k) echo "--conns 100 --size 1024" ;;
        c64k) echo "--conns 10 --size 65536" ;;
        c64kt) echo "--conns 10 --size 65536 --text" ;;
        c1m) echo "--conns 1 --size 1048576" ;;
        c16x16) echo "--conns 100 --size 16 --inflight 16" ;;
        # Over TLS (the flags of --tls are added by the caller).
        t1kx16) echo "--conns 100 --size 1024 --inflight 16" ;;
        t16x16) echo "--conns 100 --size 16 --inflight 16" ;;
        # Behind axum.
        a16) echo "--conns 100 --size 16" ;;
        a1k) echo "--conns 100 --size 1024" ;;
        a16x16) echo "--conns 100 --size 16 --inflight 16" ;;
        a1kx16) echo "--conns 100 --size 1024 --inflight 16" ;;
        *) echo "unknown cell $1" >&2; exit 2 ;;
    esac
}

# loadgen --threads for cell $1, from --loadgen-threads.
cell_threads() {
    local entry
    for entry in $loadgen_threads; do
        if [ "${entry%%=*}" = "$1" ]; then echo "${entry#*=}"; return; fi
    done
    echo 1
}

if [ "$plain" = 0 ]; then servers=""; cells=""; fi
if [ "$tls" = 0 ]; then tls_servers=""; tls_cells=""; fi
if [ "$axum" = 0 ]; then axum_servers=""; axum_cells=""; fi
# With --tls-only or --axum-only and no --out, latest.md keeps the last
# full run and gets this run in a section of its own ("tls" or "axum").
section=""
if [ "$plain" = 0 ] && [ "$out_given" = 0 ]; then
    if [ "$tls" = 1 ]; then section=tls; else section=axum; fi
fi

bin="$here/target/servers"
tls_dir="$here/target/tls"
cert="$tls_dir/cert.pem"
key="$tls_dir/key.pem"
work=$(mktemp -d)
server_pid=""

cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(nproc)" -lt 2 ]; then
    echo "needs two CPUs (server on one, load generator on the other)" >&2
    exit 1
fi

if [ "$build" = 1 ]; then
    echo "== building (release)"
    mkdir -p "$bin"
    # Example binaries share one name across packages: build and copy each
    # (only those run: each is a heavy build).
    for adapter in tokio smol async-std; do
        case " $servers $tls_servers $axum_servers " in *" ws-$adapter "*) ;; *) continue ;; esac
        (cd "$root" && cargo build --release --quiet -p "ws-$adapter" --example echo-server)
        cp "$root/target/release/examples/echo-server" "$bin/ws-$adapter"
    done
    (cd "$here" && cargo build --release --quiet -p loadgen -p bench-peers)
    # ws-tokio-axum is ours, but a bench peer: axum serves it.
    for peer in raw-tcp raw-tcp-smol fastwebsockets tokio-websockets tokio-tungstenite async-tungstenite-smol \
        tokio-tungstenite-rustls raw-tls axum-ws ws-tokio-axum; do
        cp "$here/target/release/peer-$peer" "$bin/$peer"
    done
    cp "$here/target/release/loadgen" "$bin/loadgen"
fi

# The TLS servers' certificate: self-signed, EC P-256, for 127.0.0.1 and
# localhost, not a CA (webpki refuses a CA certificate as a server's); the
# load generator trusts it alone. Made once, reused while valid for a day.
if [ -n "$tls_servers" ] && ! { [ -s "$cert" ] && [ -s "$key" ] &&
    openssl x509 -in "$cert" -noout -checkend 86400 > /dev/null 2>&1; }; then
    echo "== TLS certificate: $cert"
    mkdir -p "$tls_dir"
    cat > "$tls_dir/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = localhost
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
EOF
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -config "$tls_dir/openssl.cnf" -keyout "$key" -out "$cert" 2> "$work/openssl.err" || {
        cat "$work/openssl.err" >&2
        exit 1
    }
fi
tls_flags="--tls-cert $cert --tls-key $key"

# File descriptors for the memory test: both ends hold N sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$memory" = 1 ] && [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((memory_conns + 100)) ]; then
    echo "ulimit -n is $(ulimit -n): lowering the memory test to $(($(ulimit -n) - 100)) connections" >&2
    memory_conns=$(($(ulimit -n) - 100))
fi

port=19300
# Starts server $1 on a fresh port, pinned to CPU 1, with the flags that
# follow (the TLS ones); sets server_pid, addr.
start_server() {
    local name=$1
    shift
    port=$((port + 1))
    if [ "$port" -gt 19900 ]; then port=19301; fi
    addr="127.0.0.1:$port"
    : > "$work/server.out"
    taskset -c 1 "$bin/$name" --addr "$addr" --threads 1 "$@" > "$work/server.out" 2>> "$work/server.err" &
    server_pid=$!
    # Every server prints a line once it listens; wait at most 5 s.
    for _ in $(seq 100); do
        if [ -s "$work/server.out" ]; then return 0; fi
        if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
        sleep 0.05
    done
    echo "server $name did not start:" >&2
    cat "$work/server.err" >&2
    exit 1
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

raw="$work/results.txt"
: > "$raw"

# Runs cell $1 against server $2 in round $3; section $4 is plain, tls
# (the server presents the certificate, the generator trusts it and
# checks 127.0.0.1 against it) or axum (the line is marked section=axum).
run_cell() {
    local cell=$1 server=$2 round=$3 section=$4 flags line tag=""
    local server_flags=()
    flags="$(cell_flags "$cell") --threads $(cell_threads "$cell")"
    case "$section" in
        tls) server_flags=(--tls-cert "$cert" --tls-key "$key"); flags="$flags --tls $cert" ;;
        axum) tag=" section=axum" ;;
    esac
    case "$server" in raw-*) flags="$flags --raw" ;; esac
    start_server "$server" "${server_flags[@]}"
    # A server that breaks an echo, stalls or dies fails the run.
    # shellcheck disable=SC2086
    line=$(timeout 120 taskset -c "$loadgen_cpus" "$bin/loadgen" --addr "$addr" $flags \
        --warmup "$warmup" --duration "$duration" --server-pid "$server_pid" \
        --label "$server" | grep '^RESULT ') || {
        echo "loadgen failed against $server ($cell, $section)" >&2
        exit 1
    }
    stop_server
    echo "$line round=$round$tag" >> "$raw"
    printf 'round %s %-7s %-24s %s\n' "$round" "$cell" "$server" \
        "$(echo "$line" | grep -o 'msg_per_s=[^ ]*\|srv_us_per_msg=[^ ]*\|gen_cpu_pct=[^ ]*' | tr '\n' ' ')"
}

started=$(date -u +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== load: rounds=$rounds duration=${duration}s warmup=${warmup}s, loadgen on CPUs $loadgen_cpus, load average $load_start"
for round in $(seq "$rounds"); do
    for cell in $cells; do
        for server in $servers; do run_cell "$cell" "$server" "$round" plain; done
    done
    for cell in $tls_cells; do
        for server in $tls_servers; do run_cell "$cell" "$server" "$round" tls; done
    done
    for cell in $axum_cells; do
        for server in $axum_servers; do run_cell "$cell" "$server" "$round" axum; done
    done
done

if [ "$memory" = 1 ]; then
    echo "== memory: $memory_conns idle connections per server"
    for server in $servers; do
        for deflate in "" --deflate; do
            # Only our servers implement permessage-deflate.
            case "$server" in ws-*) ;; *) [ -z "$deflate" ] || continue ;; esac
            start_server "$server"
            rawflag=""
            case "$server" in raw-tcp*) rawflag=--raw ;; esac
            # Several source addresses: ports stay plentiful however many
            # runs left connections in TIME_WAIT.
            line=$(timeout 300 taskset -c "$loadgen_cpus" "$bin/loadgen" --addr "$addr" --idle $deflate $rawflag \
                --conns "$memory_conns" --sources 8 --settle 2 --server-pid "$server_pid" \
                --label "$server" | grep '^RESULT ') || {
                echo "memory test failed against $server $deflate" >&2
                exit 1
            }
            stop_server
            echo "$line" >> "$raw"
            printf '%-24s %-10s %s\n' "$server" "${deflate:-plain}" "$(echo "$line" | grep -o 'bytes_per_conn=[^ ]*')"
        done
    done
    # wss://: after the TLS handshake and one 16 B message echoed on each
    # (the raw TLS echo has no idle state to compare: its 64 KiB buffer).
    for server in $tls_servers; do
        case "$server" in raw-*) continue ;; esac
        # shellcheck disable=SC2086
        start_server "$server" $tls_flags
        line=$(timeout 300 taskset -c "$loadgen_cpus" "$bin/loadgen" --addr "$addr" --idle --idle-echo \
            --tls "$cert" --conns "$memory_conns" --sources 8 --settle 2 --server-pid "$server_pid" \
            --label "$server" | grep '^RESULT ') || {
            echo "memory test failed against $server (TLS)" >&2
            exit 1
        }
        stop_server
        echo "$line" >> "$raw"
        printf '%-24s %-10s %s\n' "$server" "wss://" "$(echo "$line" | grep -o 'bytes_per_conn=[^ ]*')"
    done
    # Behind axum: idle after the handshake, without compression (axum's
    # own WebSocket has none).
    for server in $axum_servers; do
        case "$server" in raw-*) continue ;; esac
        start_server "$server"
        line=$(timeout 300 taskset -c "$loadgen_cpus" "$bin/loadgen" --addr "$addr" --idle \
            --conns "$memory_conns" --sources 8 --settle 2 --server-pid "$server_pid" \
            --label "$server" | grep '^RESULT ') || {
            echo "memory test failed against $server (axum)" >&2
            exit 1
        }
        stop_server
        echo "$line section=axum" >> "$raw"
        printf '%-24s %-10s %s\n' "$server" "axum" "$(echo "$line" | grep -o 'bytes_per_conn=[^ ]*')"
    done
fi

finished=$(date -u +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$(dirname "$out")"
# The version of package $1 in the bench lock file, the highest where it
# has several (axum brings a tokio-tungstenite of its own): lowest_version
# gives the other end.
versions() { grep -A1 "^name = \"$1\"$" "$here/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p' | sort -V; }
version() { versions "$1" | tail -1; }
lowest_version() { versions "$1" | head -1; }
commit=$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(cd "$root" && git status --porcelain -- ws-proto ws-driver ws-tokio ws-smol ws-async-std examples 2>/dev/null)" ]; then
    commit="$commit (with uncommitted changes)"
fi
tls_versions=""
if [ -n "$tls_servers" ]; then
    tls_versions=", rustls $(version rustls), tokio-rustls $(version tokio-rustls)"
fi
axum_versions=""
if [ -n "$axum_servers" ]; then
    axum_versions=", axum $(version axum) (tokio-tungstenite $(lowest_version tokio-tungstenite) under axum-ws), hyper $(version hyper)"
fi
# A run of one section alone: its marks, its title, how its headings sit
# under the run's, and its raw lines' file.
case "$section" in
    tls)
        begin_mark="<!-- TLS-only run: begin -->"
        end_mark="<!-- TLS-only run: end -->"
        title="TLS-only run (the TLS cells and the TLS memory probe alone)"
        headings='s/^## Over TLS/### Over TLS/; s/^### /#### /; s/^#### Over TLS/### Over TLS/'
        ;;
    axum)
        begin_mark="<!-- axum run: begin -->"
        end_mark="<!-- axum run: end -->"
        title="axum run (the axum cells and their memory probe alone)"
        headings='s/^## Behind axum/### Behind axum/; s/^### /#### /; s/^#### Behind axum/### Behind axum/'
        ;;
esac
report_file=$out
if [ -n "$section" ]; then report_file="$work/section.md"; fi
{
    if [ -n "$section" ]; then
        echo "$begin_mark"
        echo
        echo "## $title"
        echo
        echo "Generated by \`${command_line% }\` (raw lines: \`latest-$section.txt\`); the tables above this section are of the last full run."
    else
        echo "# Echo benchmark results"
        echo
        echo "Generated by \`${command_line% }\`; do not edit by hand."
    fi
    echo
    echo "- date: $(date -u -d "@$started" '+%Y-%m-%d %H:%M UTC'), $(( (finished - started) / 60 )) min $(( (finished - started) % 60 )) s"
    echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs, Linux $(uname -r)"
    echo "- load average (1/5/15 min) at start: $load_start; at end: $load_end (other jobs share the machine)"
    echo "- $(rustc --version)"
    echo "- ws-stack $commit; tokio-tungstenite $(version tokio-tungstenite), fastwebsockets $(version fastwebsockets), tokio-websockets $(version tokio-websockets), async-tungstenite $(version async-tungstenite), tokio $(version tokio), smol $(version smol)$tls_versions$axum_versions"
    echo "- $rounds interleaved rounds, ${warmup} s warm-up + ${duration} s measured per run; server on CPU 1, load generator on CPU $loadgen_cpus (taskset; its threads per cell in the headroom table); every echo checked"
    echo "- server CPU us/msg: user + system time of the server process over the measured window (/proc/PID/stat, 10 ms ticks) per echoed message"
    if [ -n "$cells" ]; then
        echo "- ratios are of medians of this run; msg/s higher is better, CPU/msg lower is better; best peer = the best of the four peers in that column"
    else
        echo "- ratios are of medians of this run; msg/s higher is better, CPU/msg lower is better"
    fi
    echo
    if [ -n "$section" ]; then
        # The section's own heading levels stay under the run's.
        "$bin/loadgen" report "$raw" | sed "$headings"
        echo
        echo "$end_mark"
    else
        "$bin/loadgen" report "$raw"
    fi
} > "$report_file"
if [ -n "$section" ]; then
    # Replace the section of an earlier run of it, keep the rest.
    if [ -f "$out" ]; then
        awk -v b="$begin_mark" -v e="$end_mark" '$0 == b {skip = 1} !skip {print} $0 == e {skip = 0}' "$out" |
            sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' > "$work/rest.md"
    else
        : > "$work/rest.md"
    fi
    { cat "$work/rest.md"; echo; cat "$report_file"; } > "$out"
    raw_out="$(dirname "$out")/latest-$section.txt"
else
    raw_out="${out%.md}.txt"
fi
cp "$raw" "$raw_out"
echo "== written: $out (raw lines: $raw_out), $(( (finished - started) / 60 )) min $(( (finished - started) % 60 )) s"
