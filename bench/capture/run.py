"""Change capture's cost (docs/capture.md, "Cost"): what capture adds to a write, measured as
the server's CPU time per write and as writes per second, with capture on and off, and the
write-to-client latency. Run with bench/capture/run.sh.

The aim (issue #15) is about write throughput: capture should cost under 15% of it. On a
machine of few cores a Python load client would take as much CPU as the server and the bench
would measure the client, so the writes come from `capture-load` (bench/capture/load: keep-alive
HTTP/1.1 on one thread) and the primary figure is the server's own CPU per write (the demo
process, plus on PostgreSQL the database's processes, from /proc/PID/stat), which does not
depend on who else shares the machine. Writes/s are printed beside it.

- On: the demo as it runs (`sheplang-demo --db ...`): the generated capture triggers, the
  relay (`SqliteLog` / `PostgresLog`) handing every change to the realtime server, which sends
  it to one subscribed client (`fanout-load`, bench/fanout/load: a raw-WebSocket subscriber)
  that counts every event: the bench checks that it received each write, in order.
- Off: the same server on a database with the capture triggers dropped: nothing is captured,
  relayed or sent (the subscriber stays connected and receives nothing).
- Decoding (PostgreSQL with `wal_level = logical`, as scripts/lib/services.sh starts it): the
  demo with `--capture decoding`: no trigger; the server's walsender decodes the write-ahead log
  and the demo's relay records the changes in the change table and sends them (docs/capture.md,
  "Capture by logical decoding"). Its server CPU counts the walsender too.
- Rounds alternate off, on, off, on, ... (`CAPTURE_BENCH_ROUNDS`, default 3 each) and the
  median of each side is reported, so that a burst of other work on the machine does not land
  on one side only.
- SQLite: a database file in a temporary folder (WAL, synchronous=NORMAL, as the demo opens
  it, on and off alike). PostgreSQL: a fresh schema of $DATABASE_URL for each run.
- Latency: from sending a create to its `model_created` reaching a subscribed python-socketio
  client (clients/python), one create at a time, p50 and p99.
- PostgreSQL at the database: one `psql` process commits single-row inserts of the generated
  tables, with and without the generated capture triggers (no relay listening), in a fresh
  schema: the cost of the trigger alone. (Not run for capture by decoding: a lone writer's
  round trips on a mostly idle machine are faster when another process keeps the CPUs awake,
  as a streaming relay does, so that ratio says more about the machine than about capture.)
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

from harness import Demo, decoding_cleanup_sql  # noqa: E402
from shepwire import Client  # noqa: E402

SECONDS = float(os.environ.get("CAPTURE_BENCH_SECONDS", "6"))
ROUNDS = int(os.environ.get("CAPTURE_BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("CAPTURE_BENCH_CONNECTIONS", "4"))
TICK = os.sysconf("SC_CLK_TCK")


def release_bin(name: str) -> str:
    return os.path.join(os.environ.get("SHEPLANG_BIN_DIR", os.path.join(ROOT, "target", "release")), name)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes `pids` (every thread of each), in seconds."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICK


def children_of(parent: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == parent:
                        out.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return out


class Subscriber:
    """One `fanout-load` subscriber of the channel `task`, counting every `model_created`."""

    def __init__(self, url: str):
        self.process = subprocess.Popen([release_bin("fanout-load"), "--url", url, "--connections", "1",
                                         "--channel", "task"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.process.stdout.readline())
        if ready.get("type") != "ready":
            raise RuntimeError(f"fanout-load did not start: {ready}")

    def ask(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def wait_for(self, count: int, timeout: float = 60) -> dict:
        """Waits until `count` events arrived; the report (every event counted)."""
        deadline = time.monotonic() + timeout
        while self.ask("count")["received"] < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.ask("report")

    def close(self) -> None:
        try:
            self.ask("close")
        finally:
            self.process.wait(timeout=10)


def write_load(url: str, tag: str) -> tuple[int, float]:
    """Creates for SECONDS on CONNECTIONS keep-alive connections: (writes, seconds)."""
    out = subprocess.run([release_bin("capture-load"), "--url", url, "--connections", str(CONNECTIONS),
                          "--seconds", str(SECONDS), "--tag", tag],
                         check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    return result["writes"], result["seconds"]


def one_run(url: str, server_pids, capture: bool, tag: str) -> dict:
    """One timed run against a started server: writes/s and server CPU per write."""
    subscriber = Subscriber(url)
    try:
        pids = server_pids()
        cpu_before, load_before = cpu_seconds(pids), os.getloadavg()[0]
        writes, seconds = write_load(url, tag)
        if capture:
            # The relay is asynchronous: its work for these writes counts once they are out.
            report = subscriber.wait_for(writes)
            if report["received"] != writes or report["outOfOrder"] or report["disconnects"]:
                raise RuntimeError(f"the subscriber got {report['received']} of {writes} events, "
                                   f"{report['outOfOrder']} out of order, {report['disconnects']} disconnects")
        cpu = cpu_seconds(server_pids()) - cpu_before
        if not capture and subscriber.ask("count")["received"] != 0:
            raise RuntimeError("capture is off, yet the subscriber received events")
        return {"rate": writes / seconds, "cpu_us": cpu / writes * 1e6, "writes": writes,
                "load": load_before}
    finally:
        subscriber.close()


def latency(url: str, samples: int = 300) -> list[float]:
    """Milliseconds from sending a create to its event at a subscribed client, one at a time."""
    client = Client(url, timeout=30)
    client.subscribe("task")
    out = []
    for n in range(samples):
        seen = len(client.events)
        started = time.monotonic()
        request = urllib.request.Request(url + "/api/tasks", data=json.dumps({"title": f"latency-{n}"}).encode(),
                                         method="POST", headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        client.wait_for(lambda e: len(e) > seen, "the event")
        out.append((time.monotonic() - started) * 1000)
    client.close()
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def report(title: str, runs: dict, lat: dict) -> None:
    """`runs` and `lat` by side: `off` first, then each way of capturing (`on`: the triggers)."""
    sides = list(runs)
    print(f"{title}, {CONNECTIONS} keep-alive writers (capture-load), {SECONDS:g} s a run, "
          f"median of {ROUNDS} runs each (the sides alternate):")
    med = {side: {k: statistics.median(r[k] for r in runs[side]) for k in ("rate", "cpu_us")}
           for side in sides}
    for side in sides:
        loads = ", ".join(f"{r['load']:.1f}" for r in runs[side])
        print(f"  capture {side + ':':9} {med[side]['rate']:7.0f} writes/s   server CPU "
              f"{med[side]['cpu_us']:6.0f} us/write   (load average at the starts: {loads})")
    for side in sides[1:]:
        rate = med[side]["rate"] / med["off"]["rate"]
        cpu = med[side]["cpu_us"] / med["off"]["cpu_us"]
        print(f"  {side}/off: server CPU per write {cpu:.2f}x (capture adds {100 * (cpu - 1):.0f}%), "
              f"writes/s {rate:.2f}x (cost {100 * (1 - rate):.0f}%)")
    for side, samples in lat.items():
        print(f"  write to client ({side}): p50 {statistics.median(samples):.1f} ms, "
              f"p99 {percentile(samples, 0.99):.1f} ms ({len(samples)} creates, one at a time)")


def sqlite_bench() -> None:
    with tempfile.TemporaryDirectory(prefix="sheplang-capture-bench-") as folder:
        runs: dict = {"off": [], "on": []}
        lat: dict = {}
        for n in range(ROUNDS):
            for side in ("off", "on"):
                db = os.path.join(folder, f"{side}-{n}.sqlite3")
                Demo(db).stop()  # creates the schema, capture included
                if side == "off":
                    conn = sqlite3.connect(db)
                    for op in ("insert", "update", "delete"):
                        conn.execute(f'DROP TRIGGER "task_capture_{op}"')
                    conn.commit()
                    conn.close()
                server = Demo(db)
                try:
                    pid = server.process.pid
                    runs[side].append(one_run(server.url, lambda: [pid], side == "on", f"{side}{n}"))
                    if side == "on" and n == ROUNDS - 1:
                        lat[side] = latency(server.url)
                finally:
                    server.stop()
        report("SQLite, demo API", runs, lat)


def psql(url: str, sql: str) -> str:
    done = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                           f"SET client_min_messages = warning; {sql}"], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"psql failed on `{sql[:200]}`: {done.stderr.strip()}")
    return done.stdout.strip()


def postmaster(url: str) -> int:
    """The PostgreSQL server's main process (the parent of every backend): the parent of the
    checkpointer, which lives as long as the server (psql's own backend may be gone before its
    /proc entry is read)."""
    backend = int(psql(url, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'")
                  .splitlines()[-1])
    with open(f"/proc/{backend}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def postgres_api_bench(url: str) -> None:
    try:
        main = postmaster(url)
    except (OSError, ValueError):
        main = 0  # a server on another machine or user: the demo's CPU only
    sides = ["off", "on"]
    if psql(url, "SHOW wal_level") == "logical":
        sides.append("decoding")
    else:
        print("PostgreSQL: the server runs without `wal_level = logical`: no run with --capture decoding")
    runs: dict = {side: [] for side in sides}
    lat: dict = {}
    for n in range(ROUNDS):
        for side in sides:
            schema = f"capture_api_bench_{os.getpid()}_{side}_{n}"
            psql(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
            join = "&" if "?" in url else "?"
            db = f"{url}{join}options=" + urllib.parse.quote(f"-csearch_path={schema}")
            server = Demo(db, args=("--capture", "decoding") if side == "decoding" else ())
            try:
                if side == "off":
                    psql(db, 'DROP TRIGGER "task_capture" ON "task"')
                pid = server.process.pid
                pids = (lambda: [pid, main, *children_of(main)]) if main else (lambda: [pid])
                runs[side].append(one_run(server.url, pids, side != "off", f"{side}{n}"))
                if side != "off" and n == ROUNDS - 1:
                    lat[side] = latency(server.url)
            finally:
                server.stop()
                if side == "decoding":
                    drop_decoding(url, schema)
                psql(url, f"DROP SCHEMA {schema} CASCADE")
    report("PostgreSQL, demo API" + ("" if main else " (server CPU: the demo only)"), runs, lat)


def drop_decoding(url: str, schema: str) -> None:
    """The replication slot and the publication of `schema`'s capture by decoding."""
    psql(url, decoding_cleanup_sql(schema))


def postgres_bench(url: str) -> None:
    out_dir = os.path.join(ROOT, "target", "capture-bench-sql")
    subprocess.run([os.path.join(ROOT, "target", "debug", "sheplang"), "gen",
                    os.path.join(ROOT, "examples", "demo", "specs", "tasks.shep"), "--out", out_dir],
                   check=True, stdout=subprocess.DEVNULL)
    tables = open(os.path.join(out_dir, "tasks.postgres.sql")).read()
    capture = open(os.path.join(out_dir, "tasks.capture.postgres.sql")).read()
    inserts = 4000
    script = "".join(f"INSERT INTO \"Task\" (title, \"createdAt\") VALUES ('t{n}', now());\n"
                     for n in range(inserts))
    rates: dict = {"off": [], "on": []}
    for n in range(ROUNDS):
        for name, extra in (("off", ""), ("on", capture)):
            schema = f"capture_bench_{os.getpid()}_{name}_{n}"
            setup = (f"SET client_min_messages = warning; DROP SCHEMA IF EXISTS {schema} CASCADE; "
                     f"CREATE SCHEMA {schema}; SET search_path TO {schema};\n{tables}\n{extra}")
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", setup], check=True)
            started = time.monotonic()
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
                           input=f"SET search_path TO {schema};\n{script}", text=True, check=True,
                           stdout=subprocess.DEVNULL)
            rates[name].append(inserts / (time.monotonic() - started))
            subprocess.run(["psql", "-X", "-q", "-d", url, "-c",
                            f"SET client_min_messages = warning; DROP SCHEMA {schema} CASCADE"],
                           check=True, stdout=subprocess.DEVNULL)
    off, on = statistics.median(rates["off"]), statistics.median(rates["on"])
    ratio = on / off
    print(f"PostgreSQL, psql, {inserts} single-row insert transactions (median of {ROUNDS}):")
    print(f"  capture off: {off:8.0f} writes/s")
    print(f"  capture on:  {on:8.0f} writes/s   (on/off = {ratio:.2f}, cost {100 * (1 - ratio):.0f}%)")


if __name__ == "__main__":
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at the start")
    only = os.environ.get("CAPTURE_BENCH_ONLY", "")
    if only in ("", "sqlite"):
        sqlite_bench()
    if only in ("", "postgres", "postgres-api", "postgres-psql"):
        if os.environ.get("DATABASE_URL"):
            if only != "postgres-psql":
                postgres_api_bench(os.environ["DATABASE_URL"])
            if only != "postgres-api":
                postgres_bench(os.environ["DATABASE_URL"])
        else:
            print("PostgreSQL: $DATABASE_URL is not set; run bench/capture/run.sh, which starts one")
