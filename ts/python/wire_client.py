"""A Socket.IO client written from docs/wire.md alone, with fixed-arity handlers.

Usage: python wire_client.py URL CHANNEL MARKER

Connects (WebSocket), subscribes to CHANNEL the old way (`subscribe(channel, ack)`), prints
`ready`, then records every model event with handlers of exactly the arity wire.md lists for a
client that did not ask for positions: `(model, data)` and `(model, id)`. A handler called with
another number of arguments raises `TypeError`, which python-socketio reports and which makes
the event count wrong. When the notification MARKER arrives it prints one JSON line,
`{"created": [...ids], "updated": [...], "deleted": [...], "notifications": [...]}`, and exits.
"""

import json
import sys
import threading

import socketio

url, channel, marker = sys.argv[1], sys.argv[2], sys.argv[3]
sio = socketio.Client(reconnection=False)
seen = {"created": [], "updated": [], "deleted": [], "notifications": [], "connected": []}
done = threading.Event()


@sio.on("connected")
def connected(info):
    seen["connected"].append(info)


@sio.on("model_created")
def model_created(model, data):
    seen["created"].append([model, data["id"]])


@sio.on("model_updated")
def model_updated(model, data):
    seen["updated"].append([model, data["id"]])


@sio.on("model_deleted")
def model_deleted(model, id):
    seen["deleted"].append([model, id])


@sio.on("notification")
def notification(message, data=None):
    if message == marker:
        done.set()
    else:
        seen["notifications"].append([message, data])


sio.connect(url, transports=["websocket"], wait_timeout=10)
answer = sio.call("subscribe", channel, timeout=10)
if answer != {"ok": True}:
    print(json.dumps({"error": f"subscribe answered {answer!r}"}), flush=True)
    sys.exit(1)
sio.call("ping", timeout=10)
print("ready", flush=True)
if not done.wait(60):
    print(json.dumps({"error": "no marker within 60 s"}), flush=True)
    sys.exit(1)
print(json.dumps(seen), flush=True)
sio.disconnect()
