#!/usr/bin/env python3
"""Mixed load over every feature while two chaos-proxies cut, black-hole and resume Redis and
PostgreSQL, phase by phase (`scripts/bench chaos`). Every request carries something of its own
(a path, an area code, a user id, a product id, an order id) that its answer must echo; each
answer is one of: 2xx with the caller's own data, or a 502/503 JSON error envelope. Prints a
JSON summary: wrong answers, unexpected ones, the slowest error, per-phase recovery, RSS.

With --database-url, slow statements run beside the load in every fault phase: transactions
that hold the orders and area-mode tables locked for 0.5-3 s, so the server's statements
outlive their deadlines in flight (calm phases stay calm, so recovery is still measured). At the end, after a calm wait for settlements, every product's stock plus
the quantities of its stored orders must equal the stock it was created with.

    chaos_load.py BASE --redis-control PORT --postgres-control PORT --server-pid PID
                  [--phase-seconds 20] [--phases 15] [--workers 32] [--deadline 5]
                  [--database-url URL]
"""
import argparse
import asyncio
import json
import random
import socket
import subprocess
import time
import urllib.parse

INITIAL_STOCK = 1000

# (redis, postgres) per phase; a calm phase follows every fault, and the run ends calm.
FAULTS = [("cut", "pass"), ("blackhole", "pass"), ("pass", "cut"), ("pass", "blackhole"),
          ("cut", "cut"), ("blackhole", "blackhole"), ("blackhole", "cut")]


def schedule(count):
    phases, fault = [], 0
    for index in range(count):
        if index % 2 == 0:
            phases.append(("pass", "pass"))
        else:
            phases.append(FAULTS[fault % len(FAULTS)])
            fault += 1
    return phases


def steer(port, mode):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(mode.encode() + b"\n")
        reply = connection.recv(64).decode().strip()
    if reply != "ok":
        raise RuntimeError(f"chaos-proxy on {port} answered {reply!r} to {mode}")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Connection:
    """One keep-alive HTTP/1.1 connection; reopened after any failure."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode()
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed before an answer")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        else:
            data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, data

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Load:
    def __init__(self, base, deadline):
        parsed = urllib.parse.urlparse(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.deadline = deadline
        self.products = []  # ids created with 201
        self.orders = []  # (order id, product id) created with 201
        self.log = []  # (start, seconds, outcome, route)
        self.samples = []  # wrong or unexpected answers, a few kept to print
        self.running = True
        self.calm = True

    def pick(self):
        """A request: (route, method, path, body, check of a 2xx body)."""
        nonce = "%016x" % random.getrandbits(64)
        kind = random.randrange(9)
        if kind == 0:
            return ("path-stats hit", "GET", f"/path-stats/api/chaos/{nonce}/", None,
                    lambda b: b["path"] == f"chaos/{nonce}")
        if kind == 1:
            code = random.randint(100, 999)
            return ("area-mode stats", "GET", f"/area-mode/stats/?area_code={code}", None,
                    lambda b: b["area_code"] == code)
        if kind == 2:
            event = {"area_code": random.randint(100, 999), "multiplayer_mode": "Duo",
                     "user_id": nonce, "events_name": "LOGIN"}
            return ("area-mode events", "POST", "/area-mode/events", {"items": [event]}, lambda b: True)
        if kind == 3:
            return ("user-points", "GET", "/user-points/", None, lambda b: isinstance(b["users"], list))
        if kind == 4:
            user = random.randint(1, 200)
            return ("achievement-level user", "GET", f"/achievement-level/users/{user}", None,
                    lambda b: b["user"]["id"] == user)
        if kind == 5 or not self.products:
            product = "chaos-" + nonce
            body = {"id": product, "title": product, "passenger_capacity": 1, "maximum_speed": 1,
                    "in_stock": INITIAL_STOCK}

            def stored(b):
                self.products.append(product)
                return b["id"] == product
            return ("product create", "POST", "/products-orders/products", body, stored)
        product = random.choice(self.products[-500:])
        if kind == 6:
            return ("product get", "GET", f"/products-orders/products/{product}", None,
                    lambda b: b["id"] == product and b["title"] == product)
        if kind == 7 or not self.orders:
            body = {"order_details": [{"product_id": product, "price": "1.50", "quantity": 1}]}

            def created(b):
                self.orders.append((b["id"], product))
                return isinstance(b["id"], int)
            return ("order create", "POST", "/products-orders/orders", body, created)
        order, ordered = random.choice(self.orders[-500:])
        return ("order get", "GET", f"/products-orders/orders/{order}", None,
                lambda b: b["id"] == order and b["order_details"][0]["product_id"] == ordered)

    async def worker(self):
        connection = Connection(self.host, self.port)
        while self.running:
            route, method, path, body, check = self.pick()
            start = time.monotonic()
            try:
                status, data = await asyncio.wait_for(connection.request(method, path, body), 60)
                outcome = self.judge(route, status, data, check)
            except asyncio.TimeoutError:
                outcome = "hang"
                connection.close()
            except (ConnectionError, OSError, ValueError, asyncio.IncompleteReadError):
                outcome = "dropped"
                connection.close()
            elapsed = time.monotonic() - start
            if outcome == "error" and elapsed > self.deadline:
                outcome = "late-error"
            self.log.append((start, elapsed, outcome, route))
            if outcome in ("error", "dropped"):
                await asyncio.sleep(0.05)  # as a client would back off a little

    def judge(self, route, status, data, check):
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        if 200 <= status < 300:
            try:
                if check(parsed):
                    return "ok"
            except (KeyError, TypeError, IndexError):
                pass
            self.keep(route, status, data)
            return "wrong"
        if status in (502, 503) and isinstance(parsed, dict) and {"error", "message"} <= parsed.keys():
            return "error"
        self.keep(route, status, data)
        return "unexpected"

    def keep(self, route, status, data):
        if len(self.samples) < 10:
            self.samples.append(f"{route}: {status} {data[:200]!r}")


def psql(url, sql):
    return subprocess.run(["psql", url, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True,
                          timeout=120).stdout


async def slow_statements(url, load):
    """Holds the tables the features write locked for a while, again and again."""
    loop = asyncio.get_running_loop()
    held = 0
    while load.running:
        if load.calm:
            await asyncio.sleep(0.2)
            continue
        table = random.choice(["orders", "order_requests", "area_mode_sessions", "area_mode_counts"])
        seconds = random.uniform(0.5, 3)
        sql = f"BEGIN; LOCK TABLE {table} IN EXCLUSIVE MODE; SELECT pg_sleep({seconds:.2f}); COMMIT;"
        await loop.run_in_executor(None, psql, url, sql)
        held += 1
        await asyncio.sleep(random.uniform(0, 1))
    return held


async def reconcile(load, url, prefix="chaos-"):
    """Stock plus stored order quantities per product (ids starting with PREFIX), against the
    stock it started with."""
    loop = asyncio.get_running_loop()
    connection = Connection(load.host, load.port)
    mismatches, checked = [], 0
    stored = {}
    rows = await loop.run_in_executor(
        None, psql, url, f"SELECT product_id, sum(quantity) FROM order_details WHERE product_id LIKE '{prefix}%' GROUP BY 1")
    for line in rows.splitlines():
        product, quantity = line.split("|")
        stored[product] = int(quantity)
    for product in load.products:
        status, data = await connection.request("GET", f"/products-orders/products/{product}")
        if status != 200:
            mismatches.append(f"{product}: {status}")
            continue
        checked += 1
        stock = json.loads(data)["in_stock"]
        if stock + stored.get(product, 0) != INITIAL_STOCK:
            mismatches.append(f"{product}: stock {stock} + ordered {stored.get(product, 0)} != {INITIAL_STOCK}")
    confirmed = {order for order, _ in load.orders}
    ours = set(load.products)
    rows = await loop.run_in_executor(
        None, psql, url, f"SELECT DISTINCT order_id, product_id FROM order_details WHERE product_id LIKE '{prefix}%'")
    stored_orders = {int(line.split("|")[0]) for line in rows.splitlines() if line.split("|")[1] in ours}
    stored_after_error = len(stored_orders - confirmed)
    connection.close()
    return {"products_checked": checked, "stock_mismatches": len(mismatches), "mismatch_samples": mismatches[:10],
            "orders_stored_after_an_error": stored_after_error, "orders_confirmed": len(confirmed),
            "confirmed_orders_missing": len(confirmed - stored_orders)}


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--redis-control", type=int, required=True)
    parser.add_argument("--postgres-control", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--phase-seconds", type=float, default=20)
    parser.add_argument("--phases", type=int, default=15)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--deadline", type=float, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--settle-seconds", type=float, default=20)
    args = parser.parse_args()

    load = Load(args.base, args.deadline)
    workers = [asyncio.create_task(load.worker()) for _ in range(args.workers)]
    slow = asyncio.create_task(slow_statements(args.database_url, load)) if args.database_url else None
    phases = []
    loop = asyncio.get_running_loop()
    for redis_mode, postgres_mode in schedule(args.phases):
        started = time.monotonic()
        load.calm = redis_mode == postgres_mode == "pass"
        await loop.run_in_executor(None, steer, args.redis_control, redis_mode)
        await loop.run_in_executor(None, steer, args.postgres_control, postgres_mode)
        await asyncio.sleep(args.phase_seconds)
        phases.append({"redis": redis_mode, "postgres": postgres_mode, "start": started,
                       "end": time.monotonic(), "rss_kib": rss_kib(args.server_pid)})
    load.running = False
    await asyncio.gather(*workers)
    held = await slow if slow else 0

    counts = {}
    for _, _, outcome, _ in load.log:
        counts[outcome] = counts.get(outcome, 0) + 1
    errors = [elapsed for _, elapsed, outcome, _ in load.log if outcome in ("error", "late-error")]
    report = {"requests": len(load.log), "outcomes": counts,
              "requests_per_second": round(len(load.log) / (phases[-1]["end"] - phases[0]["start"]), 1),
              "slowest_error_ms": round(max(errors, default=0) * 1000), "samples": load.samples,
              "phases": []}
    for phase in phases:
        inside = [entry for entry in load.log if phase["start"] <= entry[0] < phase["end"]]
        # A request still on its way when the next fault began may meet it: not this phase's.
        failed = [start for start, elapsed, outcome, _ in inside if outcome != "ok" and start + elapsed < phase["end"]]
        summary = {"redis": phase["redis"], "postgres": phase["postgres"], "requests": len(inside),
                   "failed": len(failed), "rss_mib": round(phase["rss_kib"] / 1024, 1)}
        if phase["redis"] == phase["postgres"] == "pass":
            # Recovered: from the resume to the start of the last request that still failed;
            # the phase's second half must be all successes.
            summary["recovery_ms"] = round((max(failed) - phase["start"]) * 1000) if failed else 0
            summary["recovered"] = not failed or max(failed) < (phase["start"] + phase["end"]) / 2
        report["phases"].append(summary)
    calm = [phase for phase in report["phases"] if "recovered" in phase]
    report["missed_recoveries"] = sum(not phase["recovered"] for phase in calm[1:])
    report["worst_recovery_ms"] = max((phase["recovery_ms"] for phase in calm[1:]), default=0)
    first, last = phases[0]["rss_kib"], phases[-1]["rss_kib"]
    report["rss_growth_percent"] = round((last - first) * 100 / first, 1) if first else 0
    if args.database_url:
        # Unanswered orders are settled in the background once PostgreSQL answers again.
        await asyncio.sleep(args.settle_seconds)
        report["slow_statements"] = held
        report.update(await reconcile(load, args.database_url))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
