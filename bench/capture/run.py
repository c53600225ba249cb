"""Change capture's cost (docs/capture.md): writes per second with capture on and off, and
write-to-client latency, printed with their ratios. Run with bench/capture/run.sh.

- SQLite, through the demo's API (`sheplang-demo`, a database file): 4 writers POST creates for
  a fixed time. On: the database as the demo makes it (the capture triggers, the realtime log
  relaying them to a subscribed client). Off: the same file with the three triggers dropped
  (nothing is relayed). Latency: from sending a create to its `model_created` reaching a
  subscribed python-socketio client (the wire client of clients/python), p50 and p99.
- PostgreSQL, through the demo's API (`sheplang-demo --db postgres://...`, a fresh schema of
  $DATABASE_URL each): the same 4 writers. On: as the demo makes it (the capture trigger, its
  `PostgresLog` relaying to a subscribed client). Off: the same, with the trigger dropped once
  the server runs. Latency as on SQLite.
- PostgreSQL, at the database: one `psql` process commits single-row inserts of the generated
  tables, with and without the generated capture triggers, in a fresh schema.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))

from harness import Demo  # noqa: E402
from shepwire import Client  # noqa: E402

SECONDS = float(os.environ.get("CAPTURE_BENCH_SECONDS", "8"))
WRITERS = 4


def post(url: str, title: str) -> dict:
    request = urllib.request.Request(url + "/api/tasks", data=json.dumps({"title": title}).encode(),
                                     method="POST", headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def throughput(url: str, tag: str) -> float:
    """Creates per second by WRITERS threads in SECONDS."""
    counts = [0] * WRITERS
    stop = time.monotonic() + SECONDS

    def writer(i: int) -> None:
        n = 0
        while time.monotonic() < stop:
            post(url, f"{tag}-{i}-{n}")
            n += 1
        counts[i] = n

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - started)


def latency(url: str, samples: int = 300) -> list[float]:
    """Milliseconds from sending a create to its event at a subscribed client, one at a time."""
    client = Client(url, timeout=30)
    client.subscribe("task")
    out = []
    for n in range(samples):
        seen = len(client.events)
        started = time.monotonic()
        post(url, f"latency-{n}")
        client.wait_for(lambda e: len(e) > seen, "the event")
        out.append((time.monotonic() - started) * 1000)
    client.close()
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def sqlite_bench() -> None:
    with tempfile.TemporaryDirectory(prefix="sheplang-capture-bench-") as folder:
        on_db = os.path.join(folder, "on.sqlite3")
        off_db = os.path.join(folder, "off.sqlite3")
        for db in (on_db, off_db):
            Demo(db).stop()  # creates the schema, capture included
        conn = sqlite3.connect(off_db)
        for op in ("insert", "update", "delete"):
            conn.execute(f'DROP TRIGGER "task_capture_{op}"')
        conn.commit()
        conn.close()
        results = {}
        for name, db in (("off", off_db), ("on", on_db)):
            server = Demo(db)
            try:
                subscriber = Client(server.url, timeout=30)
                subscriber.subscribe("task")
                results[name] = throughput(server.url, name)
                subscriber.close()
                if name == "on":
                    results["latency"] = latency(server.url)
            finally:
                server.stop()
        ratio = results["on"] / results["off"]
        lat = results["latency"]
        print(f"SQLite, demo API, {WRITERS} writers, {SECONDS:.0f} s each:")
        print(f"  capture off: {results['off']:8.0f} writes/s")
        print(f"  capture on:  {results['on']:8.0f} writes/s   (on/off = {ratio:.2f}, cost {100 * (1 - ratio):.1f}%)")
        print(f"  write to client: p50 {statistics.median(lat):.1f} ms, p99 {percentile(lat, 0.99):.1f} ms "
              f"({len(lat)} creates, one at a time)")


def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c",
                    f"SET client_min_messages = warning; {sql}"], check=True, stdout=subprocess.DEVNULL)


def postgres_api_bench(url: str) -> None:
    results = {}
    for name in ("off", "on"):
        schema = f"capture_api_bench_{os.getpid()}_{name}"
        psql(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        join = "&" if "?" in url else "?"
        db = f"{url}{join}options=" + urllib.parse.quote(f"-csearch_path={schema}")
        server = Demo(db)
        try:
            if name == "off":
                psql(db, 'DROP TRIGGER "task_capture" ON "task"')
            subscriber = Client(server.url, timeout=30)
            subscriber.subscribe("task")
            results[name] = throughput(server.url, name)
            subscriber.close()
            if name == "on":
                results["latency"] = latency(server.url)
        finally:
            server.stop()
            psql(url, f"DROP SCHEMA {schema} CASCADE")
    ratio = results["on"] / results["off"]
    lat = results["latency"]
    print(f"PostgreSQL, demo API, {WRITERS} writers, {SECONDS:.0f} s each:")
    print(f"  capture off: {results['off']:8.0f} writes/s")
    print(f"  capture on:  {results['on']:8.0f} writes/s   (on/off = {ratio:.2f}, cost {100 * (1 - ratio):.1f}%)")
    print(f"  write to client: p50 {statistics.median(lat):.1f} ms, p99 {percentile(lat, 0.99):.1f} ms "
          f"({len(lat)} creates, one at a time)")


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
    rates = {}
    for name, extra in (("off", ""), ("on", capture), ("off", ""), ("on", capture)):
        schema = f"capture_bench_{os.getpid()}_{name}"
        setup = (f"SET client_min_messages = warning; DROP SCHEMA IF EXISTS {schema} CASCADE; "
                 f"CREATE SCHEMA {schema}; SET search_path TO {schema};\n{tables}\n{extra}")
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", setup], check=True)
        started = time.monotonic()
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
                       input=f"SET search_path TO {schema};\n{script}", text=True, check=True,
                       stdout=subprocess.DEVNULL)
        rate = inserts / (time.monotonic() - started)
        rates[name] = max(rates.get(name, 0), rate)
        subprocess.run(["psql", "-X", "-q", "-d", url, "-c",
                        f"SET client_min_messages = warning; DROP SCHEMA {schema} CASCADE"],
                       check=True, stdout=subprocess.DEVNULL)
    ratio = rates["on"] / rates["off"]
    print(f"PostgreSQL, psql, {inserts} single-row insert transactions (best of two):")
    print(f"  capture off: {rates['off']:8.0f} writes/s")
    print(f"  capture on:  {rates['on']:8.0f} writes/s   (on/off = {ratio:.2f}, cost {100 * (1 - ratio):.1f}%)")


if __name__ == "__main__":
    sqlite_bench()
    if os.environ.get("DATABASE_URL"):
        postgres_api_bench(os.environ["DATABASE_URL"])
        postgres_bench(os.environ["DATABASE_URL"])
    else:
        print("PostgreSQL: $DATABASE_URL is not set; run bench/capture/run.sh, which starts one")
