"""Processes for the Python wire tests: the project's binaries, started on free loopback ports.

Binaries come from `$SHEPLANG_BIN_DIR` (scripts/test-python.sh sets it to the cargo target's
debug folder after building them). Every process is stopped by closing its standard input or
killed when the test ends; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from typing import Any, Optional


def binary(name: str) -> str:
    folder = os.environ.get("SHEPLANG_BIN_DIR")
    if not folder:
        raise RuntimeError("SHEPLANG_BIN_DIR is not set: run the Python tests with "
                           "`bash scripts/test-python.sh`, which builds the binaries first")
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        raise RuntimeError(f"no `{name}` in {folder}: build it first (scripts/test-python.sh does)")
    return path


def post_json(url: str, body: Any, headers: Optional[dict] = None, timeout: float = 10) -> Any:
    """POSTs `body` as JSON and returns the decoded answer (None for an empty one)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read()
    return json.loads(text) if text else None


class ServeSpec:
    """`serve-spec SPEC [FLAGS]` on a free 127.0.0.1 port (see its module docs): `info` is the
    JSON line it prints once listening, `url` its address; `emit`/`emit_batch` go through its
    test-only control routes, which send through the typed Rust API."""

    def __init__(self, spec: str, *flags: str):
        self.process = subprocess.Popen(
            [binary("serve-spec"), spec, "--port", "0", "--exit-on-stdin-eof", *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            raise RuntimeError(f"serve-spec {spec} exited ({self.process.returncode}) before listening")
        self.info = json.loads(line)
        self.url = f"http://127.0.0.1:{self.info['port']}"

    def emit(self, event: str, *args: Any) -> None:
        post_json(self.url + "/control/emit", {"event": event, "args": list(args)})

    def emit_batch(self, events: list[tuple]) -> None:
        """Emits `(event, *args)` tuples in order."""
        post_json(self.url + "/control/emit-batch",
                  {"events": [{"event": e, "args": list(a)} for e, *a in events]})

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Demo:
    """The demo server (`sheplang-demo --db FILE`, and `args`) on a free 127.0.0.1 port, or on `port`:
    `url` is its address once it prints it. `kill()` is a `kill -9`."""

    def __init__(self, db: str, port: int = 0, args: tuple[str, ...] = ()):
        self.process = subprocess.Popen(
            [binary("sheplang-demo"), "--db", db, "--port", str(port), *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        self.url = ""
        for line in self.process.stdout:
            if line.startswith("http://127.0.0.1:"):
                self.url = line.strip().rstrip("/")
                break
        if not self.url:
            self.process.wait(timeout=10)
            raise RuntimeError(f"sheplang-demo exited ({self.process.returncode}) before listening")
        self.port = int(self.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if not self.process.stdout.closed:
            self.process.stdout.close()


class Teams:
    """The teams example (`sheplang-teams --memory`) on a free 127.0.0.1 port: `url` is its
    address once it prints it. `call` is the JSON API as one user (the stand-in identity,
    `X-User`)."""

    def __init__(self):
        self.process = subprocess.Popen(
            [binary("sheplang-teams"), "--memory", "--port", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        self.url = ""
        for line in self.process.stdout:
            if line.startswith("http://127.0.0.1:"):
                self.url = line.strip().rstrip("/")
                break
        if not self.url:
            self.process.wait(timeout=10)
            raise RuntimeError(f"sheplang-teams exited ({self.process.returncode}) before listening")

    def call(self, user: Optional[str], method: str, path: str, body: Any = None,
             timeout: float = 10) -> Any:
        headers = {"content-type": "application/json"}
        if user is not None:
            headers["x-user"] = user
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if not self.process.stdout.closed:
            self.process.stdout.close()


def decoding_cleanup_sql(schema: str) -> str:
    """The SQL that ends the replication session of `schema`'s capture by logical decoding and
    drops its slot (which would keep the server's write-ahead log) and its publication."""
    pattern = f"sheplang\\_%\\_{schema}"
    return ("SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots "
            f"WHERE slot_name LIKE '{pattern}' AND active_pid IS NOT NULL; "
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            f"WHERE slot_name LIKE '{pattern}'; "
            "DO $$ DECLARE p text; BEGIN FOR p IN SELECT pubname FROM pg_publication "
            f"WHERE pubname LIKE '{pattern}' LOOP EXECUTE format('DROP PUBLICATION %I', p); "
            "END LOOP; END $$")
