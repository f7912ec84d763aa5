# hot-routes: the cached `GET /area-mode/stats/`, a path-stats hit and `GET /user-points/`
# each against `GET /health` in the same round, three rounds: target >= 0.85 in the worst.
scenario() {
    curl -s -X POST "$BASE/area-mode/generate_data/?count=20000&seed=1" >/dev/null
    curl -s -X POST "$BASE/user-points/refresh" >/dev/null
    health_ratio_rounds hot-area-mode-stats 0.85 "$BASE/area-mode/stats/?area_code=101"
    health_ratio_rounds hot-path-stats-hit 0.85 "$BASE/path-stats/api/bench/x/"
    health_ratio_rounds hot-user-points 0.85 "$BASE/user-points/"
}
