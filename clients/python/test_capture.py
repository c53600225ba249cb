"""Change capture on SQLite and PostgreSQL (docs/capture.md), seen by a client written from
docs/wire.md.

The demo server keeps its tasks in a database whose tables carry the generated capture
triggers; its API emits nothing. Three writers change the database at once: the demo's API, a
second process with a plain SQL client (on SQLite this process through Python's own `sqlite3`
module; on PostgreSQL a `psql` fed one transaction at a time), and a shell (`sqlite3`, `psql`
running a script). A quarter of the writes are in transactions that roll back. The subscribed
client must receive exactly the committed changes, once each, in commit order, and end with the
rows a fresh read returns.

A filtered subscription (`{ done: false }`) fed by the capture: a raw SQL update that moves a
task out of the filter reaches it as a removal, one that moves a task in as an addition.

Then a crash: `kill -9` of the server during 1,000 API writes, a restart on the same database,
and a client that resumes from its last position gets every committed write's event.

Run by scripts/test-python.sh (which builds `sheplang-demo`, needs the `sqlite3` shell and
`psql`, and starts a PostgreSQL server unless `$DATABASE_URL` reaches one).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import unittest
import urllib.parse
import urllib.error
import urllib.request
from typing import Any, Optional

from harness import Demo, decoding_cleanup_sql
from shepwire import Client

WAIT = 60.0


def call(url: str, method: str, path: str, body: Optional[dict] = None, timeout: float = 10) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read()
    return json.loads(text) if text else None


def transaction_sql(prefix: str, n: int, commit: bool, postgres: bool = False) -> list[str]:
    """One transaction of five writes: two creates, two updates, one delete. Titles of a
    transaction that rolls back say so (no event may ever carry one)."""
    tag = f"{prefix}-{n}" if commit else f"{prefix}-{n}-rollback"
    if postgres:
        now = "date_trunc('second', now())"
        return [
            f"INSERT INTO task (title, created_at) VALUES ('{tag}-a', {now})",
            f"UPDATE task SET done = true WHERE title = '{tag}-a'",
            f"INSERT INTO task (title, created_at) VALUES ('{tag}-b', {now})",
            f"UPDATE task SET title = '{tag}-b renamed' WHERE title = '{tag}-b'",
            f"DELETE FROM task WHERE title = '{tag}-b renamed'",
        ]
    now = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"
    return [
        f"INSERT INTO task (title, created_at) VALUES ('{tag}-a', {now})",
        "UPDATE task SET done = 1 WHERE id = last_insert_rowid()",
        f"INSERT INTO task (title, created_at) VALUES ('{tag}-b', {now})",
        f"UPDATE task SET title = '{tag}-b renamed' WHERE id = last_insert_rowid()",
        "DELETE FROM task WHERE id = last_insert_rowid()",
    ]


def expected_kinds(prefix: str, n: int) -> list[tuple[str, Optional[str]]]:
    """The events a committed `transaction_sql` makes, in order: (event, title or None)."""
    tag = f"{prefix}-{n}"
    return [("model_created", f"{tag}-a"), ("model_updated", f"{tag}-a"),
            ("model_created", f"{tag}-b"), ("model_updated", f"{tag}-b renamed"),
            ("model_deleted", None)]


TRANSACTIONS = 140  # per SQL writer, five writes each: 700 writes
ROLLED_BACK = 50    # of them: 250 writes
API_WRITES = 600    # 300 creates, 200 updates, 100 deletes


def rolls_back(n: int) -> bool:
    # 50 of 140, spread through the run.
    return n * ROLLED_BACK // TRANSACTIONS != (n + 1) * ROLLED_BACK // TRANSACTIONS


class Capture:
    """The cases, on the database a subclass gives: `db` (the demo's `--db`), `sql_writer`
    (the second process's writes), `shell_script`/`run_shell` (the shell's) and `raw` (one
    statement, committed)."""

    db: str
    name: str
    servers: list[Demo]
    # The demo's further arguments.
    demo_args: tuple[str, ...] = ()

    def start(self, port: int = 0) -> Demo:
        server = Demo(self.db, port, self.demo_args)
        self.servers.append(server)
        return server

    def subscribed(self, server: Demo) -> tuple[Client, int]:
        """A client of `server` subscribed to every task, and the log's position then."""
        client = Client(server.url, timeout=WAIT)
        self.addCleanup(client.close)
        answer = client.subscribe("task")
        self.assertTrue(answer["ok"], answer)
        return client, answer["seq"]

    def sql_writer(self) -> None:
        raise NotImplementedError

    def run_shell(self) -> subprocess.Popen:
        """Starts the shell on its script of TRANSACTIONS transactions (prefix `sh`)."""
        raise NotImplementedError

    def raw(self, statement: str) -> None:
        raise NotImplementedError

    def test_a_filtered_subscription_sees_raw_sql_move_rows_out_and_in(self) -> None:
        server = self.start()
        client = Client(server.url, timeout=WAIT)
        self.addCleanup(client.close)
        answer = client.subscribe("task", filter={"done": False})
        self.assertTrue(answer["ok"], answer)
        whole = Client(server.url, timeout=WAIT)
        self.addCleanup(whole.close)
        self.assertTrue(whole.subscribe("task")["ok"])

        open_task = call(server.url, "POST", "/api/tasks", {"title": "stays open"})
        moving = call(server.url, "POST", "/api/tasks", {"title": "moves"})
        true, false = ("true", "false") if self.name.startswith("PostgreSQL") else ("1", "0")
        # Out of the filter, changed while out (nothing for the filtered client), back in,
        # then out and deleted while out (nothing), and the open one deleted (a removal).
        self.raw(f"UPDATE task SET done = {true} WHERE id = {moving['id']}")
        self.raw(f"UPDATE task SET title = 'moved while done' WHERE id = {moving['id']}")
        self.raw(f"UPDATE task SET done = {false} WHERE id = {moving['id']}")
        self.raw(f"UPDATE task SET done = {true} WHERE id = {moving['id']}")
        self.raw(f"DELETE FROM task WHERE id = {moving['id']}")
        self.raw(f"DELETE FROM task WHERE id = {open_task['id']}")
        marker = call(server.url, "POST", "/api/tasks", {"title": "the end"})
        events = client.wait_for(
            lambda e: any(x.name == "model_created" and x.data["id"] == marker["id"] for x in e),
            "the marker's event")
        events.sort(key=lambda e: e.seq)
        back_in = dict(moving, title="moved while done")
        self.assertEqual([(e.name, e.data) for e in events], [
            ("model_created", open_task),
            ("model_created", moving),
            ("model_deleted", moving["id"]),     # moved out: a removal
            ("model_created", back_in),          # moved in: an addition, with the whole row
            ("model_deleted", moving["id"]),     # out again
            ("model_deleted", open_task["id"]),  # deleted while in the filter
            ("model_created", marker),
        ], f"the filtered client's events on {self.name}")
        # The whole channel saw every change as it was made.
        all_events = whole.wait_for(lambda e: len(e) >= 9, "every change")
        self.assertEqual([e.name for e in sorted(all_events, key=lambda e: e.seq)],
                         ["model_created"] * 2 + ["model_updated"] * 4 + ["model_deleted"] * 2
                         + ["model_created"])

    def test_three_writers_and_rollbacks_reach_a_client_exactly_once_in_commit_order(self) -> None:
        server = self.start()
        client, start = self.subscribed(server)
        # The rows as loaded now; every event after `start` is applied to them.
        rows = {row["id"]: row for row in call(server.url, "GET", "/api/tasks")}

        api_log: list[tuple[str, str, Any]] = []  # (event, id, the API's answer)
        errors: list[BaseException] = []

        def api_writer() -> None:
            try:
                mine: list[str] = []
                for i in range(API_WRITES):
                    if i % 6 in (0, 2, 4):
                        row = call(server.url, "POST", "/api/tasks", {"title": f"api-{i}"})
                        mine.append(row["id"])
                        api_log.append(("model_created", row["id"], row))
                    elif i % 6 in (1, 3):
                        id = mine[-1]
                        body = {"done": True} if i % 6 == 1 else {"title": f"api-{i} renamed"}
                        row = call(server.url, "PATCH", f"/api/tasks/{id}", body)
                        api_log.append(("model_updated", id, row))
                    else:
                        id = mine.pop(0)
                        call(server.url, "DELETE", f"/api/tasks/{id}")
                        api_log.append(("model_deleted", id, id))
            except BaseException as e:  # noqa: BLE001 - reported by the main thread
                errors.append(e)

        def sql_writer() -> None:
            try:
                self.sql_writer()
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        shell = self.run_shell()
        threads = [threading.Thread(target=api_writer), threading.Thread(target=sql_writer)]
        for thread in threads:
            thread.start()
        _, err = shell.communicate(timeout=120)
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(shell.returncode, 0, f"the shell failed: {err}")
        self.assertEqual(errors, [])

        # A last write after every writer is done: its event is the last one.
        marker = call(server.url, "POST", "/api/tasks", {"title": "the end"})
        committed = API_WRITES + 2 * (TRANSACTIONS - ROLLED_BACK) * 5 + 1
        events = client.wait_for(
            lambda e: any(x.name == "model_created" and x.data["id"] == marker["id"] for x in e),
            "the marker's event")
        # python-socketio hands each message to a handler thread of its own, so the list's
        # order is the threads' race; the positions are the order the server sent them in.
        events.sort(key=lambda e: e.seq)
        print(f"\n# capture, {self.name}: {len(events)} events for {committed} committed writes "
              f"(2,000 writes by three writers, 500 rolled back, plus the marker)")
        self.assertEqual(len(events), committed, "every committed change once, nothing else")
        self.assertEqual([e.seq for e in events], list(range(start + 1, start + committed + 1)),
                         "positions follow each other: none missing, none twice")
        self.assertFalse([e for e in events if isinstance(e.data, dict)
                          and "rollback" in e.data["title"]], "no rolled-back write")

        # Commit order: each writer's events come in the order it made them.
        owner: dict[str, str] = {}
        seen: dict[str, list[tuple[str, Any]]] = {"api": [], "sql": [], "sh": []}
        for e in events:
            if e.name == "model_deleted":
                who, key = owner.get(e.data, "?"), None
                if who == "api":
                    key = e.data
            else:
                who = e.data["title"].split("-")[0]
                if who == "the end":
                    continue
                owner[e.data["id"]] = who
                key = e.data["title"] if who != "api" else e.data["id"]
            seen.setdefault(who, []).append((e.name, key))
        for prefix in ("sql", "sh"):
            expected = [kind for n in range(TRANSACTIONS) if not rolls_back(n)
                        for kind in expected_kinds(prefix, n)]
            self.assertEqual(seen[prefix], expected, f"the {prefix} writer's changes, in order")
        self.assertEqual(seen["api"], [(name, id) for name, id, _ in api_log])
        # The rows the API answered are the rows the events carry.
        api_rows = [e.data for e in events if isinstance(e.data, dict)
                    and owner.get(e.data["id"]) == "api"]
        self.assertEqual(api_rows, [row for name, _, row in api_log if name != "model_deleted"])

        # The events, applied to the rows loaded at the start, give a fresh read's rows.
        for e in events:
            if e.name == "model_deleted":
                rows.pop(e.data, None)
            else:
                rows[e.data["id"]] = e.data
        fresh = call(server.url, "GET", "/api/tasks")
        self.assertEqual(sorted(rows.values(), key=lambda r: int(r["id"])), fresh)

    def test_a_kill_during_api_writes_loses_no_committed_event(self) -> None:
        server = self.start()
        first = Client(server.url, timeout=WAIT)
        answer = first.subscribe("task")
        epoch, start = answer["epoch"], answer["seq"]

        writes = 1000
        committed: list[str] = []   # ids the API answered: committed for sure
        lock = threading.Lock()
        current = {"url": server.url}
        restarted = threading.Event()
        killed_at = {"n": None}

        def writer() -> None:
            n = 0
            while n < writes:
                with lock:
                    url = current["url"]
                try:
                    row = call(url, "POST", "/api/tasks", {"title": f"crash-{n}"}, timeout=5)
                    committed.append(row["id"])
                    n += 1
                except (urllib.error.URLError, ConnectionError, OSError):
                    # The server is gone: this write may or may not be committed; the next one
                    # goes to the restarted server.
                    restarted.wait(timeout=30)
                    n += 1

        thread = threading.Thread(target=writer)
        thread.start()
        # Kill it a third of the way through.
        first.wait_for(lambda e: len(e) >= writes // 3, "a third of the writes")
        killed_at["n"] = len(committed)
        server.kill()
        last = max(e.seq for e in first.events)
        first.close()
        again = self.start(server.port)
        with lock:
            current["url"] = again.url
        restarted.set()
        thread.join(timeout=120)
        self.assertFalse(thread.is_alive(), "the writer finished")

        second = Client(again.url, timeout=WAIT)
        self.addCleanup(second.close)
        resumed = second.subscribe("task", since=last, epoch=epoch)
        self.assertTrue(resumed["ok"] and not resumed.get("reset"),
                        f"the restarted server keeps the log's history: {resumed}")
        marker = call(again.url, "POST", "/api/tasks", {"title": "the end"})
        second.wait_for(lambda e: any(x.data["id"] == marker["id"] for x in e), "the marker")
        # In the order the server sent them (see above: the client's threads may reorder).
        before = sorted((e for e in first.events if e.seq <= last), key=lambda e: e.seq)
        after = sorted((e for e in second.events if e.data["id"] != marker["id"]),
                       key=lambda e: e.seq)
        self.assertEqual([e.seq for e in before + after],
                         list(range(start + 1, start + len(before) + len(after) + 1)),
                         "one position after the other across the crash")
        received = {e.data["id"] for e in before + after}
        lost = [id for id in committed if id not in received]
        print(f"\n# crash: killed after {killed_at['n']} answered writes; {len(committed)} of "
              f"{writes} writes answered; {len(before)} events before the kill, {len(after)} "
              f"after resuming from {last}; committed writes without an event: {len(lost)}")
        self.assertEqual(lost, [], "every committed write's event reached the client")
        rows = call(again.url, "GET", "/api/tasks")
        crash_rows = {r["id"] for r in rows if r["title"].startswith("crash-")}
        self.assertEqual(crash_rows, received, "an event for every row, and a row for every event")


class CaptureOnSqlite(Capture, unittest.TestCase):
    name = "SQLite"

    def setUp(self) -> None:
        if shutil.which("sqlite3") is None:
            self.fail("the `sqlite3` shell is missing: `apt-get install sqlite3` "
                      "(scripts/test-python.sh installs it)")
        self.dir = tempfile.TemporaryDirectory(prefix="sheplang-capture-")
        self.db = os.path.join(self.dir.name, "tasks.sqlite3")
        self.servers = []

    def tearDown(self) -> None:
        for server in self.servers:
            server.stop()
        self.dir.cleanup()

    def sql_writer(self) -> None:
        conn = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        for n in range(TRANSACTIONS):
            conn.execute("BEGIN IMMEDIATE")
            for statement in transaction_sql("sql", n, not rolls_back(n)):
                conn.execute(statement)
            conn.execute("ROLLBACK" if rolls_back(n) else "COMMIT")
        conn.close()

    def run_shell(self) -> subprocess.Popen:
        script = [".bail on", ".timeout 30000"]
        for n in range(TRANSACTIONS):
            script.append("BEGIN IMMEDIATE;")
            script += [s + ";" for s in transaction_sql("sh", n, not rolls_back(n))]
            script.append("ROLLBACK;" if rolls_back(n) else "COMMIT;")
        path = os.path.join(self.dir.name, "shell.sql")
        with open(path, "w") as f:
            f.write("\n".join(script) + "\n")
        with open(path) as script_file:
            return subprocess.Popen(["sqlite3", self.db], stdin=script_file,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def raw(self, statement: str) -> None:
        subprocess.run(["sqlite3", "-bail", "-cmd", ".timeout 30000", self.db, statement + ";"],
                       check=True, capture_output=True, timeout=60)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise RuntimeError("DATABASE_URL is not set: run the Python tests with "
                           "`bash scripts/test-python.sh`, which starts PostgreSQL")
    return url


def psql(url: str, *args: str, **kwargs: Any) -> subprocess.Popen:
    if shutil.which("psql") is None:
        raise RuntimeError("`psql` is missing: `apt-get install postgresql-client`")
    return subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


class CaptureOnPostgres(Capture, unittest.TestCase):
    """The same cases with the demo on PostgreSQL (`--db postgres://...`), each in a schema of
    its own, dropped at the end."""

    name = "PostgreSQL"

    def setUp(self) -> None:
        self.server_url = database_url()
        self.schema = f"capture_py_{os.getpid()}_{self._testMethodName[-20:]}"
        self.admin(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE; CREATE SCHEMA {self.schema}")
        join = "&" if "?" in self.server_url else "?"
        self.db = (f"{self.server_url}{join}options="
                   + urllib.parse.quote(f"-csearch_path={self.schema}"))
        self.servers = []

    def tearDown(self) -> None:
        for server in self.servers:
            server.stop()
        self.admin(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")

    def admin(self, statement: str) -> None:
        process = psql(self.server_url, "-c", f"SET client_min_messages = warning; {statement}")
        _, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, err)

    def sql_writer(self) -> None:
        # A second process with a plain SQL client, fed one transaction at a time.
        process = psql(self.db, stdin=subprocess.PIPE)
        assert process.stdin is not None
        for n in range(TRANSACTIONS):
            lines = ["BEGIN;"] + [s + ";" for s in transaction_sql("sql", n, not rolls_back(n),
                                                                  postgres=True)]
            lines.append("ROLLBACK;" if rolls_back(n) else "COMMIT;")
            process.stdin.write("\n".join(lines) + "\n")
            process.stdin.flush()
        _, err = process.communicate(timeout=120)
        if process.returncode != 0:
            raise RuntimeError(f"psql failed: {err}")

    def run_shell(self) -> subprocess.Popen:
        script = []
        for n in range(TRANSACTIONS):
            script.append("BEGIN;")
            script += [s + ";" for s in transaction_sql("sh", n, not rolls_back(n), postgres=True)]
            script.append("ROLLBACK;" if rolls_back(n) else "COMMIT;")
        path = os.path.join(tempfile.gettempdir(), f"{self.schema}.sql")
        with open(path, "w") as f:
            f.write("\n".join(script) + "\n")
        self.addCleanup(os.remove, path)
        return psql(self.db, "-f", path, stdin=subprocess.DEVNULL)

    def raw(self, statement: str) -> None:
        process = psql(self.db, "-c", statement)
        _, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, err)


class CaptureOnPostgresByDecoding(CaptureOnPostgres):
    """The same cases on PostgreSQL with `--capture decoding`: the triggers off, the changes
    read from the server's write-ahead log through a replication slot (`wal_level = logical`,
    as scripts/lib/services.sh starts the server)."""

    name = "PostgreSQL, logical decoding"
    demo_args = ("--capture", "decoding")

    def setUp(self) -> None:
        super().setUp()
        process = psql(self.server_url, "-At", "-c", "SHOW wal_level")
        out, err = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 0, err)
        if out.strip() != "logical":
            self.skipTest("$DATABASE_URL's server runs without `wal_level = logical`")

    def test_another_process_takes_the_relay_over_when_its_holder_is_killed(self) -> None:
        # The first process holds the lease: its relay records the changes (its own write's
        # event reaching its client shows it).
        holder = self.start()
        watcher = Client(holder.url, timeout=WAIT)
        self.addCleanup(watcher.close)
        self.assertTrue(watcher.subscribe("task")["ok"])
        first = call(holder.url, "POST", "/api/tasks", {"title": "held"})
        watcher.wait_for(lambda e: any(x.data["id"] == first["id"] for x in e), "the first write")
        # A second process on the same database; its client and its API carry on while the
        # holder is killed, and its relay takes the lease over (3 s after the last renewal).
        other = self.start()
        client, start = self.subscribed(other)
        writes = 600
        committed: list[str] = []

        def writer() -> None:
            for n in range(writes):
                committed.append(call(other.url, "POST", "/api/tasks", {"title": f"over-{n}"})["id"])

        thread = threading.Thread(target=writer)
        thread.start()
        client.wait_for(lambda e: len(e) >= writes // 3, "a third of the writes")
        holder.kill()
        thread.join(timeout=120)
        self.assertFalse(thread.is_alive(), "the writer finished")
        client.wait_for(lambda e: len(e) >= writes, "every write", timeout=60)
        events = sorted(client.events, key=lambda e: e.seq)
        self.assertEqual([e.seq for e in events], list(range(start + 1, start + writes + 1)),
                         "one position after the other, none missing, none twice")
        self.assertEqual([e.data["id"] for e in events], committed, "every write, in order")
        print(f"\n# takeover: the relay's holder killed after {writes // 3} of {writes} events; "
              f"the other process's client received all {len(events)}")

    def tearDown(self) -> None:
        for server in self.servers:
            server.stop()
        self.admin(decoding_cleanup_sql(self.schema))
        super().tearDown()


if __name__ == "__main__":
    unittest.main()
