# ceiling: `GET /health` of a bare SwiftNIO server and of a bare Hummingbird application (both
# `switchyard-bench` subcommands, release builds) and of Switchyard, then Switchyard's hot
# routes: a path-stats hit, the cached area-mode stats, `GET /user-points/` and
# `GET /products-orders/products/{id}`. Three rounds, each target once per round in turn, with
# wrk -t2 -c16 for BENCH_DURATION each: req/s as a ratio to the bare NIO server's in the same
# round, p99, and the server's CPU per 1,000 requests (utime + stime from /proc/PID/stat),
# worst and median of 3; the host's steal (/proc/stat) over each measurement is logged beside
# it. Then each server once more under callgrind: instructions per request, every thread of
# the server counted, over a wrk run of BENCH_DURATION after a warm-up (a count, not a time:
# it does not drift with the machine's load). Targets: Switchyard's /health >= 0.7 of bare
# NIO's, each hot route >= 0.45; /health CPU per request <= 1.1x bare Hummingbird's.
ceiling_cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
ceiling_steal_total() { awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t }' /proc/stat; }

# ceiling_measure PID URL: "req/s p99-ms cpu-ms-per-1000 steal-%" of one wrk run against URL.
ceiling_measure() {
    local pid=$1 url=$2 ticks_before ticks_after steal_before total_before steal_after total_after output
    ticks_before=$(ceiling_cpu_ticks "$pid")
    read -r steal_before total_before < <(ceiling_steal_total)
    output=$(wrk -t 2 -c 16 -d "$DURATION" --latency "$url")
    ticks_after=$(ceiling_cpu_ticks "$pid")
    read -r steal_after total_after < <(ceiling_steal_total)
    awk -v out="$output" -v ticks=$((ticks_after - ticks_before)) -v hz="$(getconf CLK_TCK)" \
        -v steal=$((steal_after - steal_before)) -v total=$((total_after - total_before)) 'BEGIN {
            n = split(out, lines, "\n")
            for (i = 1; i <= n; i++) {
                split(lines[i], f, " ")
                if (f[1] == "99%") { v = f[2]; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } p99 = v }
                if (lines[i] ~ /requests in/) requests = f[1]
                if (f[1] == "Requests/sec:") rps = f[2]
            }
            printf "%s %.2f %.1f %.1f\n", rps, p99, ticks * 1000 / hz / (requests / 1000), 100 * steal / total
        }'
}

# Valgrind that runs these binaries: Debian 12's 3.19 cannot read the DWARF 5 that Swift 6.3
# writes, so its tools come from Debian 13's package, unpacked under STATE_DIR; Debian 12's
# package gives `callgrind_control` and the `vgdb` it drives (Debian 13's needs a newer glibc),
# run as the server's user: vgdb reaches a server blocked in a system call through ptrace.
# Prints the folder it is unpacked in, the preload beside it (for `ceiling_instructions`).
ceiling_valgrind() {
    local dir="$STATE_DIR/valgrind-debian13" index file
    ensure_packages valgrind gcc xz-utils
    if [ ! -x "$dir/usr/bin/valgrind.bin" ]; then
        index=http://deb.debian.org/debian/dists/trixie/main/binary-amd64/Packages.xz
        file=$(curl -fsSL "$index" | xz -d | awk '/^Package: / { p = $2 } p == "valgrind" && /^Filename: / && !f { print $2; f = 1 }')
        curl -fsSL -o "$dir.deb" "http://deb.debian.org/debian/$file"
        rm -rf "$dir" && dpkg-deb -x "$dir.deb" "$dir"
    fi
    gcc -shared -fPIC -O2 -o "$dir/sigsuspend-copy.so" scripts/bench.d/sigsuspend-copy.c -ldl
    ensure_reachable_by_service_user "$dir/usr/bin/valgrind.bin"
    ensure_reachable_by_service_user "$dir/sigsuspend-copy.so"
    echo "$dir"
}

# ceiling_instructions VALGRIND-DIR OUT-DIR PORT "NAME URL"... -- COMMAND...: starts COMMAND
# (a server listening on PORT) under callgrind, warms each URL up, then prints "NAME
# instructions-per-request" for each: the counters zeroed, one wrk run, the counters dumped.
ceiling_instructions() {
    local valgrind=$1 out=$2 port=$3 targets=() target name url requests dump instructions
    shift 3
    while [ "$1" != -- ]; do targets+=("$1"); shift; done
    shift
    VALGRIND_LIB="$valgrind/usr/libexec/valgrind" LD_PRELOAD="$valgrind/sigsuspend-copy.so" \
        "${AS_SERVICE_USER[@]}" "$valgrind/usr/bin/valgrind.bin" --tool=callgrind \
        --callgrind-out-file="$out/callgrind.%p" "$@" >"$out/server.log" 2>&1 &
    local pid=$!
    wait_for_port "$port" "server under callgrind" 1200
    for target in "${targets[@]}"; do
        read -r name url <<<"$target"
        wrk -t 2 -c 16 -d 3s "$url" >/dev/null
    done
    for target in "${targets[@]}"; do
        read -r name url <<<"$target"
        "${AS_SERVICE_USER[@]}" callgrind_control -z "$pid" >/dev/null 2>&1
        requests=$(wrk -t 2 -c 16 -d "$DURATION" "$url" | awk '/requests in/ { print $1 }')
        "${AS_SERVICE_USER[@]}" callgrind_control -d "$name" "$pid" >/dev/null 2>&1
        dump=$(grep -l "^desc: Trigger: dump $name\$" "$out"/callgrind.* | head -1)
        if [ -z "$dump" ] || [ "${requests:-0}" -eq 0 ]; then
            log "ceiling under callgrind: no count for $name (see $out/server.log)"
            continue
        fi
        instructions=$(awk '/^summary:/ { print $2 }' "$dump")
        echo "$name $((instructions / requests))"
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
}

scenario() {
    local nio_port=$((PORT + 50)) hummingbird_port=$((PORT + 51))
    "${AS_SERVICE_USER[@]}" "$BENCH_BIN/switchyard-bench" bare-nio --port "$nio_port" >"$STATE_DIR/bench-bare-nio.log" 2>&1 &
    local nio_pid=$!
    "${AS_SERVICE_USER[@]}" "$BENCH_BIN/switchyard-bench" bare-hummingbird --port "$hummingbird_port" >"$STATE_DIR/bench-bare-hummingbird.log" 2>&1 &
    local hummingbird_pid=$!
    wait_for_port "$nio_port" "bare NIO server"
    wait_for_port "$hummingbird_port" "bare Hummingbird server"
    curl -s -X POST "$BASE/area-mode/generate_data/?count=20000&seed=1" >/dev/null
    curl -s -X POST "$BASE/user-points/refresh" >/dev/null
    curl -s -X POST "$BASE/products-orders/products" -H 'Content-Type: application/json' \
        -d '{"id":"ceiling","title":"t","passenger_capacity":1,"maximum_speed":1,"in_stock":1}' >/dev/null
    local targets=(
        "bare-nio-health $nio_pid http://127.0.0.1:$nio_port/health"
        "bare-hummingbird-health $hummingbird_pid http://127.0.0.1:$hummingbird_port/health"
        "health $server_pid $BASE/health"
        "path-stats-hit $server_pid $BASE/path-stats/api/bench/x/"
        "area-mode-stats $server_pid $BASE/area-mode/stats/?area_code=101"
        "user-points $server_pid $BASE/user-points/"
        "product $server_pid $BASE/products-orders/products/ceiling"
    )
    local target name pid url round rps p99 cpu steal
    declare -A ratios p99s cpus
    for target in "${targets[@]}"; do
        read -r name pid url <<<"$target"
        wrk -t 2 -c 16 -d 3s "$url" >/dev/null # warm-up, not measured
    done
    for round in 1 2 3; do
        local nio_rps=""
        for target in "${targets[@]}"; do
            read -r name pid url <<<"$target"
            read -r rps p99 cpu steal < <(ceiling_measure "$pid" "$url")
            nio_rps=${nio_rps:-$rps}
            log "ceiling round $round: $name $rps req/s, p99 $p99 ms, $cpu ms CPU per 1,000, steal $steal%"
            ratios[$name]+="$(awk -v a="$rps" -v b="$nio_rps" 'BEGIN { printf "%.2f", a / b }') "
            p99s[$name]+="$p99 "
            cpus[$name]+="$cpu "
        done
    done
    kill "$nio_pid" "$hummingbird_pid" 2>/dev/null
    wait "$nio_pid" "$hummingbird_pid" 2>/dev/null || true
    local target_ratio
    for target in "${targets[@]}"; do
        read -r name _ _ <<<"$target"
        case "$name" in
            bare-*) target_ratio=1 ;;
            health) target_ratio=0.7 ;;
            *) target_ratio=0.45 ;;
        esac
        # shellcheck disable=SC2086
        record_runs "$name-vs-bare-nio" target-ratio "$target_ratio" higher ${ratios[$name]}
        # shellcheck disable=SC2086
        record_runs "$name-p99-ms" p99-ms 0 lower ${p99s[$name]}
        # shellcheck disable=SC2086
        record_runs "$name-cpu-ms-per-1000" cpu-ms 0 lower ${cpus[$name]}
    done
    ceiling_count_instructions "$nio_port" "$hummingbird_port" "${targets[@]}"
}

# ceiling_count_instructions NIO-PORT HUMMINGBIRD-PORT "NAME PID URL"...: each server again,
# alone under callgrind (Switchyard as a second server on its own port, same services), and
# its targets' instructions per request.
ceiling_count_instructions() {
    local nio_port=$1 hummingbird_port=$2 switchyard_port=$((PORT + 52)) valgrind out target name url
    shift 2
    local switchyard_targets=()
    for target in "$@"; do
        read -r name _ url <<<"$target"
        [[ $name == bare-* ]] || switchyard_targets+=("$name ${url/:$PORT\//:$switchyard_port/}")
    done
    valgrind=$(ceiling_valgrind)
    # The profiles stay for callgrind_annotate until the next run.
    out="$STATE_DIR/ceiling-callgrind"
    rm -rf "$out" && mkdir -p "$out" && chmod 777 "$out"
    local count
    while read -r name count; do
        log "ceiling under callgrind: $name $count instructions per request"
        record "$name-instructions-per-request" "$count" instructions 0
    done < <(
        ceiling_instructions "$valgrind" "$out" "$nio_port" "bare-nio-health http://127.0.0.1:$nio_port/health" \
            -- "$BENCH_BIN/switchyard-bench" bare-nio --port "$nio_port"
        ceiling_instructions "$valgrind" "$out" "$hummingbird_port" \
            "bare-hummingbird-health http://127.0.0.1:$hummingbird_port/health" \
            -- "$BENCH_BIN/switchyard-bench" bare-hummingbird --port "$hummingbird_port"
        FEATURES=all LOG_LEVEL=warning USERS_API_URL="http://127.0.0.1:$((PORT + 5))/" \
            ceiling_instructions "$valgrind" "$out" "$switchyard_port" "${switchyard_targets[@]}" \
            -- "$binary" serve --port "$switchyard_port"
    )
}
