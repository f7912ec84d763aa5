# area-mode: cached stats reads against the /health ceiling; event ingestion in 1,000-event
# batches from 4 concurrent writers (target 50,000 events/s).
scenario() {
    curl -s -X POST "$BASE/area-mode/generate_data/?count=20000&seed=1" >/dev/null
    local rate
    record_against_health area-mode-stats "$BASE/area-mode/stats/?area_code=101"
    rate=$(wrk -t 2 -c 4 -d "$DURATION" -s scripts/bench.d/area-mode-events.lua "$BASE/" |
        awk '/Requests\/sec:/ { printf "%.2f", $2 * 1000 }')
    record area-mode-events-per-s "$rate" target 50000
}
