# Redis adapter throughput: ZINCRBY from 64 concurrent tasks through RedisClient, against
# redis-benchmark's ZINCRBY with the same 64 clients and no pipelining, in the same run.
scenario() {
    local port=${REDIS_URL##*:}
    port=${port%%/*}
    local seconds=${DURATION%s}
    local baseline client
    baseline=$(redis-benchmark -p "$port" -c "$CONNECTIONS" -n $((seconds * 60000)) -q \
        zincrby bench:baseline 1 member | tr '\r' '\n' |
        sed -n 's/.*: \([0-9.]*\) requests per second.*/\1/p' | tail -n 1)
    baseline=${baseline:-0}
    client=$("${AS_SERVICE_USER[@]}" "$BENCH_BIN/switchyard-bench" redis-zincrby --url "$REDIS_URL" --tasks "$CONNECTIONS" --seconds "$seconds")
    record redis-zincrby "$client" redis-benchmark "$baseline"
}
