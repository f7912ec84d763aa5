# HTTP client throughput: GET /health of the running server through the libcurl client with 64
# transfers in flight, against wrk -c 64 on the same endpoint (the ceiling) in the same run.
scenario() {
    local rate health
    health=$(wrk_rps "$BASE/health")
    rate=$("${AS_SERVICE_USER[@]}" "$BENCH_BIN/switchyard-bench" http-get --url "$BASE/health" --tasks "$CONNECTIONS" --seconds "${DURATION%s}")
    record http-client-get "$rate" health "$health"
}
