# opt-in (about 15 minutes, 4 GB of Redis memory): the growth table for products-orders:
# the hot reads' p99 (16 connections) and throughput (64), and the server's RSS, with 1M
# products and 1M orders (2 lines each), then 10M and 10M. Products live in Redis under a
# prefix of their own, orders in a database of their own. Target: read p99 at 10x within
# 1.2x of today's.
source scripts/bench.d/products-orders.sh

# Orders FROM..TO, two lines each over the first PRODUCTS products, straight into PostgreSQL.
grow_orders() {
    local from=$1 to=$2 products=$3
    scripts/services psql -d "$db" -tAq \
        -c "INSERT INTO orders (id, created_at) SELECT n, now() - interval '30 days' + n * interval '100 us' FROM generate_series($from, $to) AS n" \
        -c "INSERT INTO order_details (order_id, product_id, price, quantity)
            SELECT n, 'seed' || lpad(((n * 7 + line) % $products)::text, 7, '0'), 5 + line, 1 + n % 3
            FROM generate_series($from, $to) AS n, generate_series(1, 2) AS line" \
        -c "SELECT setval('orders_id_seq', $to)" -c "VACUUM ANALYZE orders, order_details" -c "CHECKPOINT" >/dev/null
}

scenario() {
    local db=switchyard_bench_growth_po port=$((PORT + 7)) prefix="bench-po-growth-$$"
    local size routes=(product list order orders) name url result
    local -A previous=()
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
    DATABASE_URL="${DATABASE_URL%/*}/$db" FEATURES=products-orders FEATURES_PRODUCTS_ORDERS_REDIS_PREFIX="$prefix" \
        LOG_LEVEL=warning "${AS_SERVICE_USER[@]}" "$binary" serve --port "$port" >"$STATE_DIR/bench-growth-po.log" 2>&1 &
    local server=$!
    wait_for_port "$port" "products-orders server" 300
    local po="http://127.0.0.1:$port/products-orders"
    for size in 1000000 10000000; do
        if [ "$size" = 1000000 ]; then
            seed_products "$prefix" 1000000 0
            grow_orders 1 1000000 1000000
        else
            seed_products "$prefix" 9000000 1000000
            grow_orders 1000001 10000000 10000000
        fi
        log "products-orders: $(redis-cli -u "$REDIS_URL" zcard "{$prefix}:products") products, $(scripts/services psql -d "$db" -tAqc 'SELECT count(*) FROM orders') orders"
        # Reads spread over the data: a product and an order from the middle, a page of
        # products after a cursor there, the newest page of orders.
        local middle=$((size / 2))
        for name in "${routes[@]}"; do
            case $name in
                product) url="$po/products/seed$(printf %07d $((middle + 17)))" ;;
                list) url="$po/products?limit=50&cursor=seed$(printf %07d "$middle")" ;;
                order) url="$po/orders/$((middle + 3))" ;;
                orders) url="$po/orders?limit=50" ;;
            esac
            curl -sf "$url" >/dev/null || { log "growth products-orders: $url did not answer 2xx"; kill "$server"; return 1; }
            result="$(wrk_rps "$url") $(wrk_p99_ms 16 "$url")"
            log "growth products-orders $size: $name $result (req/s p99-ms)"
            if [ "$size" = 10000000 ]; then
                record "growth-products-orders-$name-p99-ms-10M-vs-1M" "${result#* }" p99-ms-at-1M "${previous[$name]#* }"
                record "growth-products-orders-$name-req-s-10M-vs-1M" "${result% *}" req-s-at-1M "${previous[$name]% *}"
            fi
            previous[$name]=$result
        done
        log "growth products-orders $size: server RSS $(ps -o rss= -p "$server" | awk '{ printf "%.0f", $1 / 1024 }') MiB, Redis $(redis-cli -u "$REDIS_URL" info memory | awk -F: '/^used_memory_rss:/ { printf "%.0f", $2 / 1048576 }') MiB"
    done
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    redis-cli -u "$REDIS_URL" --scan --pattern "{$prefix}:*" | xargs -r -n 1000 redis-cli -u "$REDIS_URL" DEL >/dev/null
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
}
