# user-points: refresh duration (median of 20) at 1,000,000 users and (median of 3) at
# 10,000,000; GET / p99 (over /health's) and throughput while refreshes run back to back; table size after 100
# refreshes against after the first.
refresh_ms() {
    local base=$1
    curl -s -X POST "$base/refresh" | python3 -c 'import json,sys; print(json.load(sys.stdin)["last_refresh_ms"])'
}

points_bytes() {
    psql "$DATABASE_URL" -tAc "SELECT pg_total_relation_size('users') + coalesce(sum(pg_total_relation_size(quote_ident(tablename))), 0) FROM pg_tables WHERE tablename ~ '^user_points_'"
}

scenario() {
    local up="$BASE/user-points"
    local first_size size durations
    refresh_ms "$up" >/dev/null
    first_size=$(points_bytes)
    durations=$(for _ in $(seq 20); do refresh_ms "$up"; done | median)
    record user-points-refresh-1M-median-ms "$durations" target-ms 1000

    # GET / while another client refreshes back to back.
    # Bounded in time, and killed as soon as the measurements are done.
    ( end=$((SECONDS + 11 * ${DURATION%s} + 30)); while [ $SECONDS -lt $end ]; do curl -s -X POST "$up/refresh" >/dev/null; done ) &
    local refresher=$!
    # GET / p99 over /health's p99 under the same load (no route answers faster than /health),
    # three rounds: target <= 1.25 in the worst.
    local ratios=() query health
    for round in 1 2 3; do
        query=$(wrk_p99_ms "$CONNECTIONS" "$up/")
        health=$(wrk_p99_ms "$CONNECTIONS" "$BASE/health")
        log "user-points round $round during refreshes: GET / p99 $query ms, /health p99 $health ms"
        ratios+=("$(awk -v a="$query" -v b="$health" 'BEGIN { printf "%.2f", a / b }')")
    done
    record_runs user-points-query-p99-over-health-p99-during-refreshes target-ratio 1.25 lower "${ratios[@]}"
    record_against_health user-points-query-during-refreshes "$up/"
    kill "$refresher" 2>/dev/null || true
    wait "$refresher" 2>/dev/null || true

    for _ in $(seq 100); do curl -s -X POST "$up/refresh" >/dev/null; done
    size=$(points_bytes)
    log "user-points tables: $first_size bytes after the first refresh, $size after 100 more"
    record user-points-size-ratio-after-100 "$(awk -v a="$size" -v b="$first_size" 'BEGIN { printf "%.2f", a / b }')" target-ratio 3

    # 10,000,000 users: a second server on a database and Redis keys of its own (sharing the
    # main server's keys would publish this database's generations to it).
    local db=switchyard_bench_10m port=$((PORT + 1))
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    DATABASE_URL="${DATABASE_URL%/*}/$db" FEATURES=user-points FEATURES_USER_POINTS_SEED_USERS=10000000 \
        FEATURES_USER_POINTS_REDIS_KEY="$db:last-query" \
        LOG_LEVEL=warning "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-10m.log" 2>&1 &
    local big=$!
    wait_for_port "$port" "10M-user server" 6000
    durations=$(for _ in 1 2 3; do refresh_ms "http://127.0.0.1:$port/user-points"; done | median)
    record user-points-refresh-10M-median-ms "$durations" target-ms 15000
    kill "$big" 2>/dev/null || true
    wait "$big" 2>/dev/null || true
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
}
