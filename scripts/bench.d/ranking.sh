# ranking: the full `GET /path-stats/stats/` over 10,001 paths (target >= 300 req/s, ten
# times the Close reference's 27.3 here) and `?limit=100` against /health (target >= 0.5), at 64
# connections, three rounds: worst and median.
scenario() {
    local round full=() top=() health rate
    redis-cli -p "$SWITCHYARD_REDIS_PORT" del path-stats:hits >/dev/null
    python3 - <<'PY' | redis-cli -p "$SWITCHYARD_REDIS_PORT" --pipe >/dev/null
import sys
out = sys.stdout.buffer
for start in range(0, 10_001, 1000):
    args = [b"ZADD", b"path-stats:hits"]
    for i in range(start, min(start + 1000, 10_001)):
        args += [b"-%d" % (i * 7919 % 1000 + 1), b"/api/seed/path/%05d/" % i]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
    wrk -t "$THREADS" -c "$CONNECTIONS" -d 3s "$BASE/path-stats/stats/" >/dev/null
    for round in 1 2 3; do
        full+=("$(wrk_rps "$BASE/path-stats/stats/")")
        health=$(wrk_rps "$BASE/health")
        rate=$(wrk_rps "$BASE/path-stats/stats/?limit=100")
        top+=("$(awk -v a="$rate" -v b="$health" 'BEGIN { printf "%.2f", a / b }')")
        log "round $round: full ranking ${full[-1]} req/s, ?limit=100 $rate req/s vs /health $health"
    done
    record_runs ranking-full-10k target-req-s 300 higher "${full[@]}"
    record_runs ranking-limit-100-vs-health target-ratio 0.5 higher "${top[@]}"
}
