#!/usr/bin/env bash
# Installs wstest (autobahntestsuite 25.10.1, the Autobahn testsuite) with
# Python 2.7 into a private prefix, by default target/autobahn/wstest/, and
# prints the path of its `wstest` command. Idempotent: a prefix installed
# from the same requirements.lock is reused after a quick import check.
#
#   conformance/autobahn/install.sh [--force]
#
# Python 2.7: a working python2.7 on PATH or under ~/.pyenv/versions/2.7.*,
# else Debian 11 "bullseye" packages fetched from the machine's own Debian
# mirror with a private apt configuration (own sources list, lists and
# cache) and unpacked with `dpkg -x` into the prefix, run through a wrapper
# that sets LD_LIBRARY_PATH. The system's packages and Python stay untouched.
# Then pip 20.3.4 (its wheel, run directly) installs every package of
# requirements.lock with --no-deps --require-hashes into the prefix.
#
# Environment:
#   AUTOBAHN_PREFIX  where to install (default: <repo>/target/autobahn/wstest)
#   AUTOBAHN_PYTHON  auto (default) | debian (always use bullseye's Python)
#                    | /path/to/python2.7 (use that one or fail)
#
# Needs: bash, coreutils, apt-get and dpkg (Debian path only), curl or wget
# or python3, and gcc for the `accelerate` extra (skipped with a warning
# when there is no C compiler: the 9.* cases then run about 5x slower).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${AUTOBAHN_PREFIX:-$root/target/autobahn/wstest}
mode=${AUTOBAHN_PYTHON:-auto}
lock=$here/requirements.lock
force=0
for arg in "$@"; do
    case $arg in
        --force) force=1 ;;
        -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

log() { echo "autobahn/install: $*" >&2; }
die() { log "error: $*"; exit 1; }

site=$prefix/site
bin=$prefix/bin
stamp=$prefix/.installed
# A prefix is reused only if installed from this lock by this script.
lock_sum=$(cat "$lock" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
stamp_key="lock=$lock_sum mode=$mode"

# The import check that tells an installed prefix works.
check_prefix() {
    # twisted.internet.ssl: Twisted's TLS (pyOpenSSL over cryptography's
    # bundled OpenSSL), which run.sh's TLS agents need.
    local modules="autobahntestsuite.wstest, autobahn, twisted, twisted.internet.ssl, OpenSSL, service_identity"
    grep -q '^accelerate=yes$' "$stamp" 2>/dev/null && modules="$modules, wsaccel, ujson"
    "$bin/python2.7" -s -c "import site; site.addsitedir('$site'); import $modules" >/dev/null 2>&1
}

if [[ $force == 0 && -f $stamp ]] && grep -qxF "$stamp_key" "$stamp" && check_prefix; then
    log "reusing $prefix ($(grep '^python=' "$stamp" | cut -d= -f2-))"
    echo "$bin/wstest"
    exit 0
fi

[[ $(uname -m) == x86_64 ]] || die "only x86_64 is supported (the lock pins x86_64 wheels)"

# Start over: whatever is in the prefix was not installed from this lock.
rm -rf "$prefix"
mkdir -p "$bin" "$site" "$prefix/cache"
start=$(date +%s)

# --- Python 2.7 ------------------------------------------------------------

# Whether $1 is a usable CPython 2.7 (UCS4, as the cp27mu wheels need).
python_works() {
    "$1" -c 'import sys, ssl, zlib, hashlib, ctypes
assert sys.version_info[:2] == (2, 7) and sys.maxunicode > 0xffff' >/dev/null 2>&1
}

python=
if [[ $mode == auto ]]; then
    for candidate in "$(command -v python2.7 || true)" "$HOME"/.pyenv/versions/2.7.*/bin/python2.7; do
        if [[ -n $candidate && -x $candidate ]] && python_works "$candidate"; then
            python=$candidate
            break
        fi
    done
elif [[ $mode != debian ]]; then
    python_works "$mode" || die "AUTOBAHN_PYTHON=$mode is not a working CPython 2.7 (UCS4)"
    python=$mode
fi

if [[ -n $python ]]; then
    log "using $python"
    cat >"$bin/python2.7" <<EOF
#!/bin/sh
exec "$python" "\$@"
EOF
    chmod +x "$bin/python2.7"
    include=$("$python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
    extra_cflags=
else
    # Debian 11's Python 2.7, from the mirror this machine already uses.
    if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then
        die "no Python 2.7 found and no apt-get/dpkg to fetch one"
    fi
    [[ $(dpkg --print-architecture) == amd64 ]] || die "the Debian path needs amd64"
    mirror=
    security=
    for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f $f ]] || continue
        for uri in $(grep -v '^\s*#' "$f" | grep -oE '(https?)://[^ ]+' || true); do
            case $uri in
                */debian-security | */debian-security/) security=${security:-${uri%/}} ;;
                */debian | */debian/) mirror=${mirror:-${uri%/}} ;;
            esac
        done
    done
    mirror=${mirror:-http://deb.debian.org/debian}
    security=${security:-${mirror%/debian}/debian-security}
    keyring=/usr/share/keyrings/debian-archive-bullseye-stable.gpg
    security_keyring=/usr/share/keyrings/debian-archive-bullseye-security-automatic.gpg
    if [[ -f $keyring && -f $security_keyring ]]; then
        opt="signed-by=$keyring"
        sopt="signed-by=$security_keyring"
    elif [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]]; then
        opt="signed-by=/usr/share/keyrings/debian-archive-keyring.gpg"
        sopt=$opt
    else
        log "warning: no Debian archive keyring; trusting the mirror unsigned"
        opt="trusted=yes"
        sopt=$opt
    fi
    apt=$prefix/cache/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$apt/etc"
    cat >"$apt/etc/sources.list" <<EOF
deb [$opt] $mirror bullseye main
deb [$sopt] $security bullseye-security main
EOF
    : >"$apt/status"
    apt_opts=(
        -o "Dir::Etc::SourceList=$apt/etc/sources.list"
        -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt/lists"
        -o "Dir::State::status=$apt/status"
        -o "Dir::Cache=$apt/cache"
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
        -o APT::Update::Post-Invoke::= -o DPkg::Post-Invoke::=
        -o Acquire::Check-Valid-Until=false
        -o APT::Sandbox::User=root
        -o Acquire::Languages=none
    )
    log "fetching Python 2.7 from Debian 11 (bullseye) at $mirror"
    apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update of bullseye failed"
    # Python itself, its headers (for wsaccel), and the libraries of
    # bullseye that bookworm no longer has (libssl1.1, libffi7) or may lack.
    debs=(python2.7 python2.7-minimal libpython2.7-minimal libpython2.7-stdlib
        libpython2.7-dev libssl1.1 libffi7 libexpat1)
    (cd "$apt/debs" && apt-get "${apt_opts[@]}" -qq download "${debs[@]}" >&2) ||
        die "apt-get download failed"
    pyroot=$prefix/python
    mkdir -p "$pyroot"
    for deb in "$apt/debs"/*.deb; do
        log "  $(basename "$deb")"
        dpkg -x "$deb" "$pyroot"
    done
    # Absolute symlinks into /etc of a python2.7 that is not installed.
    find "$pyroot" -xtype l -lname '/etc/*' -delete
    cat >"$bin/python2.7" <<EOF
#!/bin/sh
LD_LIBRARY_PATH="$pyroot/usr/lib/x86_64-linux-gnu:$pyroot/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH
exec "$pyroot/usr/bin/python2.7" "\$@"
EOF
    chmod +x "$bin/python2.7"
    python_works "$bin/python2.7" || {
        LD_LIBRARY_PATH="$pyroot/usr/lib/x86_64-linux-gnu:$pyroot/lib/x86_64-linux-gnu" \
            ldd "$pyroot"/usr/bin/python2.7 "$pyroot"/usr/lib/python2.7/lib-dynload/*.so |
            grep 'not found' >&2 || true
        die "the unpacked Python 2.7 does not run"
    }
    python="$pyroot/usr/bin/python2.7 (Debian 11)"
    include=$pyroot/usr/include/python2.7
    # Debian's build configuration names /usr/include/python2.7; its
    # pyconfig.h includes <x86_64-linux-gnu/python2.7/pyconfig.h>.
    extra_cflags="-I$pyroot/usr/include/python2.7 -I$pyroot/usr/include/x86_64-linux-gnu/python2.7 -I$pyroot/usr/include"
fi
"$bin/python2.7" -c 'import sys; sys.stderr.write("autobahn/install: Python %s\n" % sys.version.split()[0])'

# --- pip 20.3.4 --------------------------------------------------------------

read -r _ pip_url pip_sha < <(grep '^#pip-wheel ' "$lock") || die "no #pip-wheel line in $lock"
pip_whl=$prefix/cache/${pip_url##*/}
log "fetching ${pip_url##*/}"
if command -v curl >/dev/null; then
    curl -fsSL --retry 3 -o "$pip_whl" "$pip_url"
elif command -v wget >/dev/null; then
    wget -q -O "$pip_whl" "$pip_url"
else
    python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' "$pip_url" "$pip_whl"
fi
echo "$pip_sha  $pip_whl" | sha256sum -c --quiet - || die "sha256 mismatch for $pip_whl"

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_CACHE_DIR=$prefix/cache/pip PYTHONNOUSERSITE=1
# Part of the lock, selected by a grep -E pattern on names.
lock_part() {
    grep -E "^($1)==" "$lock" >"$prefix/cache/requirements-part.txt"
    echo "$prefix/cache/requirements-part.txt"
}
# pip, installed into the prefix by its own wheel: pip run from inside the
# wheel cannot start the PEP 517 helper that wsaccel's build needs.
pipdir=$prefix/pip
"$bin/python2.7" -s "$pip_whl/pip" install --quiet --no-deps --require-hashes --no-index \
    --find-links "$prefix/cache" --target "$pipdir" -r "$(lock_part pip)" 2>&1 |
    grep -v DEPRECATION >&2 || true
[[ -f $pipdir/pip/__init__.py ]] || die "pip did not install into $pipdir"
# pip install of a part of the lock, selected by a grep -E pattern on names,
# with the build tools already installed (--no-build-isolation).
pip_install() {
    local part
    part=$(lock_part "$1")
    shift
    PYTHONPATH=$pipdir:$site "$bin/python2.7" -s -m pip install --quiet --no-deps --require-hashes \
        --no-build-isolation --target "$site" "$@" -r "$part" 2> >(grep -v -E 'DEPRECATION|Target directory .*/bin already exists' >&2) >&2
}

# --- the packages ------------------------------------------------------------

log "installing setuptools and wheel"
pip_install 'setuptools|wheel'
log "installing autobahntestsuite and its dependencies"
main=$(grep -E '^[A-Za-z]' "$lock" | cut -d= -f1 | grep -v -x -E 'pip|setuptools|wheel|wsaccel|ujson' | paste -sd'|')
pip_install "$main"

accelerate=no
cc=$(command -v gcc || command -v cc || true)
if [[ -z $cc ]]; then
    log "warning: no C compiler: skipping wsaccel/ujson (the 9.* cases run about 5x slower)"
elif [[ ! -f $include/Python.h ]]; then
    log "warning: no Python.h in $include: skipping wsaccel/ujson (the 9.* cases run about 5x slower)"
else
    log "installing wsaccel and ujson (autobahn[accelerate]) with $cc"
    CC="$cc -pthread" LDSHARED="$cc -pthread -shared" CFLAGS="${extra_cflags:-} -O2" \
        pip_install 'wsaccel|ujson'
    accelerate=yes
fi

# --- the wstest command ------------------------------------------------------

cat >"$bin/wstest.py" <<'EOF'
"""wstest from this prefix, with every listener bound to 127.0.0.1.

wstest (through autobahn's listenWS) binds all interfaces; WSTEST_INTERFACE
names another address to bind.
"""
import os
import site
import sys
import warnings

warnings.filterwarnings("ignore", message="Python 2 is no longer supported")

site.addsitedir(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "site"))

from twisted.internet import posixbase  # noqa: E402 (does not install a reactor)

INTERFACE = os.environ.get("WSTEST_INTERFACE", "127.0.0.1")


def _bound(listen, index):
    """Wraps a listen method whose `interface` is positional argument `index`."""

    def wrapper(self, *args, **kwargs):
        args = list(args)
        if len(args) > index:
            args[index] = args[index] or INTERFACE
        else:
            kwargs["interface"] = kwargs.get("interface") or INTERFACE
        return listen(self, *args, **kwargs)

    return wrapper


posixbase.PosixReactorBase.listenTCP = _bound(posixbase.PosixReactorBase.listenTCP, 3)
posixbase.PosixReactorBase.listenSSL = _bound(posixbase.PosixReactorBase.listenSSL, 4)

from autobahntestsuite.wstest import run  # noqa: E402

sys.argv[0] = "wstest"
run()
EOF
cat >"$bin/wstest" <<EOF
#!/bin/sh
PYTHONNOUSERSITE=1 exec "$bin/python2.7" -s "$bin/wstest.py" "\$@"
EOF
chmod +x "$bin/wstest"

{
    echo "$stamp_key"
    echo "python=$python"
    echo "accelerate=$accelerate"
} >"$stamp"
check_prefix || { rm -f "$stamp"; die "the installed wstest does not import"; }
log "installed in $(($(date +%s) - start)) s: $bin/wstest"
echo "$bin/wstest"
