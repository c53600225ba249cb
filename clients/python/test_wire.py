"""Wire-contract tests with python-socketio against the Rust server (`serve-spec tasks`).

The client side knows only docs/wire.md (through shepwire.py). Run by scripts/test-python.sh.
"""

from __future__ import annotations

import unittest

from harness import ServeSpec
from shepwire import Client

def task(id: str, title: str) -> dict:
    return {"id": id, "title": title, "done": False, "createdAt": "2026-01-01T00:00:00.000Z",
            "tags": []}


class WireContract(unittest.TestCase):
    server: ServeSpec

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ServeSpec("tasks")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def test_connected_carries_the_app(self) -> None:
        with Client(self.server.url) as client:
            client.ping()
            self.assertEqual(client.connected_info["app"], self.server.info["app"])

    def test_unknown_channel_is_refused_by_name(self) -> None:
        with Client(self.server.url) as client:
            self.assertEqual(client.subscribe("nope", positions=False),
                             {"ok": False, "error": 'unknown channel "nope"'})

    def test_old_form_has_no_positions(self) -> None:
        with Client(self.server.url) as client:
            self.assertEqual(client.subscribe("task", positions=False), {"ok": True})
            self.server.emit("model_created", "Task", task("old-1", "first"))
            events = client.wait_for(lambda e: len(e) >= 1, "one created event")
            self.assertEqual([(e.name, e.model, e.data["id"], e.seq) for e in events],
                             [("model_created", "Task", "old-1", None)])

    def test_positions_are_consecutive_and_resume_has_no_gap(self) -> None:
        with Client(self.server.url) as first:
            answer = first.subscribe("task")
            self.assertTrue(answer["ok"], answer)
            start = answer["seq"]
            self.server.emit_batch([("model_created", "Task", task(f"r-{i}", f"t{i}"))
                                    for i in range(10)])
            events = first.wait_for(lambda e: len(e) >= 10, "ten created events")
            self.assertEqual([e.seq for e in events], list(range(start + 1, start + 11)))
        # A second client resumes from the fifth of them and sees exactly the last five.
        with Client(self.server.url) as second:
            answer = second.subscribe("task", since=start + 5, epoch=answer["epoch"])
            self.assertTrue(answer["ok"] and not answer.get("reset"), answer)
            second.wait_for(lambda e: len(e) >= 5, "the five replayed events")
            second.ping()
            self.assertEqual([e.data["id"] for e in second.events], [f"r-{i}" for i in range(5, 10)])

    def test_a_foreign_epoch_is_reset(self) -> None:
        with Client(self.server.url) as client:
            answer = client.subscribe("task", since=3, epoch="not-this-log")
            self.assertEqual((answer["ok"], answer.get("reset")), (True, True), answer)


if __name__ == "__main__":
    unittest.main(verbosity=2)
