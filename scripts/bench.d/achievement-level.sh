# achievement-level: GET /users against the users-API stub with 1,000 users (about 30 games
# each) and 20 ms added latency: cold-cache time (target 2.0 s), warm-cache time (target
# 50 ms) and the upstream requests per second the client reached. One server of its own per
# cap on upstream calls in flight in AL_CAPS ("128 512": the shipped default, then more), with
# the HTTP client's own cap (256 by default) raised to match.
stub_requests() {
    curl -s "http://127.0.0.1:$1/_stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'
}

scenario() {
    local stub_port=$((PORT + 2)) port=$((PORT + 3))
    "${AS_SERVICE_USER[@]}" "$binary" users-api-stub --port "$stub_port" --users 1000 --seed 1 --latency-ms 20 >"$STATE_DIR/bench-stub.log" 2>&1 &
    local stub=$!
    wait_for_port "$stub_port" users-api-stub
    local cap
    for cap in ${AL_CAPS:-128 512}; do
        local prefix="bench-achievement-level-$$-$cap" base="http://127.0.0.1:$port/achievement-level"
        FEATURES=achievement-level USERS_API_URL="http://127.0.0.1:$stub_port/" LOG_LEVEL=warning \
            FEATURES_ACHIEVEMENT_LEVEL_REDIS_PREFIX="$prefix" FEATURES_ACHIEVEMENT_LEVEL_MAX_CONCURRENCY="$cap" \
            HTTP_CLIENT_MAX_CONCURRENT="$((cap > 256 ? cap : 256))" \
            "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-achievement-level.log" 2>&1 &
        local server=$!
        wait_for_port "$port" "achievement-level server" 300
        local colds=() requests=0 seconds=0 answer before
        for _ in 1 2 3; do
            redis-cli -u "$REDIS_URL" --scan --pattern "*$prefix:*" | xargs -r redis-cli -u "$REDIS_URL" DEL >/dev/null
            before=$(stub_requests "$stub_port")
            answer=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$base/users")
            [ "${answer%% *}" = 200 ] || log "cold GET /users answered ${answer%% *}"
            requests=$((requests + $(stub_requests "$stub_port") - before))
            colds+=("${answer#* }")
            seconds=$(awk -v a="$seconds" -v b="${answer#* }" 'BEGIN { print a + b }')
        done
        log "achievement-level cap $cap: $((requests / 3)) upstream requests per cold GET /users"
        record_runs "achievement-level-cap$cap-cold-ms" target-ms 2000 lower \
            $(printf '%s\n' "${colds[@]}" | awk '{ printf "%.0f\n", $1 * 1000 }')
        record "achievement-level-cap$cap-upstream-requests-per-s" "$(awk -v r="$requests" -v s="$seconds" 'BEGIN { printf "%.0f", r / s }')" none 0
        record "achievement-level-cap$cap-warm-ms" "$(for _ in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "$base/users"; done |
            median | awk '{ printf "%.1f", $1 * 1000 }')" target-ms 50
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    done
    kill "$stub" 2>/dev/null || true
    wait "$stub" 2>/dev/null || true
}
