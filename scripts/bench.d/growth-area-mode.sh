# opt-in (about 15 minutes, 12 GB of disk): the growth table for area-mode: ingest of
# 1,000-event batches over all the users (4 writers, 3 runs), `GET /stats/` p99 and throughput
# with the cache off (a PostgreSQL read each), and the server's RSS, with 1M sessions and 10M
# logged events, then 10M sessions and 100M logged events.
source scripts/bench.d/ingest.sh

# Adds sessions g-FROM..g-TO (and their counts, in shard 0) and COUNT logged events.
grow_area_mode() {
    local from=$1 to=$2 events=$3
    pg_admin -c "INSERT INTO area_mode_sessions SELECT 'g-' || n, 100 + n % 19, 'Modes' || n % 10 FROM generate_series($from, $to) AS n" \
        -c "INSERT INTO area_mode_counts (area_code, multiplayer_mode, shard, active)
            SELECT 100 + n % 19, 'Modes' || n % 10, 0, count(*) FROM generate_series($from, $to) AS n GROUP BY 1, 2
            ON CONFLICT (area_code, multiplayer_mode, shard) DO UPDATE SET active = area_mode_counts.active + excluded.active" \
        -c "INSERT INTO area_mode_events (area_code, multiplayer_mode, user_id, event, outcome)
            SELECT 100 + n % 19, 'Modes' || n % 10, 'g-' || n % $to, 'LOGIN', 'applied' FROM generate_series(1, $events) AS n" \
        -c "VACUUM ANALYZE area_mode_sessions" -c "CHECKPOINT"
}

scenario() {
    local dir="$STATE_DIR/ingest" port=$((PORT + 6)) size rates stats previous_stats previous_ingest ingest
    mkdir -p "$dir"
    pg_admin -c "TRUNCATE area_mode_sessions, area_mode_counts, area_mode_events"
    FEATURES=area-mode FEATURES_AREA_MODE_CACHE_TTL=0 LOG_LEVEL=warning \
        "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-growth-area-mode.log" 2>&1 &
    local server=$!
    wait_for_port "$port" "area-mode server" 300
    for size in 1000000 10000000; do
        if [ "$size" = 1000000 ]; then grow_area_mode 1 1000000 10000000; else grow_area_mode 1000001 10000000 90000000; fi
        log "area-mode: $(pg_admin -c "SELECT count(*) FROM area_mode_sessions") sessions, $(pg_admin -c "SELECT count(*) FROM area_mode_events") events"
        stats=$(echo "$(wrk_rps "http://127.0.0.1:$port/area-mode/stats/?area_code=101") $(wrk_p99_ms 16 "http://127.0.0.1:$port/area-mode/stats/?area_code=101")")
        rates=$(for run in 1 2 3; do USERS=$size BASE="http://127.0.0.1:$port" ingest_run "growth-$size" scripts/bench.d/ingest-users.lua 1000 "$dir" "$run"; done)
        ingest=$(median <<<"$rates")
        log "growth area-mode $size sessions: stats $stats (req/s p99-ms), ingest median $ingest events/s; server RSS $(ps -o rss= -p "$server" | awk '{ printf "%.0f", $1 / 1024 }') MiB"
        if [ "$size" = 10000000 ]; then
            record growth-area-mode-stats-p99-ms-10x "${stats#* }" p99-ms-at-1x "${previous_stats#* }"
            record growth-area-mode-stats-req-s-10x "${stats% *}" req-s-at-1x "${previous_stats% *}"
            record growth-area-mode-ingest-10x "$ingest" events-per-s-at-1x "$previous_ingest"
        fi
        previous_stats=$stats previous_ingest=$ingest
    done
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    pg_admin -c "TRUNCATE area_mode_sessions, area_mode_counts, area_mode_events"
}
