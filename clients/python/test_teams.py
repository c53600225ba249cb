"""Row-level authorization in the teams example (examples/teams), seen by a client written from
docs/wire.md only ("Filtered subscriptions").

Ada is a member of the red team; Bob of the blue one (the example's stand-in identity: the
handshake's `auth: { user }`, the API's `X-User` header). Ada's connections subscribe to `task`
with every filter she is allowed (one subscription per channel and connection, so one
connection per filter), and to her team's users and team. Bob makes 1,000 changes to blue
tasks while Ada makes changes to red ones, some of which she hands over to the blue team. Each
of Ada's subscriptions must receive exactly the events docs/wire.md's table gives for her
changes (counted, in order), and nothing of Bob's: no blue row, no blue id. Filters for another
team, for no team and for the whole channel are refused with `not authorized`, and so is every
subscription of a connection without a known user.

Run by scripts/test-python.sh (which builds `sheplang-teams`).
"""

from __future__ import annotations

import unittest
from typing import Any, Optional

from harness import Teams
from shepwire import Client

WAIT = 60.0
BLUE_CHANGES = 1000


def matches(filter_: dict, row: Optional[dict]) -> bool:
    return row is not None and all(row.get(k) == v for k, v in filter_.items())


def expected_event(filter_: dict, before: Optional[dict], after: Optional[dict],
                   ) -> Optional[tuple[str, str]]:
    """The event a subscription with `filter_` gets for a change (docs/wire.md's table), as
    (event, id); the host always gives the row before."""
    if after is None:  # deleted
        return ("model_deleted", before["id"]) if matches(filter_, before) else None
    if before is None:  # created
        return ("model_created", after["id"]) if matches(filter_, after) else None
    was, now = matches(filter_, before), matches(filter_, after)
    if now:
        return ("model_updated" if was else "model_created", after["id"])
    return ("model_deleted", after["id"]) if was else None


def event_id(data: Any) -> Any:
    return data.get("id") if isinstance(data, dict) else data


class TeamsLeakTest(unittest.TestCase):
    def setUp(self) -> None:
        self.server = Teams()
        self.clients: list[Client] = []

    def tearDown(self) -> None:
        for client in self.clients:
            client.close()
        self.server.stop()

    def client(self, auth: Optional[dict]) -> Client:
        client = Client(self.server.url, auth=auth, timeout=WAIT)
        self.clients.append(client)
        return client

    def test_refused_filters(self) -> None:
        ada = self.client({"user": "ada"})
        for options in ({"filter": {"team": "blue"}}, {}, {"filter": {}},
                        {"filter": {"done": False}}, {"filter": {"id": "x", "done": True}}):
            self.assertEqual(ada._sio.call("subscribe", ("task", options), timeout=WAIT),
                             {"ok": False, "error": "not authorized"}, options)
        self.assertEqual(ada.subscribe("team", filter={"id": "blue"}),
                         {"ok": False, "error": "not authorized"})
        self.assertEqual(ada.subscribe("user", filter={"team": "blue"}),
                         {"ok": False, "error": "not authorized"})
        # The old form (the whole channel) too.
        self.assertEqual(ada.subscribe("task", positions=False),
                         {"ok": False, "error": "not authorized"})
        # A filter the spec refuses is named before authorization.
        answer = ada.subscribe("task", filter={"colour": "red"})
        self.assertFalse(answer["ok"])
        self.assertTrue(answer["error"].startswith("invalid filter: "), answer)
        # No identity, an unknown user, a malformed one: nothing at all.
        for auth in (None, {"user": "mallory"}, {"user": 7}, {"name": "ada"}):
            anonymous = self.client(auth)
            self.assertEqual(anonymous.subscribe("task", filter={"team": "red"}),
                             {"ok": False, "error": "not authorized"}, auth)
        # Bob may have blue, not red.
        bob = self.client({"user": "bob"})
        self.assertEqual(bob.subscribe("task", filter={"team": "red"}),
                         {"ok": False, "error": "not authorized"})
        self.assertTrue(bob.subscribe("task", filter={"team": "blue"})["ok"])
        # And the API answers only with the caller's team's rows.
        self.assertTrue(all(t["team"] == "red" for t in self.server.call("ada", "GET", "/api/tasks")))
        blue = self.server.call("bob", "GET", "/api/tasks")[0]
        with self.assertRaises(Exception) as refused:
            self.server.call("ada", "PATCH", f"/api/tasks/{blue['id']}", {"done": True})
        self.assertEqual(getattr(refused.exception, "code", None), 404)

    def test_a_member_of_red_receives_all_of_red_and_none_of_blue(self) -> None:
        filters = [{"team": "red"}, {"team": "red", "done": False}, {"team": "red", "done": True}]
        subscribers: list[tuple[dict, Client]] = []
        for filter_ in filters:
            client = self.client({"user": "ada"})
            answer = client.subscribe("task", filter=filter_)
            self.assertTrue(answer["ok"], answer)
            subscribers.append((filter_, client))
        first = subscribers[0][1]
        self.assertTrue(first.subscribe("user", filter={"team": "red"})["ok"])
        self.assertTrue(first.subscribe("team", filter={"id": "red"})["ok"])
        # Bob listens to his own team the same way: his changes do go out.
        bob_client = self.client({"user": "bob"})
        self.assertTrue(bob_client.subscribe("task", filter={"team": "blue"})["ok"])

        red_rows: dict[str, dict] = {t["id"]: t for t in self.server.call("ada", "GET", "/api/tasks")}
        expected: dict[int, list[tuple[str, str]]] = {i: [] for i in range(len(filters))}
        blue_ids: set[str] = set()
        blue_events = 0

        def red(change: str, task_id: Optional[str] = None) -> Optional[str]:
            before = red_rows.get(task_id) if task_id else None
            if change == "create":
                after = self.server.call("ada", "POST", "/api/tasks", {"title": "red task"})
            elif change == "delete":
                self.server.call("ada", "DELETE", f"/api/tasks/{task_id}")
                after = None
            elif change == "handover":
                after = self.server.call("ada", "PATCH", f"/api/tasks/{task_id}", {"team": "blue"})
            elif change == "toggle":
                after = self.server.call("ada", "PATCH", f"/api/tasks/{task_id}",
                                         {"done": not before["done"]})
            else:
                after = self.server.call("ada", "PATCH", f"/api/tasks/{task_id}",
                                         {"title": f"renamed {task_id}"})
            if after is None or after["team"] != "red":
                red_rows.pop(task_id, None)
            else:
                red_rows[after["id"]] = after
            for i, filter_ in enumerate(filters):
                event = expected_event(filter_, before, after)
                if event is not None:
                    expected[i].append(event)
            return after["id"] if after is not None else None

        blue_current: Optional[str] = None
        red_current: Optional[str] = None
        red_step = 0
        for n in range(BLUE_CHANGES):
            # Bob: create, rename, toggle, delete; again and again.
            step = n % 4
            if step == 0:
                blue_current = self.server.call("bob", "POST", "/api/tasks", {"title": "blue task"})["id"]
                blue_ids.add(blue_current)
            elif step == 1:
                self.server.call("bob", "PATCH", f"/api/tasks/{blue_current}", {"title": "blue renamed"})
            elif step == 2:
                self.server.call("bob", "PATCH", f"/api/tasks/{blue_current}", {"done": True})
            else:
                self.server.call("bob", "DELETE", f"/api/tasks/{blue_current}")
            blue_events += 1
            # Ada, every third of Bob's: create, toggle, toggle, rename, then delete or hand over.
            if n % 3 == 0:
                kind = ["create", "toggle", "toggle", "rename", "end"][red_step % 5]
                if kind == "create":
                    red_current = red("create")
                elif kind == "end":
                    red("handover" if (red_step // 5) % 2 else "delete", red_current)
                else:
                    red(kind, red_current)
                red_step += 1
        # The last change is Ada's: once each subscription has its events, everything emitted
        # before has been sent (one dispatcher, in order).
        red("create")

        for i, (filter_, client) in enumerate(subscribers):
            want = expected[i]
            events = client.wait_for(
                lambda evs, want=want: len([e for e in evs if e.model == "Task"]) >= len(want),
                what=f"the {len(want)} events of {filter_}")
            client.ping()
            # python-socketio may run two handlers at once: the server's order is the positions'.
            tasks = sorted((e for e in client.events if e.model == "Task"), key=lambda e: e.seq)
            got = [(e.name, event_id(e.data)) for e in tasks]
            self.assertEqual(got, want, f"the events of {filter_}")
            for e in tasks:
                if isinstance(e.data, dict):
                    self.assertEqual(e.data["team"], "red", e)
                    for key, value in filter_.items():
                        self.assertEqual(e.data[key], value, e)
            seqs = [e.seq for e in tasks]
            self.assertEqual(len(seqs), len(set(seqs)), "each position once")
            leaked = [e for e in events if event_id(e.data) in blue_ids]
            self.assertEqual(leaked, [], f"{filter_} received Bob's tasks")
        self.assertGreater(len(expected[0]), 300)
        self.assertTrue(expected[1] and expected[2])
        self.assertEqual([e for e in first.events if e.model != "Task"], [])
        # Bob's own subscription saw (at least) his 1,000 changes.
        bob_client.wait_for(lambda evs: len(evs) >= blue_events, what="Bob's 1,000 events")


if __name__ == "__main__":
    unittest.main()
