# The Redis-backed hot routes over plain TCP and over TLS: a second server on the same data,
# whose Redis connections go to the same redis-server's TLS port (certificates made here with
# openssl), each route's throughput as a ratio to /health and its p99 at 64 connections.
scenario() {
    local dir="$STATE_DIR/bench-tls" tls_port=$((SWITCHYARD_REDIS_PORT + 100)) port=$((PORT + 7))
    mkdir -p "$dir"
    local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    openssl req -x509 "${key[@]}" -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 -subj "/CN=bench CA" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    openssl req "${key[@]}" -keyout "$dir/server.key" -out "$dir/server.csr" -subj /CN=localhost 2>/dev/null
    echo "subjectAltName=DNS:localhost" >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile "$dir/server.ext" -out "$dir/server.pem" 2>/dev/null
    chmod 644 "$dir"/*
    # The same Redis serves TLS on a second port: both servers read and write the same keys.
    redis-cli -p "$SWITCHYARD_REDIS_PORT" CONFIG SET tls-cert-file "$dir/server.pem" tls-key-file "$dir/server.key" \
        tls-ca-cert-file "$dir/ca.pem" tls-auth-clients no >/dev/null
    redis-cli -p "$SWITCHYARD_REDIS_PORT" CONFIG SET tls-port "$tls_port" >/dev/null

    FEATURES="${FEATURES:-all}" LOG_LEVEL=warning USERS_API_URL="http://127.0.0.1:$((PORT + 5))/" \
        REDIS_URL="rediss://localhost:$tls_port/0" REDIS_TLS_CA_FILE="$dir/ca.pem" \
        "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-tls-server.log" 2>&1 &
    local tls_server=$!
    wait_for_port "$port" "TLS server" 300

    curl -s -X POST "$BASE/area-mode/generate_data/?count=20000&seed=1" >/dev/null
    curl -s -H 'Content-Type: application/json' -d '{"id":"bench-read","title":"Read","passenger_capacity":1,"maximum_speed":1,"in_stock":5}' \
        "$BASE/products-orders/products" >/dev/null
    local route name transport base
    for transport in plain tls; do
        base=$BASE
        [ "$transport" = plain ] || base="http://127.0.0.1:$port"
        for route in "path-stats-hit /path-stats/api/bench/x/" "area-mode-stats /area-mode/stats/?area_code=101" \
            "user-points-query /user-points/" "products-orders-read /products-orders/products/bench-read"; do
            read -r name route <<<"$route"
            record_against_health "redis-$transport-$name" "$base$route"
            record "redis-$transport-$name-p99-ms" "$(wrk_p99_ms "$CONNECTIONS" "$base$route")" health-p99-ms "$(wrk_p99_ms "$CONNECTIONS" "$BASE/health")"
        done
    done
    kill "$tls_server" 2>/dev/null || true
    wait "$tls_server" 2>/dev/null || true
    redis-cli -p "$SWITCHYARD_REDIS_PORT" CONFIG SET tls-port 0 >/dev/null
}
