"""A ShepLang wire client in Python, written from docs/wire.md only.

Tests use it as an independent second client: it knows nothing of the Rust or TypeScript code,
only the events, the subscribe options and the positions the wire contract describes. Every wait
is bounded and synchronises on received events, never on sleeps.

    client = Client("http://127.0.0.1:3000")
    result = client.subscribe("task", since=None)      # {"ok": True, "epoch": ..., "seq": ...}
    client.wait_for(lambda events: len(events) >= 3)    # events: list of Event
    client.close()
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import socketio

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Event:
    """One model event as received: `name` is `model_created`, `model_updated` or `model_deleted`;
    `data` is the row (or the id, for a deletion); `seq` is its position, or None on a channel
    subscribed without options."""

    name: str
    model: str
    data: Any
    seq: Optional[int]


class WireError(Exception):
    """A wait ran out of time, or the server answered what the caller did not expect."""


class Client:
    """One Socket.IO connection (WebSocket transport) to a ShepLang server."""

    def __init__(self, url: str, auth: Optional[dict] = None, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self.events: list[Event] = []
        self.notifications: list[tuple] = []
        self.connected_info: Optional[dict] = None
        self._changed = threading.Condition()
        self._sio = socketio.Client(reconnection=False)
        for name in ("model_created", "model_updated", "model_deleted"):
            self._sio.on(name, self._model_handler(name))
        self._sio.on("notification", self._on_notification)
        self._sio.on("connected", self._on_connected)
        self._sio.connect(url, transports=["websocket"], auth=auth, wait_timeout=timeout)

    def _model_handler(self, name: str) -> Callable[..., None]:
        def handler(model: str, data: Any, seq: Optional[int] = None) -> None:
            self._record(lambda: self.events.append(Event(name, model, data, seq)))

        return handler

    def _on_notification(self, message: str, data: Any = None) -> None:
        self._record(lambda: self.notifications.append((message, data)))

    def _on_connected(self, info: Optional[dict] = None) -> None:
        self._record(lambda: setattr(self, "connected_info", info or {}))

    def _record(self, change: Callable[[], None]) -> None:
        with self._changed:
            change()
            self._changed.notify_all()

    def subscribe(self, channel: str, since: Optional[int] = None, epoch: Optional[str] = None,
                  positions: bool = True, **extra: Any) -> dict:
        """Subscribes and returns the server's answer. With `positions` (the default) the
        options form is used (`{}`, or `{since, epoch}`, plus any `extra` keys), so events carry
        their position; without it, the old two-argument form."""
        if not positions:
            return self._sio.call("subscribe", channel, timeout=self.timeout)
        options: dict = dict(extra)
        if since is not None:
            options["since"] = since
        if epoch is not None:
            options["epoch"] = epoch
        return self._sio.call("subscribe", (channel, options), timeout=self.timeout)

    def unsubscribe(self, channel: str) -> dict:
        return self._sio.call("unsubscribe", channel, timeout=self.timeout)

    def ping(self) -> None:
        """A round trip: every event the server sent before answering has been received."""
        self._sio.call("ping", timeout=self.timeout)

    def wait_for(self, predicate: Callable[[list[Event]], bool], what: str = "the expected events",
                 timeout: Optional[float] = None) -> list[Event]:
        """Waits until `predicate(events)` holds; raises WireError naming `what` otherwise."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        with self._changed:
            while not predicate(self.events):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WireError(f"timed out waiting for {what}; received {len(self.events)} events")
                self._changed.wait(left)
            return list(self.events)

    def wait_for_notification(self, message: str, timeout: Optional[float] = None) -> Any:
        """Waits for a `notification` whose message is `message` and returns its data. A host
        broadcasts one after a batch of changes to mark its end (a marker)."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        with self._changed:
            while True:
                for seen, data in self.notifications:
                    if seen == message:
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WireError(f"timed out waiting for the notification {message!r}")
                self._changed.wait(left)

    def close(self) -> None:
        self._sio.disconnect()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
