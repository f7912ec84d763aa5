# opt-in (run only when named: `scripts/bench chaos`)
# chaos: CHAOS_PHASES (15) phases of CHAOS_PHASE_SECONDS (20) of mixed traffic over every feature
# (scripts/chaos_load.py, 32 clients) against a second server whose Redis and PostgreSQL are
# behind scripts/chaos-proxy: calm phases alternate with Redis, PostgreSQL or both cut or
# black-holed; the users API answers in 300 ms; in every fault phase, slow statements hold the
# tables the features write locked for 0.5-3 s, so statements outlive their 2 s deadlines in flight.
# Targets: 0 answers carrying another request's data, 0 answers other than 2xx or a 502/503
# envelope (no 500), no error slower than its deadline (CHAOS_DEADLINE, 5 s: the longest single
# wait is the 2 s query timeout plus its 1 s grace), every calm phase recovered by its half, RSS
# flat, and after the settlements every product's stock plus its stored orders' quantities
# equal to its initial stock (0 compensations of committed orders).
scenario() {
    local dir="$STATE_DIR/chaos" port=$((PORT + 20))
    local redis_proxy=$((PORT + 21)) pg_proxy=$((PORT + 22)) redis_control=$((PORT + 23)) pg_control=$((PORT + 24))
    local stub_port=$((PORT + 25))
    rm -rf "$dir" && mkdir -p "$dir"
    python3 scripts/chaos-proxy --listen "$redis_proxy" --target "127.0.0.1:$SWITCHYARD_REDIS_PORT" \
        --control "$redis_control" >"$dir/redis-proxy.log" 2>&1 &
    local redis_proxy_pid=$!
    python3 scripts/chaos-proxy --listen "$pg_proxy" --target "127.0.0.1:$SWITCHYARD_PG_PORT" \
        --control "$pg_control" >"$dir/postgres-proxy.log" 2>&1 &
    local pg_proxy_pid=$!
    "${AS_SERVICE_USER[@]}" "$binary" users-api-stub --port "$stub_port" --users 200 --latency-ms 300 >"$dir/stub.log" 2>&1 &
    local stub_pid=$!
    wait_for_port "$redis_control" chaos-proxy
    wait_for_port "$pg_control" chaos-proxy
    wait_for_port "$stub_port" users-api-stub
    # The same database through the proxy; each deadline short enough to be seen within a phase.
    local proxied_db
    proxied_db=$(python3 - "$DATABASE_URL" "$pg_proxy" <<'PY'
import sys, urllib.parse as u
url = u.urlsplit(sys.argv[1])
netloc = url.netloc.rsplit(":", 1)[0] + ":" + sys.argv[2]
query = "&".join(filter(None, [url.query, "connect_timeout=2"]))
print(url._replace(netloc=netloc, query=query).geturl())
PY
)
    REDIS_URL="redis://127.0.0.1:$redis_proxy/0" DATABASE_URL="$proxied_db" USERS_API_URL="http://127.0.0.1:$stub_port/" \
        LOG_LEVEL=warning REDIS_COMMAND_TIMEOUT=1 REDIS_CONNECT_TIMEOUT=1 POSTGRES_QUERY_TIMEOUT=2 \
        POSTGRES_ACQUIRE_TIMEOUT=2 FEATURES_ACHIEVEMENT_LEVEL_TIMEOUT=2 \
        FEATURES_USER_POINTS_REFRESH_INTERVAL=20 \
        "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$dir/server.log" 2>&1 &
    local chaos_server=$!
    wait_for_port "$port" "chaos server" 120
    python3 scripts/chaos_load.py "http://127.0.0.1:$port" --redis-control "$redis_control" \
        --postgres-control "$pg_control" --server-pid "$chaos_server" --phases "${CHAOS_PHASES:-15}" \
        --phase-seconds "${CHAOS_PHASE_SECONDS:-20}" --deadline "${CHAOS_DEADLINE:-5}" \
        --database-url "$DATABASE_URL" >"$dir/report.json"
    kill "$chaos_server" "$stub_pid" "$redis_proxy_pid" "$pg_proxy_pid" 2>/dev/null
    # Killed processes end non-zero; that is expected here.
    wait "$chaos_server" "$stub_pid" "$redis_proxy_pid" "$pg_proxy_pid" 2>/dev/null || true
    cat "$dir/report.json" >&2
    local field
    field() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, r))' "$dir/report.json" "$1"; }
    record chaos-wrong-data "$(field 'outcomes.get("wrong", 0)')" target 0
    record chaos-unexpected-answers "$(field 'outcomes.get("unexpected", 0) + outcomes.get("hang", 0)')" target 0
    record chaos-errors-past-deadline "$(field 'outcomes.get("late-error", 0)')" target 0
    record chaos-missed-recoveries "$(field 'missed_recoveries')" target 0
    record chaos-stock-mismatches "$(field 'stock_mismatches')" products "$(field 'products_checked')"
    record chaos-orders-stored-after-an-error "$(field 'orders_stored_after_an_error')" slow-statements "$(field 'slow_statements')"
    record chaos-worst-recovery-ms "$(field 'worst_recovery_ms')" phase-ms "$(( ${CHAOS_PHASE_SECONDS:-20} * 500 ))"
    record chaos-slowest-error-ms "$(field 'slowest_error_ms')" deadline-ms "$(( ${CHAOS_DEADLINE:-5} * 1000 ))"
    record chaos-rss-growth-percent "$(field 'rss_growth_percent')" target-percent 10
    record chaos-requests-per-second "$(field 'requests_per_second')" health "$ceiling"
}
