# opt-in (run only when named: `scripts/bench redis-failover`)
# redis-failover: a server on the loopback Redis Cluster (scripts/redis-cluster on 7120-7125,
# redis.wait-replicas=1) under mixed load from 32 clients over every feature
# (scripts/failover_load.py) through 7 SIGKILLed masters, 3 more killed after their replica was
# paused 1.5 s, a planned CLUSTER FAILOVER and 1,000 slots resharded. Targets: only 2xx or
# 503 envelopes (no 500, no hang); every outage over within 5 s of the kill; stock + ordered =
# initial for every product; no user-points predecessor given twice; no stale area-mode read
# after a confirmed POST; 0 failed requests in the planned failover and the reshard; 0
# CROSSSLOT on any node. path-stats hits do not wait for a replica: the acknowledged hits lost
# are reported beside the replication lag at the kill.
scenario() {
    local dir="$STATE_DIR/redis-failover" port=$((PORT + 30)) stub_port=$((PORT + 31))
    export SWITCHYARD_REDIS_CLUSTER_PORT=7120
    rm -rf "$dir" && mkdir -p "$dir"
    scripts/redis-cluster down && scripts/redis-cluster up
    "${AS_SERVICE_USER[@]}" "$binary" users-api-stub --port "$stub_port" --users 200 --latency-ms 5 >"$dir/stub.log" 2>&1 &
    local stub_pid=$!
    (eval "$(scripts/redis-cluster env)"
        exec env REDIS_URL="$REDIS_URL" REDIS_WAIT_REPLICAS=1 LOG_LEVEL=warning USERS_API_URL="http://127.0.0.1:$stub_port/" \
            "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port") >"$dir/server.log" 2>&1 &
    local failover_server=$!
    wait_for_port "$port" "failover server" 120
    local loaded=0
    python3 scripts/failover_load.py "http://127.0.0.1:$port" --database-url "$DATABASE_URL" >"$dir/report.json" || loaded=$?
    kill "$failover_server" "$stub_pid" 2>/dev/null
    wait "$failover_server" "$stub_pid" 2>/dev/null || true
    [ "$loaded" = 0 ] || { log "the failover load failed; the server's log: $dir/server.log"; scripts/redis-cluster down; return 1; }
    cat "$dir/report.json" >&2
    local crossslot
    crossslot=$(scripts/redis-cluster errorstats | awk -F'[=,]' '/CROSSSLOT/ { n += $2 } END { print n + 0 }')
    scripts/redis-cluster down
    local field
    field() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, r))' "$dir/report.json" "$1"; }
    record failover-unexpected-answers "$(field 'sum(v for k, v in outcomes.items() if k not in ("ok", "error"))')" target 0
    record failover-worst-outage-ms "$(field 'max(e["outage_ms"] for e in events if e["event"].endswith("kill"))')" target-ms 5000
    record failover-stock-mismatches "$(field 'stock_mismatches')" products "$(field 'products_checked')"
    record failover-repeated-predecessors "$(field 'user_points_repeated_predecessors')" queries "$(field 'user_points_queries')"
    record failover-stale-area-reads "$(field 'stale_reads')" target 0
    record failover-planned-failed-requests "$(field 'sum(e["failed"] for e in events if e["event"] == "planned")')" target 0
    record failover-reshard-failed-requests "$(field 'sum(e["failed"] for e in events if e["event"] == "reshard")')" target 0
    record failover-crossslot-errors "$crossslot" target 0
    record failover-lost-hits-without-wait "$(field 'lost_hits')" max-lag-bytes "$(field 'max(e.get("lag_bytes", 0) for e in events)')"
}
