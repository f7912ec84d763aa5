# ingest: area-mode POST /events/ from 4 writers, 5 consecutive runs of BENCH_DURATION for
# each batch shape: 1,000 LOGINs of new users, 1,000 events over 10,000 repeating users, 10,000
# events over 100,000 users. Target: the worst run of each shape >= 50,000 events/s. Beside each
# run, PostgreSQL's own view of it: what busy backends waited on (pg_stat_activity sampled
# every 100 ms; "CPU" is running, "idle in transaction" is waiting for the server), checkpoints and backend fsyncs (pg_stat_bgwriter), WAL written (pg_stat_wal)
# and autovacuum runs; all in the log.
pg_admin() { scripts/services psql -d "${DATABASE_URL##*/}" -tAq "$@"; }

pg_counters() {
    pg_admin -F ' ' -c "SELECT b.checkpoints_timed, b.checkpoints_req, b.buffers_backend_fsync, w.wal_bytes, w.wal_sync,
        (SELECT coalesce(sum(autovacuum_count + autoanalyze_count), 0) FROM pg_stat_user_tables WHERE relname LIKE 'area_mode%')
        FROM pg_stat_bgwriter b, pg_stat_wal w"
}

ingest_run() {
    local shape=$1 script=$2 batch=$3 dir=$4 run=$5 sampler before after rate
    before=$(pg_counters)
    # One psql session repeating the query (\watch), so sampling costs little beside the load.
    printf '%s\n' "SELECT CASE state WHEN 'active' THEN coalesce(wait_event_type || ':' || wait_event, 'CPU') ELSE state END
        FROM pg_stat_activity WHERE state <> 'idle' AND backend_type = 'client backend' AND pid <> pg_backend_pid() \\watch 0.1" |
        pg_admin >"$dir/$shape-$run.waits" 2>/dev/null &
    sampler=$!
    wrk -t 2 -c 4 -d "$DURATION" --timeout 30s -s "$script" "$BASE/" >"$dir/$shape-$run.txt"
    kill "$sampler" 2>/dev/null
    wait "$sampler" 2>/dev/null
    after=$(pg_counters)
    rate=$(awk -v b="$batch" '/Requests\/sec:/ { printf "%.0f", $2 * b }' "$dir/$shape-$run.txt")
    grep -q 'Non-2xx' "$dir/$shape-$run.txt" && rate=0
    log "$shape run $run: $rate events/s; checkpoints, backend fsyncs, WAL MB, WAL syncs, autovacuums:" \
        "$(paste -d' ' <(tr ' ' '\n' <<<"$before") <(tr ' ' '\n' <<<"$after") |
            awk '{ d = $2 - $1; if (NR == 4) d = d / 1048576; printf "%s%.0f", (NR > 1 ? " " : ""), d }')"
    log "  waits (samples): $(grep -v '^$' "$dir/$shape-$run.waits" | sort | uniq -c | sort -rn | head -5 | awk '{ n = $1; $1 = ""; printf "%s %s; ", substr($0, 2), n }')"
    echo "$rate"
}

# From empty area-mode tables, so every invocation measures the same thing: the bench's
# database would otherwise keep every session of every earlier invocation (about 2.5 million
# more each time). The growth scenario measures ingest at 1M and 10M sessions. The cache's
# versions move on, so no body cached before the truncation is served after it.
empty_area_mode() {
    pg_admin -c "TRUNCATE area_mode_sessions, area_mode_counts, area_mode_events"
    redis-cli -u "$REDIS_URL" --scan --pattern '{area-mode:*}:version' | xargs -r -n 1 redis-cli -u "$REDIS_URL" INCR >/dev/null
}

scenario() {
    local dir="$STATE_DIR/ingest" shape script batch users bodies rates
    mkdir -p "$dir"
    empty_area_mode
    # name:script:batch size:users:pre-built bodies (the last two for area-mode-events.lua)
    for shape in new-users:ingest-new-users.lua:1000:0:0 repeating-users:area-mode-events.lua:1000:10000:64 \
        big-batches:area-mode-events.lua:10000:100000:8; do
        IFS=: read -r shape script batch users bodies <<<"$shape"
        rates=$(for run in 1 2 3 4 5; do
            BATCH=$batch USERS=$users BODIES=$bodies ingest_run "$shape" "scripts/bench.d/$script" "$batch" "$dir" "$run"
        done)
        # shellcheck disable=SC2086 # one rate a line
        record_runs "ingest-$shape-events-per-s" target 50000 higher $rates
    done
}
