# opt-in (run only when named: `scripts/bench soak`)
# soak: SOAK_MINUTES (10) of mixed traffic over every feature (scripts/bench.d/soak.lua, 16
# connections), in one-minute wrk runs back to back. Per minute: wrk's non-2xx count (must be
# 0), p99 per route from the server's own latency histograms (/metrics deltas), and the
# server's RSS. Reports p99 drift (median of the last 3 minutes against minutes 2-4) and RSS growth
# after the first minute's warm-up (target at most 10%).
scenario() {
    local minutes="${SOAK_MINUTES:-10}" dir="$STATE_DIR/soak"
    rm -rf "$dir" && mkdir -p "$dir"
    curl -s -H 'Content-Type: application/json' -d '{"id":"soak-stock","title":"Soak","passenger_capacity":1,"maximum_speed":1,"in_stock":2000000000}' \
        "$BASE/products-orders/products" >/dev/null
    local order
    order=$(curl -s -H 'Content-Type: application/json' -d '{"order_details":[{"product_id":"soak-stock","price":"1","quantity":1}]}' \
        "$BASE/products-orders/orders" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    sed "s/soak_order/\"$order\"/" scripts/bench.d/soak.lua >"$dir/soak.lua"
    curl -s "$BASE/metrics" >"$dir/metrics-0.txt"
    local minute errors=0
    for minute in $(seq "$minutes"); do
        wrk -t 2 -c 16 -d 60s --latency -s "$dir/soak.lua" "$BASE/" >"$dir/wrk-$minute.txt"
        curl -s "$BASE/metrics" >"$dir/metrics-$minute.txt"
        awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status" >"$dir/rss-$minute.txt"
        # PostgreSQL's checkpoints, to tell their I/O apart from drift of our own.
        psql "$DATABASE_URL" -Atc "SELECT checkpoints_timed + checkpoints_req, buffers_checkpoint, buffers_backend FROM pg_stat_bgwriter" \
            >"$dir/checkpoints-$minute.txt"
        errors=$((errors + $(awk '/Non-2xx/ { n = $5 } /Socket errors/ { n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$dir/wrk-$minute.txt")))
    done
    python3 scripts/soak_report.py "$dir" "$minutes" | tee "$dir/report.txt" >&2
    record soak-errors "$errors" target 0
    record soak-rss-growth-after-warmup-percent "$(python3 scripts/soak_report.py "$dir" "$minutes" --rss-growth)" target-percent 10
    record soak-worst-p99-drift-ratio "$(python3 scripts/soak_report.py "$dir" "$minutes" --worst-drift)" target-ratio 1.2
}
