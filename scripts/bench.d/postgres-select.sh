# PostgreSQL adapter throughput: SELECT $1::int from 64 concurrent tasks through PostgresClient,
# against pgbench running the same prepared statement with the same client count, in the same run.
scenario() {
    local seconds=${DURATION%s}
    local script="$STATE_DIR/bench-select.sql"
    printf '\\set n random(1, 1000)\nSELECT :n::int;\n' >"$script"
    local baseline client
    baseline=$(pgbench -n -M prepared -c "$CONNECTIONS" -j "$THREADS" -T "$seconds" -f "$script" "$DATABASE_URL" 2>/dev/null |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -n 1)
    client=$("${AS_SERVICE_USER[@]}" "$BENCH_BIN/switchyard-bench" postgres-select --url "$DATABASE_URL" \
        --connections "${BENCH_PG_POOL:-10}" --tasks "$CONNECTIONS" --seconds "$seconds")
    record postgres-select "$client" pgbench "${baseline:-0}"
}
