# path-stats: hit throughput against the /health ceiling; ranking p99 and streaming memory with
# 1,000,000 distinct paths; the self load test's end-to-end rate.
scenario() {
    local here=scripts/bench.d
    local rate
    redis-cli -p "$SWITCHYARD_REDIS_PORT" del path-stats:hits >/dev/null
    # Same wrk settings as the ceiling: one path. Then 100,000 paths from a wrk script, whose
    # per-request Lua costs wrk (on the same two cores) some throughput of its own.
    record_against_health path-stats-hit "$BASE/path-stats/api/bench/x/"
    record_against_health path-stats-hit-100k-paths "$BASE/path-stats/api/" -s "$here/path-stats.lua"

    # 1,000,000 distinct paths with counts 1..1000, loaded with redis-cli's mass insertion.
    redis-cli -p "$SWITCHYARD_REDIS_PORT" del path-stats:hits >/dev/null
    python3 - <<'PY' | redis-cli -p "$SWITCHYARD_REDIS_PORT" --pipe >/dev/null
import sys
out = sys.stdout.buffer
for start in range(0, 1_000_000, 1000):
    args = [b"ZADD", b"path-stats:hits"]
    for i in range(start, start + 1000):
        args += [b"-%d" % (i * 7919 % 1000 + 1), b"seed/path/%07d" % i]
    out.write(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
PY
    local p99 p99_saturated
    p99=$(wrk_p99_ms 4 "$BASE/path-stats/stats/?limit=100")
    p99_saturated=$(wrk_p99_ms "$CONNECTIONS" "$BASE/path-stats/stats/?limit=100")
    record path-stats-ranking-p99-ms-at-64-conns "${p99_saturated:-0}" target-ms 5
    record path-stats-ranking-p99-ms-at-4-conns "${p99:-0}" target-ms 5

    local before peak bytes
    before=$(ps -o rss= -p "$server_pid")
    peak=$before
    curl -s "$BASE/path-stats/stats/" -o "$STATE_DIR/ranking.json" &
    local curl_pid=$!
    while kill -0 "$curl_pid" 2>/dev/null; do
        peak=$(( $(ps -o rss= -p "$server_pid") > peak ? $(ps -o rss= -p "$server_pid") : peak ))
        sleep 0.05
    done
    bytes=$(stat -c %s "$STATE_DIR/ranking.json")
    log "full ranking: $bytes bytes streamed"
    record path-stats-stream-rss-growth-mib "$(awk -v a="$peak" -v b="$before" 'BEGIN { printf "%.1f", (a - b) / 1024 }')" target-mib 64

    local report rates=()
    for _ in 1 2 3; do
        report=$(curl -s -X POST "$BASE/path-stats/test/100000/")
        log "load test: $(printf '%s' "$report" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["succeeded"], "succeeded,", r["failed"], "failed in", r["elapsed_ms"], "ms")')"
        rates+=("$(printf '%s' "$report" | python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.2f" % (r["succeeded"] * 1000 / max(r["elapsed_ms"], 1)) if r["failed"] == 0 else 0)')")
    done
    record_runs path-stats-self-test-100k target 12000 higher "${rates[@]}"
}
