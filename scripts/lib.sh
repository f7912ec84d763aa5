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
