# big-batches: GET /health p99 at 4 connections, idle and then while 4 writers send
# 10,000-event batches (about 1 MB each) to /area-mode/events back to back; three rounds.
# Target: the worst loaded p99 at most 2x the idle p99 of its round.
# Each round also measures the machine's floor: /health p99 beside CPU burners at the lowest
# priority there is (SCHED_IDLE) on one core and on every core, i.e. the least that any work
# using that much CPU beside it can cost.
# The p99 of /health at 4 connections beside N SCHED_IDLE CPU burners.
p99_beside_burners() {
    chrt --idle 0 stress-ng --cpu "$1" --timeout "$(( ${DURATION%s} + 2 ))s" >/dev/null 2>&1 &
    local burner=$!
    sleep 1
    wrk_p99_ms 4 "$BASE/health"
    wait "$burner"
}

scenario() {
    local dir="$STATE_DIR/big-batches" round idle loaded one all ratios=() ones=() alls=()
    ensure_packages stress-ng
    mkdir -p "$dir"
    python3 - >"$dir/batch.json" <<'PY'
import json, random
random.seed(7)
items = [{"area_code": random.randint(100, 118), "multiplayer_mode": "Modes%d" % random.randint(1, 10),
          "user_id": "big-%d" % n, "events_name": random.choice(["LOGIN", "LOGOUT"])} for n in range(10000)]
print(json.dumps({"items": items}))
PY
    cat >"$dir/post.lua" <<LUA
local file = io.open("$dir/batch.json")
wrk.body = file:read("*a")
file:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
LUA
    for round in 1 2 3; do
        idle=$(wrk_p99_ms 4 "$BASE/health")
        wrk -t 1 -c 4 -d "$(( ${DURATION%s} + 2 ))s" -s "$dir/post.lua" "$BASE/area-mode/events" >"$dir/writers-$round.txt" &
        local writers=$!
        sleep 1
        loaded=$(wrk_p99_ms 4 "$BASE/health")
        wait "$writers"
        one=$(p99_beside_burners 1)
        all=$(p99_beside_burners "$(nproc)")
        log "round $round: floor, beside SCHED_IDLE burners: $one ms on one core, $all ms on every core"
        ones+=("$(awk -v a="$one" -v b="$idle" 'BEGIN { printf "%.2f", a / b }')")
        alls+=("$(awk -v a="$all" -v b="$idle" 'BEGIN { printf "%.2f", a / b }')")
        log "round $round: /health p99 idle $idle ms, beside 4 writers of 10,000-event batches $loaded ms; writers $(awk '/Requests\/sec:/ { printf "%.0f", $2 * 10000 }' "$dir/writers-$round.txt") events/s"
        ratios+=("$(awk -v a="$loaded" -v b="$idle" 'BEGIN { printf "%.2f", a / b }')")
    done
    record_runs big-batches-health-p99-ratio target-ratio 2 lower "${ratios[@]}"
    record_runs big-batches-floor-one-core-p99-ratio target-ratio 2 lower "${ones[@]}"
    record_runs big-batches-floor-every-core-p99-ratio target-ratio 2 lower "${alls[@]}"
}
