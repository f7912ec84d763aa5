# dashboard: GET /dashboard p99 (4 connections) with 1,000,000 paths in path-stats (target
# 50 ms): the page reads top-N and counters only, never a whole set.
scenario() {
    python3 - <<'PY' | redis-cli -u "$REDIS_URL" --pipe >/dev/null
import sys
out = sys.stdout.buffer
def command(*words):
    out.write(b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in (x.encode() for x in words)))
for start in range(0, 1_000_000, 1000):
    words = ["ZADD", "path-stats:hits"]
    for n in range(start, start + 1000):
        words += [str(-(1 + n % 977)), "bench/dashboard/%07d" % n]
    command(*words)
PY
    record dashboard-p99-ms-1M-paths "$(wrk_p99_ms 4 "$BASE/dashboard")" target-ms 50
}
