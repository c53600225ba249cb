"""What change capture from PostgreSQL's logical decoding would cost the database, under the demo
API's load, beside the generated trigger (docs/capture.md, "What logical decoding would cost,
measured"). Run with bench/capture/logical.sh (a PostgreSQL with wal_level=logical).

Each run, as bench/capture/run.py does it: a fresh schema, the demo (`sheplang-demo --db ...`),
one `fanout-load` subscriber, `capture-load` writers; server CPU per write is the demo plus every
PostgreSQL process (walsender and polling backend included), from /proc. Variants, alternating in
each round (LOGICAL_BENCH_VARIANTS, default all):
- off:  the trigger `task_capture` dropped, no slot.
- on:   the generated trigger and the relay, as the demo runs (the subscriber must get every write).
- td:   trigger dropped; a logical slot streamed during the load by `pg_recvlogical` with
        `test_decoding` into a file.
- pgo:  the same with `pgoutput` (protocol 1, a publication FOR ALL TABLES).
- poll: trigger dropped; one backend polls the `pgoutput` slot every 100 ms with
        `pg_logical_slot_get_binary_changes` (a `pgbench` script), as a relay over a plain
        connection would.
A streamed or polled run ends once the slot has caught up with the last write's WAL, so that
its work counts. Printed per run and as medians: writes/s, server CPU per write, the walsender's
(or the poller's) share of it, `pg_recvlogical`'s own CPU (not in the server's), WAL bytes a write.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as R  # noqa: E402  (bench/capture/run.py: the demo, the writer, the subscriber, /proc)
from harness import Demo  # noqa: E402  (clients/python, put on the path by run.py)

VARIANTS = os.environ.get("LOGICAL_BENCH_VARIANTS", "off,on,td,pgo,poll").split(",")
PUBLICATION = "capture_logical_bench"


def pg_bin(name: str) -> str:
    """A PostgreSQL program: the newest server's own (Debian's layout), else from the PATH."""
    base = "/usr/lib/postgresql"
    versions = sorted((d for d in os.listdir(base) if d.isdigit()), key=int) if os.path.isdir(base) else []
    return os.path.join(base, versions[-1], "bin", name) if versions else (shutil.which(name) or name)


def lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class Bench:
    def __init__(self, url: str, folder: str):
        self.url, self.folder = url, folder
        self.main = R.postmaster(url)
        self.slot = ""

    def sql(self, text: str) -> str:
        return R.psql(self.url, text)

    def backends(self, kind: str) -> list[int]:
        out = []
        for pid in R.children_of(self.main):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read().startswith(f"postgres: {kind}".encode()):
                        out.append(pid)
            except OSError:
                pass
        return out

    def new_slot(self, plugin: str) -> None:
        self.slot = f"capture_logical_bench_{os.getpid()}"
        self.sql(f"SELECT pg_create_logical_replication_slot('{self.slot}', '{plugin}')")

    def drop_slot(self) -> None:
        if self.slot:
            for _ in range(50):  # the consumer's backend may take a moment to let it go
                if self.sql(f"SELECT active FROM pg_replication_slots WHERE slot_name = '{self.slot}'") != "t":
                    break
                time.sleep(0.1)
            self.sql(f"SELECT pg_drop_replication_slot('{self.slot}')")
            self.slot = ""

    def stream(self, plugin: str) -> tuple[subprocess.Popen, list[int]]:
        """`pg_recvlogical` streaming the slot into a file; (the process, its walsender)."""
        self.new_slot(plugin)
        args = [pg_bin("pg_recvlogical"), "-d", self.url, "--slot", self.slot, "--start", "-s", "1",
                "-F", "0", "-f", os.path.join(self.folder, f"{plugin}.out")]
        if plugin == "pgoutput":
            args += ["-o", "proto_version=1", "-o", f"publication_names={PUBLICATION}"]
        process = subprocess.Popen(args)
        return process, self.wait_for(lambda: self.backends("walsender"), "pg_recvlogical's walsender")

    def poll(self) -> tuple[subprocess.Popen, list[int]]:
        """A `pgbench` client polling the slot every 100 ms; (the process, its backend)."""
        self.new_slot("pgoutput")
        script = os.path.join(self.folder, "poll.sql")
        with open(script, "w") as f:
            f.write(f"SELECT count(*) FROM pg_logical_slot_get_binary_changes('{self.slot}', NULL, NULL, "
                    f"'proto_version', '1', 'publication_names', '{PUBLICATION}');\n\\sleep 100 ms\n")
        process = subprocess.Popen([pg_bin("pgbench"), "-n", "-c", "1", "-T", "3600", "-f", script, self.url],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pid = self.wait_for(lambda: self.sql("SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'"),
                            "the poller's backend")
        return process, [int(pid)]

    @staticmethod
    def wait_for(probe, what: str):
        for _ in range(100):
            found = probe()
            if found:
                return found
            time.sleep(0.1)
        raise RuntimeError(f"{what} did not start")

    def caught_up(self, target: int, streaming: bool) -> None:
        query = ("SELECT max(sent_lsn) FROM pg_stat_replication" if streaming else
                 f"SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '{self.slot}'")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            at = self.sql(query)
            if at and lsn(at) >= target:
                return
            time.sleep(0.05)
        raise RuntimeError("the slot did not catch up with the load")

    def run(self, variant: str, n: int) -> dict:
        schema = f"capture_logical_bench_{os.getpid()}_{variant}_{n}"
        self.sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
        db = f"{self.url}{'&' if '?' in self.url else '?'}options=" + urllib.parse.quote(f"-csearch_path={schema}")
        server = Demo(db)
        consumer, share = None, []
        try:
            if variant != "on":
                R.psql(db, 'DROP TRIGGER "task_capture" ON "task"')
            if variant in ("td", "pgo"):
                consumer, share = self.stream("test_decoding" if variant == "td" else "pgoutput")
            elif variant == "poll":
                consumer, share = self.poll()
            pid = server.process.pid
            pids = lambda: [pid, self.main, *R.children_of(self.main)]  # noqa: E731
            subscriber = R.Subscriber(server.url)
            try:
                wal = lsn(self.sql("SELECT pg_current_wal_lsn()"))
                cpu, own, load = R.cpu_seconds(pids()), R.cpu_seconds(share), os.getloadavg()[0]
                recv = R.cpu_seconds([consumer.pid]) if variant in ("td", "pgo") else 0.0
                writes, seconds = R.write_load(server.url, f"{variant}{n}")
                wal = lsn(self.sql("SELECT pg_current_wal_lsn()")) - wal
                if variant == "on":
                    report = subscriber.wait_for(writes)
                    if report["received"] != writes:
                        raise RuntimeError(f"the subscriber got {report['received']} of {writes} events")
                if consumer:
                    self.caught_up(lsn(self.sql("SELECT pg_current_wal_lsn()")), variant != "poll")
                cpu, own = R.cpu_seconds(pids()) - cpu, R.cpu_seconds(share) - own
                if variant in ("td", "pgo"):
                    recv = R.cpu_seconds([consumer.pid]) - recv
            finally:
                subscriber.close()
            return {"rate": writes / seconds, "cpu_us": cpu / writes * 1e6, "share_us": own / writes * 1e6,
                    "recv_us": recv / writes * 1e6, "wal": wal / writes, "load": load}
        finally:
            server.stop()
            if consumer:
                consumer.terminate()
                consumer.wait(timeout=10)
            self.drop_slot()
            self.sql(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    url = os.environ["DATABASE_URL"]
    if R.psql(url, "SHOW wal_level") != "logical":
        sys.exit("logical.py: the server's wal_level is not logical (bench/capture/logical.sh starts one that is)")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at the start; {R.CONNECTIONS} writers, "
          f"{R.SECONDS:g} s a run, {R.ROUNDS} rounds of {', '.join(VARIANTS)}")
    R.psql(url, f"DROP PUBLICATION IF EXISTS {PUBLICATION}; CREATE PUBLICATION {PUBLICATION} FOR ALL TABLES")
    runs: dict = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="sheplang-logical-bench-") as folder:
        os.chmod(folder, 0o755)
        bench = Bench(url, folder)
        try:
            for n in range(R.ROUNDS):
                for v in VARIANTS:
                    r = bench.run(v, n)
                    runs[v].append(r)
                    print(f"  {v:4} round {n}: {r['rate']:6.0f} writes/s  server {r['cpu_us']:4.0f} us/write "
                          f"(walsender or poller {r['share_us']:4.1f})  pg_recvlogical {r['recv_us']:4.1f} us/write  "
                          f"WAL {r['wal']:4.0f} B/write  load {r['load']:.2f}", flush=True)
        finally:
            R.psql(url, f"DROP PUBLICATION IF EXISTS {PUBLICATION}")
    med = {v: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for v, rs in runs.items()}
    print("medians:")
    for v, m in med.items():
        ratio = (f"  ({m['rate'] / med['off']['rate']:.2f}x writes/s, {m['cpu_us'] / med['off']['cpu_us']:.2f}x CPU "
                 f"of off)" if "off" in med and v != "off" else "")
        print(f"  {v:4} {m['rate']:6.0f} writes/s  server {m['cpu_us']:4.0f} us/write  walsender or poller "
              f"{m['share_us']:4.1f}  pg_recvlogical {m['recv_us']:4.1f}  WAL {m['wal']:4.0f} B/write{ratio}")


if __name__ == "__main__":
    main()
