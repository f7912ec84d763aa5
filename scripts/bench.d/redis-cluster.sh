# opt-in (run only when named: `scripts/bench redis-cluster`)
# redis-cluster: a second server on the loopback Redis Cluster (scripts/redis-cluster on
# 7130-7135) beside the main one on standalone Redis, in the same run. Hot routes (a hit, the
# cached area stats, `GET /user-points/`): each server's ratio to its own /health, alternating,
# three rounds; target: the cluster's ratio >= 0.9 of standalone's. products-orders' closed
# loop (create, get, order, get; 16 connections, 10 s) and `GET /user-points/` on each, the
# cluster's server now with redis.wait-replicas=1 (a report: all of products-orders' keys are on
# one master, and its stock writes and the user-points handover wait for a replica). Then path-stats' ranking
# over 1,000,000 paths in 8 shards (a third server, standalone Redis) against the same paths in
# one sorted set: `?limit=100`, deep pages and the full stream byte for byte (target 0
# differences), and `?limit=100` p99 at 4 connections within 1.5x of one set's.

# cluster_server PORT [VAR=VALUE...]: a server on the cluster with every Redis-backed feature.
cluster_server() {
    local port=$1
    shift
    (eval "$(scripts/redis-cluster env)"
        exec env REDIS_URL="$REDIS_URL" LOG_LEVEL=warning FEATURES=path-stats,area-mode,user-points,products-orders "$@" \
            "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port") >"$STATE_DIR/redis-cluster/server-$port.log" 2>&1 &
    wait_for_port "$port" "cluster server" 120
}

scenario() {
    local dir="$STATE_DIR/redis-cluster" cluster_port=$((PORT + 40)) sharded_port=$((PORT + 41))
    rm -rf "$dir" && mkdir -p "$dir"
    export SWITCHYARD_REDIS_CLUSTER_PORT=7130
    scripts/redis-cluster down && scripts/redis-cluster up
    local cluster="http://127.0.0.1:$cluster_port" sharded="http://127.0.0.1:$sharded_port"
    curl -s -X POST "$BASE/area-mode/generate_data/?count=20000&seed=1" >/dev/null
    curl -s -X POST "$BASE/user-points/refresh" >/dev/null

    # Hot routes, nothing waiting for replicas (as on standalone Redis).
    cluster_server "$cluster_port"
    local cluster_pid=$!
    local route ratios round standalone_ratio cluster_ratio
    for route in "path-stats/api/bench/x/" "area-mode/stats/?area_code=101" "user-points/"; do
        ratios=()
        wrk -t "$THREADS" -c "$CONNECTIONS" -d 3s "$cluster/$route" >/dev/null
        for round in 1 2 3; do
            standalone_ratio=$(awk -v a="$(wrk_rps "$BASE/$route")" -v b="$(wrk_rps "$BASE/health")" 'BEGIN { printf "%.3f", a / b }')
            cluster_ratio=$(awk -v a="$(wrk_rps "$cluster/$route")" -v b="$(wrk_rps "$cluster/health")" 'BEGIN { printf "%.3f", a / b }')
            log "$route round $round: vs /health $cluster_ratio on the cluster, $standalone_ratio standalone"
            ratios+=("$(awk -v a="$cluster_ratio" -v b="$standalone_ratio" 'BEGIN { printf "%.2f", a / b }')")
        done
        record_runs "cluster-over-standalone-${route%%/*}" target-ratio 0.9 higher "${ratios[@]}"
    done
    kill "$cluster_pid" 2>/dev/null
    wait "$cluster_pid" 2>/dev/null || true

    # The writes whose loss would break a promise waiting for a replica: products-orders' loop
    # (all its keys on one master) and user-points' handover, against standalone in the same run.
    cluster_server "$cluster_port" REDIS_WAIT_REPLICAS=1
    cluster_pid=$!
    local loops_cluster loops_standalone
    loops_standalone=$(wrk -t 16 -c 16 -d 10s -s scripts/bench.d/products-orders-loop.lua "$BASE/" | awk '/Requests\/sec:/ { printf "%.0f", $2 / 4 }')
    loops_cluster=$(wrk -t 16 -c 16 -d 10s -s scripts/bench.d/products-orders-loop.lua "$cluster/" | awk '/Requests\/sec:/ { printf "%.0f", $2 / 4 }')
    record cluster-replicated-products-orders-loops-per-s "$loops_cluster" standalone-loops-per-s "$loops_standalone"
    record cluster-replicated-user-points-req-s "$(wrk_rps "$cluster/user-points/")" standalone-req-s "$(wrk_rps "$BASE/user-points/")"
    kill "$cluster_pid" 2>/dev/null
    wait "$cluster_pid" 2>/dev/null || true
    local crossslot
    crossslot=$(scripts/redis-cluster errorstats | awk -F'[=,]' '/CROSSSLOT/ { n += $2 } END { print n + 0 }')
    record cluster-crossslot-errors "$crossslot" target 0
    scripts/redis-cluster down

    LOG_LEVEL=warning FEATURES=path-stats FEATURES_PATH_STATS_RANKING_SHARDS=8 \
        "${AS_SERVICE_USER[@]}" "$binary" serve --port "$sharded_port" >"$dir/sharded-server.log" 2>&1 &
    local sharded_server=$!
    wait_for_port "$sharded_port" "sharded server" 120

    # The same 1,000,000 paths and counts in one set and in 8 shards (FNV-1a of the path, as the server places them).
    redis-cli -p "$SWITCHYARD_REDIS_PORT" del path-stats:hits >/dev/null
    python3 - <<'PY' | redis-cli -p "$SWITCHYARD_REDIS_PORT" --pipe >/dev/null
import sys
out = sys.stdout.buffer
def command(*args):
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
for start in range(0, 1_000_000, 1000):
    single, shards = [], {}
    for i in range(start, start + 1000):
        path, score = b"seed/path/%07d" % i, b"-%d" % (i * 7919 % 1000 + 1)
        single += [score, path]
        h = 0xcbf29ce484222325
        for byte in path:
            h = ((h ^ byte) * 0x100000001b3) % (1 << 64)
        shards.setdefault(h % 8, []).extend([score, path])
    command(b"ZADD", b"path-stats:hits", *single)
    for shard, members in shards.items():
        command(b"ZADD", b"path-stats:hits:shard:%d/8" % shard, *members)
PY
    local uri differences=0
    for uri in "?limit=100" "?offset=1&limit=100" "?offset=500000&limit=100" "?offset=999950&limit=100" \
        "?offset=123457&limit=5000" "?offset=999999" ""; do
        curl -s "$BASE/path-stats/stats/$uri" -o "$dir/single.json"
        curl -s "$sharded/path-stats/stats/$uri" -o "$dir/sharded.json"
        if ! cmp -s "$dir/single.json" "$dir/sharded.json"; then
            differences=$((differences + 1))
            log "ranking $uri differs between one set and 8 shards"
        fi
        log "ranking $uri: $(stat -c %s "$dir/sharded.json") bytes, 8 shards in $(curl -s -o /dev/null -w '%{time_total}' "$sharded/path-stats/stats/$uri") s"
    done
    record sharded-ranking-differences "$differences" target 0
    local single_p99 sharded_p99
    single_p99=$(wrk_p99_ms 4 "$BASE/path-stats/stats/?limit=100")
    sharded_p99=$(wrk_p99_ms 4 "$sharded/path-stats/stats/?limit=100")
    record sharded-ranking-p99-ms-at-4-conns "${sharded_p99:-0}" one-set-p99-x1.5 "$(awk -v a="${single_p99:-0}" 'BEGIN { print a * 1.5 }')"
    kill "$sharded_server" 2>/dev/null
    wait "$sharded_server" 2>/dev/null || true
}
