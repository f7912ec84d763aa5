# opt-in (about 15 minutes): the growth table for path-stats and user-points: each hot
# read's throughput (64 connections) and p99 (16 connections), and the server's and Redis's
# RSS, at today's benchmark size and at 10x (path-stats 1M and 10M paths, user-points 1M and
# 10M users). Target: read p99 at 10x within 1.2x of today's. Each size has its own server
# (the main one holds today's size), and the two are measured in three alternating rounds, so
# that the machine's drift falls on both; the worst round's ratio is beside the median.

# "req/s p99-ms" of URL.
growth_read() { echo "$(wrk_rps "$1") $(wrk_p99_ms 16 "$1")"; }

rss_mib() { ps -o rss= -p "$1" | awk '{ printf "%.0f", $1 / 1024 }'; }

# p99_ratio "req/s p99-ms" "req/s p99-ms": the first p99 over the second.
p99_ratio() { awk -v a="${1#* }" -v b="${2#* }" 'BEGIN { printf "%.2f", a / b }'; }

# load_paths KEY COUNT
load_paths() {
    redis-cli -p "$SWITCHYARD_REDIS_PORT" del "$1" >/dev/null
    python3 - "$1" "$2" <<'PY' | redis-cli -p "$SWITCHYARD_REDIS_PORT" --pipe >/dev/null
import sys
key, count = sys.argv[1].encode(), int(sys.argv[2])
out = sys.stdout.buffer
for start in range(0, count, 1000):
    args = [b"ZADD", key]
    for i in range(start, min(start + 1000, count)):
        args += [b"%d" % (i * 7919 % 1000 + 1), b"/api/seed/path/%08d/" % i]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
}

# Loading millions of members sets off an AOF rewrite (a forked child writing the whole data
# set, a core for seconds): measured after it, as a server is outside its bulk loads.
wait_for_redis_rewrite() {
    while redis-cli -p "$SWITCHYARD_REDIS_PORT" info persistence |
        grep -Eq '^(aof_rewrite_in_progress|aof_rewrite_scheduled|rdb_bgsave_in_progress):1'; do
        sleep 1
    done
}

# The hits of a round append to the AOF; past twice the base (about 360 MB here) Redis rewrites
# it, forking and writing 1.4 GB for 12 s in the middle of whichever size is being measured
# (1.49 at 20:46). Each round therefore starts from a fresh rewrite.
fresh_redis_rewrite() {
    wait_for_redis_rewrite
    redis-cli -p "$SWITCHYARD_REDIS_PORT" bgrewriteaof >/dev/null
    sleep 1
    wait_for_redis_rewrite
}

stop_server() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# start_server PORT NAME ENV...: a second server of the release build; its PID in $started.
start_server() {
    local port=$1 name=$2
    shift 2
    env "$@" LOG_LEVEL=warning "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-growth-$port.log" 2>&1 &
    started=$!
    wait_for_port "$port" "$name" 6000
}

scenario() {
    local round small large started big hits=() tops=() users=() redis_rss
    # path-stats: the main server ranks 1,000,000 paths, a second one 10,000,000 under its own key.
    load_paths path-stats:hits 1000000
    load_paths growth:hits 10000000
    wait_for_redis_rewrite
    start_server $((PORT + 1)) "10M-path server" FEATURES=path-stats FEATURES_PATH_STATS_REDIS_KEY=growth:hits
    big=$started
    redis_rss=$(redis-cli -p "$SWITCHYARD_REDIS_PORT" info memory | awk -F: '/^used_memory_rss:/ { printf "%.0f", $2 / 1048576 }')
    for round in 1 2 3; do
        fresh_redis_rewrite
        small=$(growth_read "$BASE/path-stats/api/seed/path/00000001/")
        large=$(growth_read "http://127.0.0.1:$((PORT + 1))/path-stats/api/seed/path/00000001/")
        hits+=("$(p99_ratio "$large" "$small")")
        log "growth path-stats round $round: hit at 1M paths $small, at 10M $large (req/s p99-ms)"
        small=$(growth_read "$BASE/path-stats/stats/?limit=100")
        large=$(growth_read "http://127.0.0.1:$((PORT + 1))/path-stats/stats/?limit=100")
        tops+=("$(p99_ratio "$large" "$small")")
        log "growth path-stats round $round: ?limit=100 at 1M paths $small, at 10M $large (req/s p99-ms)"
    done
    log "growth path-stats: server RSS $(rss_mib "$server_pid") MiB (1M, all features)," \
        "$(rss_mib "$big") MiB (10M, path-stats alone); Redis $redis_rss MiB with both sets"
    record_runs growth-path-stats-hit-p99-10M-over-1M target-ratio 1.2 lower "${hits[@]}"
    record_runs growth-path-stats-top100-p99-10M-over-1M target-ratio 1.2 lower "${tops[@]}"
    stop_server "$big"
    redis-cli -p "$SWITCHYARD_REDIS_PORT" del path-stats:hits growth:hits >/dev/null

    # user-points: 1,000,000 and 10,000,000 users, each on a server (user-points alone) and a
    # database of their own, so that only the size differs: the main server (every feature) at
    # 1M gave a p99 up to a fifth lower than a user-points server at 10M, where two user-points
    # servers at 1M and 10M measured the same (BENCHMARKS, growth).
    local db small_port=$((PORT + 1)) large_port=$((PORT + 2)) servers=()
    for db in 1000000 10000000; do
        psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS growth_$db" -c "CREATE DATABASE growth_$db" >/dev/null
        start_server $((db == 1000000 ? small_port : large_port)) "$db-user server" DATABASE_URL="${DATABASE_URL%/*}/growth_$db" \
            FEATURES=user-points FEATURES_USER_POINTS_SEED_USERS=$db FEATURES_USER_POINTS_REDIS_KEY="growth:$db:last-query"
        servers+=("$started")
        # Seeding leaves the new rows to autovacuum, which would otherwise run during the first
        # rounds; done here, as it is a minute after a first start.
        psql "${DATABASE_URL%/*}/growth_$db" -qc "VACUUM (ANALYZE) users" >/dev/null
    done
    curl -s -X POST "http://127.0.0.1:$small_port/user-points/refresh" >/dev/null
    curl -s -X POST "http://127.0.0.1:$large_port/user-points/refresh" >/dev/null
    for round in 1 2 3; do
        small=$(growth_read "http://127.0.0.1:$small_port/user-points/")
        large=$(growth_read "http://127.0.0.1:$large_port/user-points/")
        users+=("$(p99_ratio "$large" "$small")")
        log "growth user-points round $round: GET / with 1M users $small, with 10M $large (req/s p99-ms)"
    done
    log "growth user-points: server RSS $(rss_mib "${servers[0]}") MiB (1M), $(rss_mib "${servers[1]}") MiB (10M)"
    record_runs growth-user-points-p99-10M-over-1M target-ratio 1.2 lower "${users[@]}"
    for started in "${servers[@]}"; do stop_server "$started"; done
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS growth_1000000" -c "DROP DATABASE IF EXISTS growth_10000000" >/dev/null
}
