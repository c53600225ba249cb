"""The lifecycle on the wire (docs/wire.md, "The lifecycle state"), seen by a client written from
docs/wire.md.

The demo's `Task` has `states: todo -> doing -> done`. A task is moved through its chain by the
demo's API: each allowed step reaches the subscribed client as one `model_updated` with the whole
new row, its `status` the new state. A refused step (`todo -> done`, back to `todo`) is answered
with 422 and the spec's message, and produces no event; neither does the same step written
straight into the SQLite file, which the table's generated trigger refuses. "No event" is
checked against a marker: a task created after the refused write, whose `model_created` comes
after anything the refused write could have caused (the database's change log is relayed in
commit order).

Run by scripts/test-python.sh (which builds `sheplang-demo`).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import unittest
import urllib.error
import urllib.request
from typing import Any, Optional

from harness import Demo
from shepwire import Client, Event

WAIT = 30.0


def call(url: str, method: str, path: str, body: Optional[dict] = None) -> tuple[int, Any]:
    """The status and the JSON answer of one API call (an error status too)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class LifecycleOnTheWire(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="sheplang-lifecycle-")
        self.db = os.path.join(self.dir.name, "tasks.sqlite3")
        self.server = Demo(self.db)
        self.client = Client(self.server.url, timeout=WAIT)
        answer = self.client.subscribe("task")
        self.assertTrue(answer["ok"], answer)
        self.markers = 0

    def tearDown(self) -> None:
        self.client.close()
        self.server.stop()
        self.dir.cleanup()

    def events_of(self, id: str) -> list[Event]:
        return [e for e in self.client.events
                if e.model == "Task" and (e.data == id or (isinstance(e.data, dict) and e.data.get("id") == id))]

    def marker(self) -> None:
        """Creates a task and waits for its event: whatever an earlier write caused has arrived."""
        self.markers += 1
        title = f"marker {self.markers}"
        status, row = call(self.server.url, "POST", "/api/tasks", {"title": title})
        self.assertEqual(status, 201, row)
        self.client.wait_for(lambda events: any(e.name == "model_created" and e.data["id"] == row["id"]
                                                for e in events), f"the `{title}` task")

    def move(self, id: str, to: str) -> tuple[int, Any]:
        return call(self.server.url, "PATCH", f"/api/tasks/{id}", {"status": to})

    def assert_refused(self, id: str, to: str, message: str, allowed: list[str]) -> None:
        before = len(self.events_of(id))
        status, answer = self.move(id, to)
        self.assertEqual(status, 422, answer)
        self.assertEqual(answer["error"], message)
        self.assertEqual(answer["transition"]["to"], to)
        self.assertEqual(answer["transition"]["allowed"], allowed)
        self.marker()
        self.assertEqual(len(self.events_of(id)), before, f"the refused move to `{to}` made an event")

    def assert_moved(self, id: str, to: str) -> None:
        before = len(self.events_of(id))
        status, row = self.move(id, to)
        self.assertEqual((status, row["status"]), (200, to), row)
        events = self.client.wait_for(lambda _: len(self.events_of(id)) > before, f"the move to `{to}`")
        del events
        event = self.events_of(id)[before]
        self.assertEqual(event.name, "model_updated")
        self.assertEqual(event.data, row, "the event carries the whole new row")

    def test_each_allowed_step_is_one_update_and_a_refused_one_is_none(self) -> None:
        status, task = call(self.server.url, "POST", "/api/tasks", {"title": "Ship the board"})
        self.assertEqual(status, 201, task)
        self.assertEqual(task["status"], "todo", "a new task starts in the first state")
        id = task["id"]
        created = self.client.wait_for(lambda _: len(self.events_of(id)) == 1, "the new task")
        self.assertEqual([e.data["status"] for e in created if e.name == "model_created"
                          and e.data["id"] == id], ["todo"])

        self.assert_refused(id, "done", "`Task` may not go from `todo` to `done`: from `todo` it "
                            "may only become `doing`", ["doing"])
        self.assert_moved(id, "doing")
        self.assert_refused(id, "todo", "`Task` may not go from `doing` to `todo`: from `doing` it "
                            "may only become `done`", ["done"])
        self.assert_moved(id, "done")

        # Another writer, straight into the file: the table's trigger refuses the step too.
        conn = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        with self.assertRaises(sqlite3.DatabaseError) as refused:
            conn.execute("UPDATE task SET status = 'doing' WHERE id = ?", (int(id),))
        conn.close()
        self.assertIn("task_status_transition: `Task` may not go from `done` to `doing`: "
                      "`done` is a final state", str(refused.exception))
        self.marker()

        self.assertEqual([(e.name, e.data["status"]) for e in self.events_of(id)],
                         [("model_created", "todo"), ("model_updated", "doing"),
                          ("model_updated", "done")])
        status, row = call(self.server.url, "GET", f"/api/tasks/{id}")
        self.assertEqual((status, row["status"]), (200, "done"))


if __name__ == "__main__":
    unittest.main()
