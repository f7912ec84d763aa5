"""Summarises a soak run (scripts/bench.d/soak.sh): per route and minute, the p99 latency
from the deltas of the server's Prometheus histograms (linear inside a bucket), requests per
second from wrk, and RSS. With --rss-growth or --worst-drift prints only that figure."""
import re
import sys
from collections import defaultdict

directory, minutes = sys.argv[1], int(sys.argv[2])
BUCKET = re.compile(r'^http_request_duration_seconds_bucket\{(?P<labels>[^}]*)\} (?P<value>\S+)')


def buckets(minute):
    series = defaultdict(dict)
    with open(f"{directory}/metrics-{minute}.txt") as text:
        for line in text:
            match = BUCKET.match(line)
            if not match:
                continue
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
            bound = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
            series[f'{labels["method"]} {labels["route"]}'][bound] = float(match["value"])
    return series


def p99(before, after):
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0) for b in bounds]
    total = counts[-1]
    if total < 100:
        return None
    rank, previous_bound, previous_count = 0.99 * total, 0.0, 0.0
    for bound, count in zip(bounds, counts):
        if count >= rank:
            if bound == float("inf"):
                return previous_bound * 1000
            share = (rank - previous_count) / max(count - previous_count, 1e-9)
            return (previous_bound + share * (bound - previous_bound)) * 1000
        previous_bound, previous_count = bound, count
    return None


snapshots = [buckets(m) for m in range(minutes + 1)]
routes = sorted({route for snapshot in snapshots[1:] for route in snapshot})
table = {route: [p99(snapshots[m - 1].get(route, {}), snapshots[m].get(route, {})) for m in range(1, minutes + 1)]
         for route in routes}
rss = [int(open(f"{directory}/rss-{m}.txt").read().split()[0]) / 1024 for m in range(1, minutes + 1)]

# Warm-up is the first minute. RSS growth compares the last minute with the second. A single
# minute's p99 is noisy (the 60 s cache expiry and refresh land in different minutes), so drift
# compares the median p99 of the last three minutes with that of minutes 2 to 4.
growth = (rss[-1] - rss[min(1, minutes - 1)]) / rss[min(1, minutes - 1)] * 100


def median(values):
    values = sorted(v for v in values if v)
    return values[len(values) // 2] if values else None


drifts = []
for values in table.values():
    early, late = median(values[1:4]), median(values[-3:])
    if early and late:
        drifts.append(late / early)
if "--rss-growth" in sys.argv:
    print(f"{growth:.1f}")
elif "--worst-drift" in sys.argv:
    print(f"{max(drifts, default=0):.2f}")
else:
    print("p99 ms per minute (server histograms)")
    for route, values in table.items():
        print(f"  {route:45s} " + " ".join("    -" if v is None else f"{v:5.1f}" for v in values))
    rates = []
    for m in range(1, minutes + 1):
        text = open(f"{directory}/wrk-{m}.txt").read()
        found = re.search(r"Requests/sec:\s+(\S+)", text)
        rates.append(found.group(1) if found else "?")
    print("requests/s per minute: " + " ".join(rates))
    print("RSS MiB per minute:    " + " ".join(f"{v:.1f}" for v in rss))
    try:
        checkpoints = [open(f"{directory}/checkpoints-{m}.txt").read().split("|") for m in range(1, minutes + 1)]
        print("PostgreSQL checkpoints so far / buffers written by them, per minute: "
              + " ".join(f"{c[0]}/{c[1].strip()}" for c in checkpoints))
    except FileNotFoundError:
        pass
    print(f"RSS growth after warm-up: {growth:.1f}%; worst p99 drift (median of the last 3 minutes / of minutes 2-4): {max(drifts, default=0):.2f}")
