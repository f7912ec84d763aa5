# profiles: the hot routes (path-stats hit, area-mode stats, user-points query) of the main
# server (api=switchyard) against a second server on the same Redis and PostgreSQL with every
# feature under api=original, measured alternately, twice each. Target: the original profile
# within 10% of the default (ratio >= 0.90).
scenario() {
    local port=$((PORT + 30)) route name switchyard_total original_total rate
    local profiles=()
    for feature in PATH_STATS AREA_MODE USER_POINTS ACHIEVEMENT_LEVEL PRODUCTS_ORDERS; do profiles+=("FEATURES_${feature}_API=original"); done
    env "${profiles[@]}" LOG_LEVEL=warning USERS_API_URL="http://127.0.0.1:$((PORT + 5))/" \
        "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-original.log" 2>&1 &
    local original_pid=$!
    wait_for_port "$port" "original-profile server" 300
    curl -s -X POST "$BASE/area-mode/generate_data/?count=20000&seed=1" >/dev/null
    for route in /path-stats/api/bench/profiles/ "/area-mode/stats/?area_code=101" /user-points/; do
        name=$(echo "$route" | cut -d/ -f2)
        switchyard_total=0 original_total=0
        wrk -t "$THREADS" -c "$CONNECTIONS" -d 3s "$BASE$route" >/dev/null
        wrk -t "$THREADS" -c "$CONNECTIONS" -d 3s "http://127.0.0.1:$port$route" >/dev/null
        for _ in 1 2; do
            rate=$(wrk_rps "$BASE$route")
            switchyard_total=$(awk -v a="$switchyard_total" -v b="$rate" 'BEGIN { print a + b }')
            rate=$(wrk_rps "http://127.0.0.1:$port$route")
            original_total=$(awk -v a="$original_total" -v b="$rate" 'BEGIN { print a + b }')
        done
        record "profiles-$name-original" "$(awk -v a="$original_total" 'BEGIN { printf "%.2f", a / 2 }')" \
            "$name-switchyard" "$(awk -v a="$switchyard_total" 'BEGIN { printf "%.2f", a / 2 }')"
    done
    kill "$original_pid" 2>/dev/null
    wait "$original_pid" 2>/dev/null || true
}
