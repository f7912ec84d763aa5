# products-orders: the exercise's closed loop (create product, get it, order it, get the
# order; 16 connections, one thread each) for six consecutive 10 s buckets while data grows:
# loops/s (target 600) and request latency per bucket (last within 1.2x of the first). Then
# GET /products?limit=50 and GET /orders/{id} p99 at 16 connections with 1,000 and then
# 1,000,000 products in the catalogue (target: within 1.2x).
po_wrk() {
    # Prints "requests/s mean-latency-ms p99-ms non-2xx".
    wrk "$@" --latency | awk '
        function ms(v) { if (v ~ /us$/) { sub(/us/, "", v); return v / 1000 } if (v ~ /ms$/) { sub(/ms/, "", v); return v } sub(/s/, "", v); return v * 1000 }
        $1 == "Latency" && !mean { mean = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx/ { bad = $5 }
        /Requests\/sec:/ { rps = $2 }
        END { printf "%s %.2f %.2f %d\n", rps, mean, p99, bad }'
}

# seed_products PREFIX COUNT [FIRST]: products seed<FIRST>.. seed<FIRST+COUNT-1>, made by a
# script inside Redis, 100,000 per call.
seed_products() {
    local prefix=$1 count=$2 first=${3:-0} from
    local script="for n = tonumber(ARGV[2]), tonumber(ARGV[3]) do
        local id = string.format('seed%07d', n)
        redis.call('HSET', '{' .. ARGV[1] .. '}:product:' .. id, 'id', id, 'title', 'Seeded', 'passenger_capacity', '1',
            'maximum_speed', '1', 'in_stock', '1000000')
        redis.call('ZADD', '{' .. ARGV[1] .. '}:products', 0, id)
    end"
    for ((from = first; from < first + count; from += 100000)); do
        redis-cli -u "$REDIS_URL" EVAL "$script" 0 "$prefix" "$from" "$(( (from + 100000 < first + count ? from + 100000 : first + count) - 1 ))" >/dev/null
    done
}

scenario() {
    local bucket first_mean last_mean result
    for bucket in 1 2 3 4 5 6; do
        result=$(po_wrk -t 16 -c 16 -d 10s -s scripts/bench.d/products-orders-loop.lua "$BASE/")
        set -- $result
        log "products-orders loop bucket $bucket: $(awk -v r="$1" 'BEGIN { printf "%.0f", r / 4 }') loops/s, request latency mean $2 ms, p99 $3 ms, non-2xx $4"
        [ "$bucket" = 1 ] && first_mean=$2
        last_mean=$2
        [ "$4" = 0 ] || log "products-orders loop: $4 answers were not 2xx"
    done
    record products-orders-loops-per-s-last-bucket "$(awk -v r="$1" 'BEGIN { printf "%.0f", r / 4 }')" target 600
    record products-orders-latency-last-vs-first-ms "$last_mean" first-bucket-ms "$first_mean"

    local size port prefix id previous_list previous_order list order
    for size in 1000 1000000; do
        port=$((PORT + 4)) prefix="bench-po-$size-$$"
        seed_products "$prefix" "$size"
        FEATURES=products-orders FEATURES_PRODUCTS_ORDERS_REDIS_PREFIX="$prefix" LOG_LEVEL=warning \
            "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-products-orders.log" 2>&1 &
        local server=$!
        wait_for_port "$port" "products-orders server" 300
        id=$(curl -s -H 'Content-Type: application/json' -d '{"order_details":[{"product_id":"seed0000001","price":"5","quantity":1},{"product_id":"seed0000002","price":"7.5","quantity":2}]}' \
            "http://127.0.0.1:$port/products-orders/orders" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
        list=$(po_wrk -t 2 -c 16 -d "$DURATION" "http://127.0.0.1:$port/products-orders/products?limit=50&cursor=seed0000500" | cut -d' ' -f3)
        order=$(po_wrk -t 2 -c 16 -d "$DURATION" "http://127.0.0.1:$port/products-orders/orders/$id" | cut -d' ' -f3)
        log "products-orders with $size products: list p99 $list ms, order p99 $order ms"
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        redis-cli -u "$REDIS_URL" --scan --pattern "{$prefix}:*" | xargs -r -n 1000 redis-cli -u "$REDIS_URL" DEL >/dev/null
        if [ "$size" = 1000000 ]; then
            record products-orders-list-p99-ms-1M-vs-1k "$list" p99-ms-at-1k "$previous_list"
            record products-orders-order-p99-ms-1M-vs-1k "$order" p99-ms-at-1k "$previous_order"
        fi
        previous_list=$list previous_order=$order
    done
}
