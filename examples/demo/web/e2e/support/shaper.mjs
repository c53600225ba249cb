// A shaping TCP proxy on loopback: what a slow or stalling network does to a page, for real
// (Chromium's network emulation leaves WebSockets alone). Every byte between the page and the
// server goes through one link per direction, shared by all connections, as on one Wi-Fi link:
//
//   latencyMs       added to every chunk, one way
//   bytesPerSecond  the link's rate, one way (Infinity: unlimited)
//   paused          nothing moves (the bytes wait, the connections stay open)
//
// A link holds at most `HIGH_WATER` bytes in flight; beyond that it stops reading from the
// sender, so the sender's kernel buffers fill and its writes push back, as over a real link.
//
//   const link = await startShaper({ port: 8080 });   // -> link.url, link.port
//   link.set({ bytesPerSecond: 1_000, latencyMs: 50 });
//   link.pause(); link.resume(); link.cut();          // cut: resets every connection
//   await link.close();
import { createConnection, createServer } from 'node:net';

/** Bytes a direction holds before it stops reading from the sender. */
const HIGH_WATER = 64 * 1024;
/** How often a rate-limited link sends, in ms. */
const TICK_MS = 10;

/** One direction of the link. */
class Link {
  constructor(shape) {
    this.shape = shape;
    /** { socket, chunk, readyAt, source } in arrival order. */
    this.queue = [];
    this.queued = 0;
    this.budget = 0;
    this.lastTick = Date.now();
    this.timer = null;
    /** Senders paused for the high-water mark. */
    this.held = new Set();
  }

  push(source, socket, chunk) {
    this.queue.push({ socket, chunk, readyAt: Date.now() + this.shape.latencyMs });
    this.queued += chunk.length;
    if (this.queued > HIGH_WATER && !this.held.has(source)) {
      this.held.add(source);
      source.pause();
    }
    this.pump();
  }

  /** Drops what is queued for `socket` (it is gone). */
  drop(socket) {
    const kept = [];
    for (const item of this.queue) {
      if (item.socket === socket) {
        this.queued -= item.chunk.length;
      } else {
        kept.push(item);
      }
    }
    this.queue = kept;
    this.release();
  }

  pump() {
    if (this.timer !== null) {
      return;
    }
    const now = Date.now();
    const rate = this.shape.bytesPerSecond;
    if (Number.isFinite(rate)) {
      // A token bucket: at most a tenth of a second's worth saved up (at least one TCP segment).
      this.budget = Math.min(this.budget + ((now - this.lastTick) * rate) / 1000, Math.max(rate / 10, 1460));
    }
    this.lastTick = now;
    while (this.queue.length > 0 && !this.shape.paused) {
      const head = this.queue[0];
      if (head.readyAt > now) {
        break;
      }
      if (head.socket.destroyed) {
        this.queue.shift();
        this.queued -= head.chunk.length;
        continue;
      }
      let length = head.chunk.length;
      if (Number.isFinite(rate)) {
        length = Math.min(length, Math.floor(this.budget));
        if (length <= 0) {
          break;
        }
        this.budget -= length;
      }
      head.socket.write(head.chunk.subarray(0, length));
      this.queued -= length;
      if (length === head.chunk.length) {
        this.queue.shift();
      } else {
        head.chunk = head.chunk.subarray(length);
      }
    }
    this.release();
    if (this.queue.length > 0 && !this.shape.paused) {
      const head = this.queue[0];
      const wait = Math.max(head.readyAt - Date.now(), Number.isFinite(rate) ? TICK_MS : 0, 1);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
    }
  }

  release() {
    if (this.queued <= HIGH_WATER / 2) {
      for (const source of this.held) {
        if (!source.destroyed) {
          source.resume();
        }
      }
      this.held.clear();
    }
  }

  stop() {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

/**
 * Listens on 127.0.0.1 (`listenPort`, default any free port) and forwards to
 * `host`:`port` (default 127.0.0.1).
 */
export async function startShaper({ port, host = '127.0.0.1', listenPort = 0, latencyMs = 0, bytesPerSecond = Infinity } = {}) {
  const shape = { latencyMs, bytesPerSecond, paused: false };
  const up = new Link(shape);
  const down = new Link(shape);
  const pairs = new Set();
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = createConnection({ port, host, noDelay: true });
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      up.drop(upstream);
      down.drop(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk) => up.push(client, upstream, chunk));
    upstream.on('data', (chunk) => down.push(upstream, client, chunk));
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listenPort, '127.0.0.1', resolve);
  });
  const bound = server.address().port;
  const kick = () => {
    up.pump();
    down.pump();
  };
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    /** Changes the shape; what is queued moves at the new rate. */
    set(change) {
      Object.assign(shape, change);
      kick();
    },
    pause() {
      shape.paused = true;
    },
    resume() {
      shape.paused = false;
      kick();
    },
    /** Resets every connection through the link (what a dropped Wi-Fi does to them). */
    cut() {
      for (const { client, upstream } of [...pairs]) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    /** Open connections through the link. */
    connections: () => pairs.size,
    async close() {
      up.stop();
      down.stop();
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
