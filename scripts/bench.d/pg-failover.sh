# opt-in (run only when named: `scripts/bench pg-failover`)
# pg-failover: a server on the primary and synchronous standby of scripts/pg-failover (5460,
# 5461), through a multi-host URL with target_session_attrs=read-write, with 1,000,000
# user-points users, under mixed load from 8 clients over every feature and 32 order writers
# (scripts/failover_load.py --postgres): a crash-restart of the primary, then 5 SIGKILLed
# primaries, each with the standby promoted 0.5 s later and the killed node rejoined.
# Targets: only 2xx or 503 envelopes (no 500, no hang); the first order confirmed within 2 s
# of the promotion; 0 confirmed orders missing; stock + ordered = initial for every product;
# the current user-points generation whole again within 2 s of the restart or promotion.
scenario() {
    local dir="$STATE_DIR/pg-failover-bench" port=$((PORT + 40)) stub_port=$((PORT + 41))
    export SWITCHYARD_PG_FAILOVER_PORT=5460
    rm -rf "$dir" && mkdir -p "$dir"
    scripts/pg-failover down && scripts/pg-failover up
    local database_url
    database_url=$(eval "$(scripts/pg-failover env)" && echo "$DATABASE_URL")
    redis-cli -u "${REDIS_URL%/*}/2" FLUSHDB >/dev/null
    "${AS_SERVICE_USER[@]}" "$binary" users-api-stub --port "$stub_port" --users 200 --latency-ms 5 >"$dir/stub.log" 2>&1 &
    local stub_pid=$!
    DATABASE_URL="$database_url" REDIS_URL="${REDIS_URL%/*}/2" LOG_LEVEL=warning USERS_API_URL="http://127.0.0.1:$stub_port/" \
        "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$dir/server.log" 2>&1 &
    local failover_server=$!
    wait_for_port "$port" "pg-failover server" 300
    local loaded=0
    python3 scripts/failover_load.py "http://127.0.0.1:$port" --database-url "$database_url" --postgres --workers 8 \
        >"$dir/report.json" || loaded=$?
    kill "$failover_server" "$stub_pid" 2>/dev/null
    wait "$failover_server" "$stub_pid" 2>/dev/null || true
    scripts/pg-failover down
    [ "$loaded" = 0 ] || { log "the failover load failed; the server's log: $dir/server.log"; return 1; }
    cat "$dir/report.json" >&2
    local field
    field() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, r))' "$dir/report.json" "$1"; }
    record pg-failover-unexpected-answers "$(field 'sum(v for k, v in outcomes.items() if k not in ("ok", "error"))')" target 0
    record pg-failover-worst-first-order-ms "$(field 'max(e["first_order_ms"] for e in events if e["event"] == "kill")')" target-ms 2000
    record pg-failover-confirmed-orders-missing "$(field 'confirmed_orders_missing')" confirmed "$(field 'orders_confirmed')"
    record pg-failover-stock-mismatches "$(field 'stock_mismatches')" products "$(field 'products_checked')"
    record pg-failover-worst-user-points-back-ms "$(field 'max(e["user_points_back_ms"] for e in events)')" target-ms 2000
    record pg-crash-restart-first-order-ms "$(field 'events[0]["first_order_ms"]')" target-ms 2000
}
