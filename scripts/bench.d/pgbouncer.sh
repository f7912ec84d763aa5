# opt-in (run only when named: `scripts/bench pgbouncer`)
# pgbouncer: the PostgreSQL client's pipelined statements (SELECT $1::int from 64 concurrent
# tasks, as postgres-select) straight to PostgreSQL, then through Debian's pgbouncer
# (scripts/pgbouncer on 6442) in session and in transaction pooling, each against pgbench
# with the same statement and client count along the same path. Unnamed statements behind
# the pooler (postgres.prepared-statements=auto), so pgbench runs its extended protocol there.
scenario() {
    local seconds=${DURATION%s} script="$STATE_DIR/bench-select.sql" mode url baseline client
    printf '\\set n random(1, 1000)\nSELECT :n::int;\n' >"$script"
    export SWITCHYARD_PGBOUNCER_PORT=6442 SWITCHYARD_PGBOUNCER_SERVER=$DATABASE_URL
    for mode in direct session transaction; do
        url=$DATABASE_URL
        local protocol=prepared
        if [ "$mode" != direct ]; then
            scripts/pgbouncer up "$mode"
            url=$(eval "$(scripts/pgbouncer env)" && echo "$DATABASE_URL")
            protocol=extended
        fi
        baseline=$(pgbench -n -M "$protocol" -c "$CONNECTIONS" -j "$THREADS" -T "$seconds" -f "$script" "$url" 2>/dev/null |
            sed -n 's/^tps = \([0-9.]*\).*/\1/p' | tail -n 1)
        client=$("${AS_SERVICE_USER[@]}" "$BENCH_BIN/switchyard-bench" postgres-select --url "$url" \
            --connections "${BENCH_PG_POOL:-10}" --tasks "$CONNECTIONS" --seconds "$seconds")
        record "postgres-select-$mode" "$client" "pgbench-$protocol-$mode" "${baseline:-0}"
    done
    scripts/pgbouncer down
}
