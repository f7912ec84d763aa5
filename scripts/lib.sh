# Shared helpers for the scripts; sourced, not run.
# Every port and folder is configurable so two copies (run and test, or two clones) never collide.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${SWITCHYARD_STATE_DIR:-$ROOT/.local}"

log() { printf '==> %s\n' "$*" >&2; }

# Installs the Debian packages the project needs (and any named), only when something is missing.
ensure_packages() {
    local wanted=(redis-server redis-tools postgresql postgresql-contrib libhiredis-dev libpq-dev
        libcurl4-openssl-dev pkg-config wrk curl python3-venv "$@")
    local missing=()
    for package in "${wanted[@]}"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# Waits until a TCP port on 127.0.0.1 accepts connections.
wait_for_port() {
    local port=$1 what=$2 tries=${3:-100}
    for _ in $(seq "$tries"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    log "$what did not open port $port"
    return 1
}

# The product never needs root, so it never gets it: run as root, the scripts start the server,
# the users-API stub and the test bundle as this unprivileged system user (made on first use),
# through the command prefix AS_SERVICE_USER (empty when not root). setpriv execs, so the $! of
# a backgrounded command is the server's own pid. The environment passes through.
SERVICE_USER="${SWITCHYARD_USER:-switchyard}"
AS_SERVICE_USER=()
if [ "$(id -u)" -eq 0 ]; then
    id -u "$SERVICE_USER" >/dev/null 2>&1 ||
        useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
    AS_SERVICE_USER=(setpriv --reuid="$SERVICE_USER" --regid="$SERVICE_USER" --clear-groups --)
fi

# Makes PATH (a file in the checkout) readable by SERVICE_USER: a checkout under a folder other
# users cannot enter (such as /root) gets an ACL entry for that user on each such folder.
ensure_reachable_by_service_user() {
    local path=$1 dir
    [ "$(id -u)" -eq 0 ] || return 0
    "${AS_SERVICE_USER[@]}" test -r "$path" && return 0
    command -v setfacl >/dev/null 2>&1 || ensure_packages acl
    dir=$(dirname "$path")
    while [ "$dir" != / ]; do
        "${AS_SERVICE_USER[@]}" test -x "$dir" || setfacl -m "u:$SERVICE_USER:rx" "$dir"
        dir=$(dirname "$dir")
    done
    "${AS_SERVICE_USER[@]}" test -r "$path" || { log "$SERVICE_USER cannot read $path"; exit 1; }
}

# initdb and postgres refuse to run as root: as root they run as the unprivileged `postgres`
# user, with their data folders somewhere that user can reach.
pg_run_as() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The data folder NAME under STATE_DIR, or under /var/tmp when root's STATE_DIR is out of the
# postgres user's reach.
pg_data_dir() {
    local dir="$STATE_DIR/$1"
    if [ "$(id -u)" -eq 0 ]; then
        mkdir -p "$STATE_DIR"
        if ! runuser -u postgres -- test -x "$STATE_DIR" 2>/dev/null; then
            dir="/var/tmp/switchyard-$(printf '%s' "$STATE_DIR" | md5sum | cut -c1-8)/$1"
        fi
    fi
    echo "$dir"
}

pg_bin() {
    local bin
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$bin" ] || { log "PostgreSQL server binaries not found"; exit 1; }
    echo "$bin"
}

# A new cluster in DIR: the local socket trusted for the admin steps, TCP with a password, as
# in production.
pg_init() {
    local data=$1
    mkdir -p "$data"
    [ "$(id -u)" -ne 0 ] || chown -R postgres:postgres "$data"
    pg_run_as "$(pg_bin)/initdb" -D "$data" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
}

# The service's role and database (both `switchyard`, password `switchyard`) on the server
# whose socket is in DIR on PORT, unless they exist.
pg_ensure_service_role() {
    local admin=(psql -h "$1" -p "$2" -U postgres -d postgres -v ON_ERROR_STOP=1)
    "${admin[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'switchyard'" | grep -q 1 ||
        "${admin[@]}" -qc "CREATE ROLE switchyard LOGIN PASSWORD 'switchyard' CREATEDB"
    "${admin[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = 'switchyard'" | grep -q 1 ||
        "${admin[@]}" -qc "CREATE DATABASE switchyard OWNER switchyard"
}
