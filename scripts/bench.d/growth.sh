# opt-in (about 15 minutes): the growth table (#22) for path-stats and user-points: each hot
# read's throughput (64 connections) and p99 (16 connections), and the server's and Redis's
# RSS, at today's benchmark size and at 10x (path-stats 1M and 10M paths, user-points 1M and
# 10M users). Target: read p99 at 10x within 1.2x of today's.

# "req/s p99-ms" of URL.
growth_read() { echo "$(wrk_rps "$1") $(wrk_p99_ms 16 "$1")"; }

rss_mib() { ps -o rss= -p "$1" | awk '{ printf "%.0f", $1 / 1024 }'; }

load_paths() {
    redis-cli -p "$SWITCHYARD_REDIS_PORT" del path-stats:hits >/dev/null
    python3 - "$1" <<'PY' | redis-cli -p "$SWITCHYARD_REDIS_PORT" --pipe >/dev/null
import sys
count = int(sys.argv[1])
out = sys.stdout.buffer
for start in range(0, count, 1000):
    args = [b"ZADD", b"path-stats:hits"]
    for i in range(start, min(start + 1000, count)):
        args += [b"%d" % (i * 7919 % 1000 + 1), b"/api/seed/path/%08d/" % i]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
}

scenario() {
    local size hit top rss redis_rss previous_hit previous_top
    for size in 1000000 10000000; do
        load_paths "$size"
        hit=$(growth_read "$BASE/path-stats/api/seed/path/00000001/")
        top=$(growth_read "$BASE/path-stats/stats/?limit=100")
        rss=$(rss_mib "$server_pid")
        redis_rss=$(redis-cli -p "$SWITCHYARD_REDIS_PORT" info memory | awk -F: '/^used_memory_rss:/ { printf "%.0f", $2 / 1048576 }')
        log "growth path-stats $size paths: hit $hit, ?limit=100 $top (req/s p99-ms); server RSS $rss MiB, Redis $redis_rss MiB"
        if [ "$size" = 10000000 ]; then
            record growth-path-stats-hit-p99-ms-10M-vs-1M "${hit#* }" p99-ms-at-1M "${previous_hit#* }"
            record growth-path-stats-hit-req-s-10M-vs-1M "${hit% *}" req-s-at-1M "${previous_hit% *}"
            record growth-path-stats-top100-p99-ms-10M-vs-1M "${top#* }" p99-ms-at-1M "${previous_top#* }"
            record growth-path-stats-top100-req-s-10M-vs-1M "${top% *}" req-s-at-1M "${previous_top% *}"
        fi
        previous_hit=$hit previous_top=$top
    done
    redis-cli -p "$SWITCHYARD_REDIS_PORT" del path-stats:hits >/dev/null

    # user-points: the main server holds 1,000,000 users; a second one, on a database of its
    # own, 10,000,000.
    local db=switchyard_bench_growth port=$((PORT + 1)) small large
    curl -s -X POST "$BASE/user-points/refresh" >/dev/null
    small=$(growth_read "$BASE/user-points/")
    log "growth user-points 1M users: GET / $small (req/s p99-ms); server RSS $(rss_mib "$server_pid") MiB"
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    DATABASE_URL="${DATABASE_URL%/*}/$db" FEATURES=user-points FEATURES_USER_POINTS_SEED_USERS=10000000 \
        LOG_LEVEL=warning "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-growth.log" 2>&1 &
    local big=$!
    wait_for_port "$port" "10M-user server" 6000
    curl -s -X POST "http://127.0.0.1:$port/user-points/refresh" >/dev/null
    large=$(growth_read "http://127.0.0.1:$port/user-points/")
    log "growth user-points 10M users: GET / $large (req/s p99-ms); server RSS $(rss_mib "$big") MiB (user-points alone)"
    record growth-user-points-p99-ms-10M-vs-1M "${large#* }" p99-ms-at-1M "${small#* }"
    record growth-user-points-req-s-10M-vs-1M "${large% *}" req-s-at-1M "${small% *}"
    kill "$big" 2>/dev/null || true
    wait "$big" 2>/dev/null || true
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
}
