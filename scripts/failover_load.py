#!/usr/bin/env python3
"""Mixed load over every feature while the Redis Cluster of `scripts/redis-cluster` (on
SWITCHYARD_REDIS_CLUSTER_PORT) loses masters (`scripts/bench redis-failover`): plain SIGKILLs,
SIGKILLs after the master's replica was paused (so it lags), a planned CLUSTER FAILOVER, and
a reshard of slots, one after another, each once the cluster is healthy again.

With --postgres, the PostgreSQL primary of `scripts/pg-failover` is lost instead
(`scripts/bench pg-failover`): a crash-restart, then SIGKILLs, each followed by the promotion
of the synchronous standby and, once orders succeed again, the rejoin of the killed node.
32 more clients only write orders. Each event reports the time from the restart or promotion
to the first confirmed order, and to the current user-points generation read whole from
whichever node is primary.

Each worker keeps its own path-stats paths (an answer below the worker's last count is an
acknowledged hit lost), posts LOGINs in its own area and mode and reads the stats right after
(a count below the confirmed LOGINs is a stale read), orders from shared products (stock plus
stored quantities must equal the initial stock at the end), and reads user-points (no two
queries may get the same predecessor). Every answer must be a 2xx or a 502/503 envelope.
Prints a JSON report, one entry per event with the failures and the outage it caused.

    failover_load.py BASE --database-url URL [--workers 32] [--plain-kills 7] [--lagged-kills 3]
                     [--reshard-slots 1000]
    failover_load.py BASE --database-url URL --postgres [--workers 8] [--order-writers 32]
                     [--primary-kills 5]
"""
import argparse
import asyncio
import binascii
import json
import os
import random
import subprocess
import time

from chaos_load import INITIAL_STOCK, Connection, psql, reconcile

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
SLOTS = [0, 6000, 12000]  # one slot in each master's range as the cluster is created


def script(name, *args):
    return subprocess.run([os.path.join(SCRIPTS, name), *args], capture_output=True, text=True,
                          check=True, timeout=300).stdout.strip()


def cluster(*args):
    return subprocess.run([os.path.join(SCRIPTS, "redis-cluster"), *args], capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=30).stdout


def nodes(port):
    """(id, port, flags, master id, slots) per node, as the node on PORT sees them."""
    rows = []
    for line in cli(port, "cluster", "nodes").splitlines():
        fields = line.split()
        rows.append((fields[0], int(fields[1].split(":")[1].split("@")[0]), fields[2], fields[3], fields[8:]))
    return rows


def serves(slots, slot):
    for item in slots:
        if item.startswith("["):
            continue
        low, _, high = item.partition("-")
        if int(low) <= slot <= int(high or low):
            return True
    return False


def master_of(port, slot):
    for node_id, node_port, flags, _, slots in nodes(port):
        if "master" in flags and "fail" not in flags and serves(slots, slot):
            return node_id, node_port
    raise RuntimeError(f"no master serves slot {slot}")


def replica_of(port, master_id):
    for _, node_port, flags, of, _ in nodes(port):
        if "slave" in flags and of == master_id and "fail" not in flags:
            return node_port
    raise RuntimeError(f"master {master_id} has no replica")


def filler_key(port, master_id):
    """A key in one of the master's slots (CRC16 as the cluster hashes keys)."""
    slots = next(slots for node_id, _, _, _, slots in nodes(port) if node_id == master_id)
    return next(key for key in (f"failover-filler:{i}" for i in range(100_000))
                if serves(slots, binascii.crc_hqx(key.encode(), 0) % 16384))


def fill(port, key, size=48 << 20):
    """A value larger than the replication link's socket buffers on both ends (several MiB
    each on loopback, which a killed master's kernel still delivers): with the replica stopped,
    the writes after it wait in the master's own output buffer, lost with it."""
    subprocess.run(["redis-cli", "-p", str(port), "-x", "SET", key], input=b"x" * size, capture_output=True,
                   check=True, timeout=60)


def lag_bytes(master_port):
    """How far the master's first replica is behind it, in bytes of the replication stream."""
    info = dict(line.split(":", 1) for line in cli(master_port, "info", "replication").splitlines() if ":" in line)
    replica = dict(item.split("=") for item in info.get("slave0", "offset=0").strip().split(","))
    return int(info.get("master_repl_offset", "0").strip()) - int(replica.get("offset", "0"))


class Load:
    def __init__(self, base, workers):
        host_port = base.split("//")[1].rstrip("/")
        self.host, self.port = host_port.split(":")[0], int(host_port.split(":")[1])
        self.run = "%08x" % random.getrandbits(32)
        self.workers = workers
        self.products = []
        self.orders = []
        self.log = []  # (start, seconds, outcome, route)
        self.samples = []
        self.running = True
        self.hit_regressions = 0
        self.lost_hits = 0
        self.stale_reads = 0
        self.predecessors = []

    async def call(self, connection, route, method, path, body=None):
        """(status, parsed body or None); logs the outcome."""
        start = time.monotonic()
        try:
            status, data = await asyncio.wait_for(connection.request(method, path, body), 10)
        except asyncio.TimeoutError:
            connection.close()
            self.log.append((start, time.monotonic() - start, "hang", route))
            return None, None
        except (ConnectionError, OSError, ValueError, asyncio.IncompleteReadError):
            connection.close()
            self.log.append((start, time.monotonic() - start, "dropped", route))
            return None, None
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        if 200 <= status < 300:
            outcome = "ok"
        elif status in (502, 503) and isinstance(parsed, dict) and {"error", "message"} <= parsed.keys():
            outcome = "error"
        elif status == 409 and route == "order create":
            outcome = "ok"  # out of stock: a true answer
        else:
            outcome = "unexpected"
            if len(self.samples) < 10:
                self.samples.append(f"{route}: {status} {data[:200]!r}")
        self.log.append((start, time.monotonic() - start, outcome, route))
        return (status if outcome == "ok" else None), parsed

    async def worker(self, index):
        connection = Connection(self.host, self.port)
        counts = {}  # path -> the last count this worker was answered
        area, mode, logins, confirmed = 100 + index, f"fo{self.run}w{index}", 0, 0
        while self.running:
            kind = random.randrange(7)
            if kind == 0:
                path = f"failover/{self.run}/{index}/{random.randrange(4)}"
                status, body = await self.call(connection, "path-stats hit", "GET", f"/path-stats/api/{path}/")
                if status:
                    last = counts.get(path, 0)
                    if body["count"] <= last:
                        self.hit_regressions += 1
                        self.lost_hits += last + 1 - body["count"]
                    counts[path] = body["count"]
            elif kind == 1:
                event = {"area_code": area, "multiplayer_mode": mode, "user_id": f"{mode}-{logins}",
                         "events_name": "LOGIN"}
                status, _ = await self.call(connection, "area-mode events", "POST", "/area-mode/events",
                                            {"items": [event]})
                logins += 1
                if status:
                    # Read after a confirmed write: it must count every LOGIN confirmed so far.
                    confirmed += 1
                    status, body = await self.call(connection, "area-mode stats", "GET",
                                                   f"/area-mode/stats/?area_code={area}")
                    if status:
                        seen = next((m["count"] for m in body["modes"] if m["multiplayer_mode"] == mode), 0)
                        if seen < confirmed:
                            self.stale_reads += 1
            elif kind == 2:
                status, body = await self.call(connection, "user-points", "GET", "/user-points/")
                if status:
                    self.predecessors.append(body["timestamp"])
            elif kind == 3:
                await self.order(connection)
            elif kind == 4:
                await self.call(connection, "product get", "GET", f"/products-orders/products/{random.choice(self.products)}")
            elif kind == 5:
                await self.call(connection, "achievement-level user", "GET",
                                f"/achievement-level/users/{random.randint(1, 200)}")
            else:
                await self.call(connection, "area-mode stats", "GET", f"/area-mode/stats/?area_code={area}")

    async def order(self, connection):
        product = random.choice(self.products)
        body = {"order_details": [{"product_id": product, "price": "1.50", "quantity": 1}]}
        status, answer = await self.call(connection, "order create", "POST", "/products-orders/orders", body)
        if status == 201:
            self.orders.append((answer["id"], product))

    async def order_writer(self):
        connection = Connection(self.host, self.port)
        while self.running:
            await self.order(connection)

    def first_ok(self, route, since):
        """Seconds from SINCE to the first answer of ROUTE that was a success, among the
        requests sent after it (None while there is none)."""
        ends = [start + elapsed for start, elapsed, outcome, name in self.log
                if name == route and outcome == "ok" and start >= since]
        return min(ends) - since if ends else None

    async def setup(self, count=20):
        connection = Connection(self.host, self.port)
        for index in range(count):
            product = f"fo-{self.run}-{index}"
            body = {"id": product, "title": product, "passenger_capacity": 1, "maximum_speed": 1,
                    "in_stock": INITIAL_STOCK}
            status, _ = await connection.request("POST", "/products-orders/products", body)
            if status != 201:
                raise RuntimeError(f"creating {product}: {status}")
            self.products.append(product)
        connection.close()


async def healthy(base_port):
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, cluster, "up")


async def event(load, kind, base_port, slot, reshard_slots):
    """Runs one event; returns its record (the time it struck, and what was measured before)."""
    loop = asyncio.get_running_loop()
    run = lambda *args: loop.run_in_executor(None, *args)  # noqa: E731
    master_id, master_port = await run(master_of, base_port, slot)
    record = {"event": kind, "slot": slot, "master": master_port}
    if kind == "reshard":
        target_id = next(node_id for node_id, _, flags, _, slots in await run(nodes, base_port)
                         if "master" in flags and "fail" not in flags and slots and node_id != master_id)
        record["start"] = time.monotonic()
        await run(lambda: subprocess.run(
            ["redis-cli", "--cluster", "reshard", f"127.0.0.1:{master_port}", "--cluster-from", master_id,
             "--cluster-to", target_id, "--cluster-slots", str(reshard_slots), "--cluster-yes"],
            capture_output=True, check=True, timeout=600))
    elif kind == "planned":
        replica = await run(replica_of, base_port, master_id)
        record["start"] = time.monotonic()
        await run(cli, replica, "cluster", "failover")
    else:
        replica = await run(replica_of, base_port, master_id)
        replica_pid = int(await run(cluster, "pid", str(replica)))
        if kind == "lagged-kill":
            os.kill(replica_pid, 19)  # SIGSTOP: the replica falls behind
            await run(fill, master_port, await run(filler_key, master_port, master_id))
            await asyncio.sleep(1.5)
        record["lag_bytes"] = await run(lag_bytes, master_port)
        record["start"] = time.monotonic()
        os.kill(int(await run(cluster, "pid", str(master_port))), 9)
        if kind == "lagged-kill":
            os.kill(replica_pid, 18)  # SIGCONT: it notices the master gone and takes over
        # Until the replica has taken the slots over; then the old master is started again
        # and joins as its replica.
        while True:
            await asyncio.sleep(0.2)
            try:
                if (await run(master_of, replica, slot))[1] == replica:
                    break
            except (RuntimeError, IndexError):
                pass
        record["promoted_ms"] = round((time.monotonic() - record["start"]) * 1000)
    await healthy(base_port)
    record["healthy_ms"] = round((time.monotonic() - record["start"]) * 1000)
    await asyncio.sleep(3)  # calm between events
    return record


async def pg_event(load, kind, database_url):
    """One loss of the PostgreSQL primary: SIGKILL, then a restart of the same node
    ("crash-restart") or, 0.5 s later, the promotion of the standby ("kill"), whose killed
    node then rejoins as its standby. Returns the event's record."""
    loop = asyncio.get_running_loop()
    run = lambda *args: loop.run_in_executor(None, *args)  # noqa: E731
    record = {"event": kind, "start": time.monotonic()}
    await run(script, "pg-failover", "kill")
    if kind == "crash-restart":
        await run(script, "pg-failover", "restart")
    else:
        await asyncio.sleep(0.5)
        await run(script, "pg-failover", "promote")
    back = time.monotonic()
    record["down_ms"] = round((back - record["start"]) * 1000)
    # The current generation, whole, from whichever node now takes writes.
    whole = "SELECT count(*) = (SELECT users FROM user_points_state) FROM user_points_current"
    while (await run(psql, database_url, whole)).strip() != "t" and time.monotonic() - back < 60:
        await asyncio.sleep(0.05)
    record["user_points_back_ms"] = round((time.monotonic() - back) * 1000)
    while load.first_ok("order create", back) is None and time.monotonic() - back < 60:
        await asyncio.sleep(0.05)
    first = load.first_ok("order create", back)
    record["first_order_ms"] = round(first * 1000) if first is not None else None
    if kind == "kill":
        await run(script, "pg-failover", "rejoin")
    await asyncio.sleep(3)  # calm between events
    return record


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--plain-kills", type=int, default=7)
    parser.add_argument("--lagged-kills", type=int, default=3)
    parser.add_argument("--reshard-slots", type=int, default=1000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--order-writers", type=int, default=32)
    parser.add_argument("--primary-kills", type=int, default=5)
    args = parser.parse_args()
    base_port = int(os.environ.get("SWITCHYARD_REDIS_CLUSTER_PORT", "7100"))

    load = Load(args.base, args.workers)
    # Enough stock that the order writers never run out.
    await load.setup(200 if args.postgres else 20)
    workers = [asyncio.create_task(load.worker(index)) for index in range(args.workers)]
    if args.postgres:
        workers += [asyncio.create_task(load.order_writer()) for _ in range(args.order_writers)]
    await asyncio.sleep(3)
    records = []
    if args.postgres:
        for kind in ["crash-restart"] + ["kill"] * args.primary_kills:
            records.append(await pg_event(load, kind, args.database_url))
    else:
        plan = ["kill"] * args.plain_kills + ["lagged-kill"] * args.lagged_kills + ["planned", "reshard"]
        for number, kind in enumerate(plan):
            records.append(await event(load, kind, base_port, SLOTS[number % len(SLOTS)], args.reshard_slots))
    load.running = False
    await asyncio.gather(*workers)

    counts = {}
    for _, _, outcome, _ in load.log:
        counts[outcome] = counts.get(outcome, 0) + 1
    report = {"requests": len(load.log), "outcomes": counts, "samples": load.samples,
              "hit_regressions": load.hit_regressions, "lost_hits": load.lost_hits,
              "stale_reads": load.stale_reads, "events": []}
    starts = [record["start"] for record in records] + [time.monotonic()]
    for record, following in zip(records, starts[1:]):
        inside = [entry for entry in load.log if record["start"] <= entry[0] < following]
        failed = [(start, elapsed) for start, elapsed, outcome, _ in inside if outcome != "ok"]
        # The outage: from the event to the answer of the last request that failed.
        record["failed"] = len(failed)
        record["requests"] = len(inside)
        record["outage_ms"] = round((max(s + e for s, e in failed) - record["start"]) * 1000) if failed else 0
        record["unexpected"] = sum(outcome not in ("ok", "error") for _, _, outcome, _ in inside)
        by_route = {}
        for start, elapsed, outcome, route in inside:
            if outcome != "ok":
                count, last, slowest = by_route.get(route, (0, 0, 0))
                by_route[route] = (count + 1, max(last, round((start + elapsed - record["start"]) * 1000)),
                                   max(slowest, round(elapsed * 1000)))
        record["failed_by_route"] = {route: {"failed": count, "last_ms": last, "slowest_ms": slowest}
                                     for route, (count, last, slowest) in by_route.items()}
        del record["start"]
        report["events"].append(record)
    stamps = [stamp for stamp in load.predecessors if stamp is not None]
    report["user_points_queries"] = len(load.predecessors)
    report["user_points_repeated_predecessors"] = len(stamps) - len(set(stamps))
    report.update(await reconcile(load, args.database_url, prefix=f"fo-{load.run}-"))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
