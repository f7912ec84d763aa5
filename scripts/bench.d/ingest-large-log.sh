# opt-in (about 10 minutes, 6 GB of disk): area-mode ingest of 1,000-event batches of new users
# (4 writers, 5 runs) with an empty event log, then with 50,000,000 events logged.
# Target: the worst and the median with the large log within 10% of the empty log's.
source scripts/bench.d/ingest.sh

scenario() {
    local dir="$STATE_DIR/ingest" empty loaded
    mkdir -p "$dir"
    pg_admin -c "TRUNCATE area_mode_events"
    empty=$(for run in 1 2 3 4 5; do ingest_run empty-log scripts/bench.d/ingest-new-users.lua 1000 "$dir" "$run"; done)
    log "logging 50,000,000 events"
    pg_admin -c "INSERT INTO area_mode_events (area_code, multiplayer_mode, user_id, event, outcome)
        SELECT 100 + n % 19, 'Modes' || n % 10, 'logged-' || n, 'LOGIN', 'applied' FROM generate_series(1, 50000000) AS n" \
        -c "CHECKPOINT"
    log "event log: $(pg_admin -c "SELECT (SELECT count(*) FROM area_mode_events) || ' rows, ' ||
        pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'area_mode_events'::regclass")"
    loaded=$(for run in 1 2 3 4 5; do ingest_run large-log scripts/bench.d/ingest-new-users.lua 1000 "$dir" "$run"; done)
    # shellcheck disable=SC2086 # one rate a line
    record "ingest-50M-log-vs-empty-worst" "$(sort -n <<<"$loaded" | head -1)" empty-log-worst "$(sort -n <<<"$empty" | head -1)"
    record "ingest-50M-log-vs-empty-median" "$(median <<<"$loaded")" empty-log-median "$(median <<<"$empty")"
    pg_admin -c "TRUNCATE area_mode_events"
}
