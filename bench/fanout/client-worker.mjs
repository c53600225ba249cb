// One worker thread of bench clients: `count` socket.io-client connections (WebSocket), each
// subscribed to `tick`; records, for every `model_created` it gets, the latency from the
// server's `sentAt` to its arrival here (same machine, same clock), and whether each event's
// position follows the previous one.
//
// Messages from the parent: {type: 'reset'} clears the counters; {type: 'report'} answers
// {received, lastArrival, latencies: Float64Array, disconnects, outOfOrder}; {type: 'close'} disconnects all.
import { parentPort, workerData } from 'node:worker_threads';

const { url, count, ioClientPath } = workerData;
const { io } = await import(ioClientPath);

const now = () => performance.timeOrigin + performance.now();
let latencies = [];
let received = 0;
let lastArrival = 0;
let disconnects = 0;
let outOfOrder = 0;
const sockets = [];

async function connectOne() {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 20_000 });
  let lastSeq;
  socket.on('model_created', (_model, row, seq) => {
    received += 1;
    lastArrival = now();
    latencies.push(lastArrival - row.sentAt);
    if (lastSeq !== undefined && seq !== lastSeq + 1) outOfOrder += 1;
    lastSeq = seq;
  });
  socket.on('disconnect', () => {
    disconnects += 1;
  });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  // With options, as the React provider subscribes: every event carries its position.
  const answer = await socket.timeout(20_000).emitWithAck('subscribe', 'tick', {});
  if (!answer?.ok) throw new Error(`subscribe refused: ${JSON.stringify(answer)}`);
  sockets.push(socket);
}

// Connect in waves, so that a thousand handshakes do not all time out together.
for (let i = 0; i < count; i += 50) {
  await Promise.all(Array.from({ length: Math.min(50, count - i) }, connectOne));
}
parentPort.postMessage({ type: 'ready' });

parentPort.on('message', (message) => {
  if (message.type === 'reset') {
    latencies = [];
    received = 0;
    lastArrival = 0;
    outOfOrder = 0;
    parentPort.postMessage({ type: 'reset' });
  } else if (message.type === 'report') {
    parentPort.postMessage({
      type: 'report',
      received,
      lastArrival,
      latencies: Float64Array.from(latencies),
      disconnects,
      outOfOrder,
    });
  } else if (message.type === 'close') {
    for (const socket of sockets) socket.close();
    parentPort.postMessage({ type: 'closed' });
  }
});
