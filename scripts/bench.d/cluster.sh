# opt-in (run only when named: `scripts/bench cluster`)
# cluster: /path-stats/api/... and cached /area-mode/stats/ through nginx with 1, 2 and 3
# replicas (scripts/cluster) on these same two cores; each against /health through nginx in
# the same cluster. A report, no target: more processes on two cores share the same CPU.
scenario() {
    local replicas cluster_port=$((PORT + 10))
    curl -s -X POST "$BASE/area-mode/generate_data/?count=20000&seed=1" >/dev/null
    for replicas in 1 2 3; do
        CLUSTER_PORT=$cluster_port LOG_LEVEL=warning scripts/cluster up "$replicas" >/dev/null 2>&1
        local nginx="http://127.0.0.1:$cluster_port"
        local health
        health=$(wrk_rps "$nginx/health")
        record "cluster-$replicas-path-stats-api" "$(wrk_rps "$nginx/path-stats/api/bench/cluster/")" nginx-health "$health"
        record "cluster-$replicas-area-mode-stats" "$(wrk_rps "$nginx/area-mode/stats/?area_code=101")" nginx-health "$health"
        CLUSTER_PORT=$cluster_port scripts/cluster down
    done
}
