# Bulk load: 1,000,000 rows through PostgresClient.copyIn; the baseline is the target rate
# (1,000,000 rows in 3 s), so a ratio of 1.00 or more meets it.
scenario() {
    local rate
    rate=$("${AS_SERVICE_USER[@]}" "$BENCH_BIN/switchyard-bench" postgres-copy --url "$DATABASE_URL" --rows 1000000)
    record postgres-copy-1M "$rate" target-1M-in-3s 333333.33
}
