//! The fan-out benchmark's load client: `N` Socket.IO subscribers in one process, on raw
//! WebSocket frames (Engine.IO v4, Socket.IO v5 text packets), on one thread or `T` (each a
//! single-threaded runtime holding every `T`-th connection). It does no more than a subscriber
//! must (the handshake, `40`, one `subscribe` with options, answering pings, reading each
//! event's position and `sentAt`), so that it costs far less CPU than the server it measures:
//! its WebSocket read buffer is 8 KiB, not tungstenite's 128 KiB, which it would zero on every
//! read (most of this client's CPU when each read holds one event); `--read-buffer` sets it.
//!
//! ```text
//! fanout-load --url http://127.0.0.1:PORT --connections N [--threads T] [--channel tick]
//!             [--filter-teams T] [--read-buffer BYTES]
//! ```
//!
//! With `--filter-teams T` (`bench/filter`), connection `i` subscribes with the filter
//! `{ team: "t<i % T>" }` (`docs/wire.md`, "Filtered subscriptions"): its positions have gaps
//! then, and `outOfOrder` counts only a position that does not go up.
//!
//! Prints `{"type":"ready"}` once every connection is subscribed, then reads one command a
//! line on stdin and answers one JSON line on stdout:
//!
//! | command | answer |
//! |---|---|
//! | `reset` | `{"type":"reset"}`: counters and latencies cleared |
//! | `report` | `{"type":"report","received":n,"lastArrival":ms,"disconnects":n,"outOfOrder":n,"latencies":[ms,...]}` |
//! | `count` | `{"type":"count","received":n}`: what `report` says of `received`, without the latencies (cheap to ask often) |
//! | `timeline` | `{"type":"timeline","events":[[seq,sentAt,first,last,n],...]}`: per position since the last `reset`, the event's `sentAt`, its first and last arrival here (ms, the same clock) and how many connections got it |
//! | `close` | `{"type":"closed"}`, then it exits |
//!
//! A latency is the event's `sentAt` (the server's clock, milliseconds since the Unix epoch)
//! to its arrival here; `lastArrival` is on the same clock. `outOfOrder` counts events whose
//! position is not one more than the connection's previous one (a gap or a duplicate).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const USAGE: &str = "usage: fanout-load --url http://127.0.0.1:PORT --connections N \
                     [--threads T] [--channel NAME] [--filter-teams T] [--read-buffer BYTES]";

/// How many connections open at once, on each thread.
const WAVE: usize = 50;

/// The WebSocket read buffer of each connection, by default. tungstenite zeroes the free part
/// of its read buffer before every read (128 KiB by default): with one small event a read,
/// that was most of this client's CPU.
const READ_BUFFER: usize = 8 * 1024;

/// What the connections of one thread counted since the last `reset`.
#[derive(Default)]
struct Stats {
    received: u64,
    last_arrival: f64,
    disconnects: u64,
    out_of_order: u64,
    latencies: Vec<f64>,
    /// Per position: when the event was sent and when it arrived here.
    events: HashMap<u64, Arrivals>,
}

/// One event's arrivals at the connections of a thread (or of the process, merged).
#[derive(Debug, Clone, Copy)]
struct Arrivals {
    sent_at: f64,
    first: f64,
    last: f64,
    count: u64,
}

impl Arrivals {
    fn merge(&mut self, other: &Arrivals) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.count += other.count;
    }
}

/// One thread's counters: locked by that thread for each event, and by the command loop when
/// it answers (never held across an await).
type Shared = Arc<Mutex<Stats>>;

fn lock(stats: &Shared) -> MutexGuard<'_, Stats> {
    stats.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[derive(Clone)]
struct Options {
    url: String,
    connections: usize,
    threads: usize,
    channel: String,
    /// Filter connection `i` on `team = t<i % T>`; 0: no filter.
    filter_teams: usize,
    read_buffer: usize,
}

fn options() -> Result<Options, String> {
    let mut url = None;
    let mut connections = None;
    let mut threads = 1;
    let mut channel = "tick".to_owned();
    let mut filter_teams = 0;
    let mut read_buffer = READ_BUFFER;
    let mut args = std::env::args().skip(1);
    let number =
        |name: &str, value: String| value.parse::<usize>().map_err(|e| format!("`{name}`: {e}"));
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("`{name}` needs a value"));
        match arg.as_str() {
            "--url" => url = Some(value("--url")?),
            "--connections" => {
                connections = Some(number("--connections", value("--connections")?)?)
            }
            "--threads" => threads = number("--threads", value("--threads")?)?,
            "--channel" => channel = value("--channel")?,
            "--filter-teams" => filter_teams = number("--filter-teams", value("--filter-teams")?)?,
            "--read-buffer" => read_buffer = number("--read-buffer", value("--read-buffer")?)?,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if threads == 0 {
        return Err("`--threads` must be at least 1".to_owned());
    }
    if read_buffer < 1024 {
        return Err(format!(
            "`--read-buffer` must be at least 1024 bytes, not {read_buffer}"
        ));
    }
    let url = url.ok_or("`--url` is required")?;
    let ws = url
        .strip_prefix("http://")
        .map(|rest| format!("ws://{}", rest.trim_end_matches('/')))
        .ok_or(format!("`--url` must start with `http://`, not `{url}`"))?;
    Ok(Options {
        url: format!("{ws}/socket.io/?EIO=4&transport=websocket"),
        connections: connections.ok_or("`--connections` is required")?,
        threads,
        channel,
        filter_teams,
        read_buffer,
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        })
}

fn main() {
    let options = match options() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}\n  = help: {USAGE}");
            std::process::exit(2);
        }
    };
    // Thread `w` holds connections `w`, `w + T`, `w + 2T`, ... on a runtime of its own; this
    // thread reads the commands.
    let threads = options.threads.min(options.connections).max(1);
    let mut shards = Vec::with_capacity(threads);
    let mut opened = Vec::with_capacity(threads);
    for worker in 0..threads {
        let stats = Shared::default();
        let (done, ready) = tokio::sync::oneshot::channel();
        let (options, shard) = (options.clone(), stats.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("load-{worker}"))
            .spawn(move || {
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime(), async move {
                    let _ = done.send(open(&options, worker, threads, &shard).await);
                    // The connections' tasks run as long as this does: until the process exits.
                    std::future::pending::<()>().await;
                });
            });
        if let Err(e) = spawned {
            eprintln!("error: cannot start a thread: {e}");
            std::process::exit(1);
        }
        shards.push(stats);
        opened.push(ready);
    }
    if let Err(e) = runtime().block_on(commands(&shards, opened)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// Opens thread `worker`'s share of the connections, `WAVE` at a time; returns once each is
/// subscribed.
async fn open(
    options: &Options,
    worker: usize,
    threads: usize,
    stats: &Shared,
) -> Result<(), String> {
    let indices: Vec<usize> = (worker..options.connections).step_by(threads).collect();
    for wave in indices.chunks(WAVE) {
        let mut waiting = Vec::with_capacity(wave.len());
        for &index in wave {
            let (ready, subscribed) = tokio::sync::oneshot::channel();
            let (url, channel, stats) =
                (options.url.clone(), options.channel.clone(), stats.clone());
            let read_buffer = options.read_buffer;
            let filter = (options.filter_teams > 0).then(
                || serde_json::json!({ "team": format!("t{}", index % options.filter_teams) }),
            );
            tokio::task::spawn_local(async move {
                let config = WebSocketConfig::default().read_buffer_size(read_buffer);
                if let Err(e) =
                    subscriber(&url, config, &channel, filter.as_ref(), &stats, ready).await
                {
                    eprintln!("fanout-load: a connection failed: {e}");
                }
                lock(&stats).disconnects += 1;
            });
            waiting.push(subscribed);
        }
        for subscribed in waiting {
            subscribed
                .await
                .map_err(|_| "a connection closed before it was subscribed".to_owned())?;
        }
    }
    Ok(())
}

/// Waits until every thread has its connections subscribed, says `ready`, then answers the
/// commands read on stdin.
async fn commands(
    shards: &[Shared],
    opened: Vec<tokio::sync::oneshot::Receiver<Result<(), String>>>,
) -> Result<(), String> {
    for ready in opened {
        ready
            .await
            .map_err(|_| "a thread of connections stopped".to_owned())??;
    }
    let mut stdout = tokio::io::stdout();
    let say = |line: String| line + "\n";
    stdout
        .write_all(say(r#"{"type":"ready"}"#.to_owned()).as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    stdout.flush().await.map_err(|e| e.to_string())?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        let answer = match line.trim() {
            "reset" => {
                for shard in shards {
                    let mut s = lock(shard);
                    let disconnects = s.disconnects;
                    *s = Stats {
                        disconnects,
                        ..Stats::default()
                    };
                }
                r#"{"type":"reset"}"#.to_owned()
            }
            "report" => report(shards),
            "count" => format!(
                r#"{{"type":"count","received":{}}}"#,
                shards.iter().map(|s| lock(s).received).sum::<u64>()
            ),
            "timeline" => timeline(shards),
            "close" => {
                stdout
                    .write_all(say(r#"{"type":"closed"}"#.to_owned()).as_bytes())
                    .await
                    .map_err(|e| e.to_string())?;
                stdout.flush().await.map_err(|e| e.to_string())?;
                return Ok(());
            }
            other => format!(
                r#"{{"type":"error","message":{}}}"#,
                serde_json::json!(other)
            ),
        };
        stdout
            .write_all(say(answer).as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        stdout.flush().await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn report(shards: &[Shared]) -> String {
    let (mut received, mut last_arrival, mut disconnects, mut out_of_order) = (0, 0.0_f64, 0, 0);
    let mut latencies = Vec::new();
    for shard in shards {
        let s = lock(shard);
        received += s.received;
        last_arrival = last_arrival.max(s.last_arrival);
        disconnects += s.disconnects;
        out_of_order += s.out_of_order;
        latencies.extend_from_slice(&s.latencies);
    }
    let mut out = String::with_capacity(96 + latencies.len() * 8);
    let _ = write!(
        out,
        r#"{{"type":"report","received":{received},"lastArrival":{last_arrival:.3},"disconnects":{disconnects},"outOfOrder":{out_of_order},"latencies":["#
    );
    for (i, latency) in latencies.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{latency:.3}");
    }
    out.push_str("]}");
    out
}

fn timeline(shards: &[Shared]) -> String {
    let mut events: HashMap<u64, Arrivals> = HashMap::new();
    for shard in shards {
        for (seq, arrivals) in &lock(shard).events {
            events
                .entry(*seq)
                .and_modify(|a| a.merge(arrivals))
                .or_insert(*arrivals);
        }
    }
    let mut events: Vec<(u64, Arrivals)> = events.into_iter().collect();
    events.sort_unstable_by_key(|(seq, _)| *seq);
    let mut out = String::with_capacity(32 + events.len() * 64);
    out.push_str(r#"{"type":"timeline","events":["#);
    for (i, (seq, a)) in events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            "[{seq},{:.3},{:.3},{:.3},{}]",
            a.sent_at, a.first, a.last, a.count
        );
    }
    out.push_str("]}");
    out
}

/// One subscriber: handshake, subscribe with options, then count events until the end.
async fn subscriber(
    url: &str,
    config: WebSocketConfig,
    channel: &str,
    filter: Option<&serde_json::Value>,
    stats: &Shared,
    ready: tokio::sync::oneshot::Sender<()>,
) -> Result<(), String> {
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false)
        .await
        .map_err(|e| format!("cannot connect to {url}: {e}"))?;
    let mut ready = Some(ready);
    let mut last_seq: Option<u64> = None;
    while let Some(message) = ws.next().await {
        let text = match message.map_err(|e| e.to_string())? {
            Message::Text(text) => text,
            Message::Close(_) => return Ok(()),
            _ => continue,
        };
        let text = text.as_str();
        if let Some(event) = text.strip_prefix("42") {
            if event.starts_with(r#"["model_created""#) {
                let arrival = now_ms();
                let sent_at = number_after(event, r#""sentAt":"#);
                // The position is the last argument: `...},SEQ]`.
                let seq = event
                    .rsplit_once(',')
                    .and_then(|(_, tail)| tail.trim_end_matches(']').parse::<u64>().ok());
                let mut s = lock(stats);
                s.received += 1;
                s.last_arrival = arrival;
                if let Some(sent_at) = sent_at {
                    s.latencies.push(arrival - sent_at);
                    if let Some(seq) = seq {
                        s.events
                            .entry(seq)
                            .and_modify(|a| {
                                a.last = a.last.max(arrival);
                                a.count += 1;
                            })
                            .or_insert(Arrivals {
                                sent_at,
                                first: arrival,
                                last: arrival,
                                count: 1,
                            });
                    }
                }
                match (last_seq, seq) {
                    // A filtered subscription's positions have gaps: they only go up.
                    (Some(last), Some(seq)) if filter.is_some() && seq <= last => {
                        s.out_of_order += 1;
                    }
                    (Some(last), Some(seq)) if filter.is_none() && seq != last + 1 => {
                        s.out_of_order += 1;
                    }
                    _ => {}
                }
                if seq.is_some() {
                    last_seq = seq;
                }
            }
        } else if text == "2" {
            ws.send(Message::text("3"))
                .await
                .map_err(|e| e.to_string())?;
        } else if text.starts_with('0') {
            ws.send(Message::text("40"))
                .await
                .map_err(|e| e.to_string())?;
        } else if text.starts_with("40") {
            let options = match filter {
                Some(filter) => serde_json::json!({ "filter": filter }),
                None => serde_json::json!({}),
            };
            let subscribe = format!(
                r#"420["subscribe",{},{}]"#,
                serde_json::json!(channel),
                options
            );
            ws.send(Message::text(subscribe))
                .await
                .map_err(|e| e.to_string())?;
        } else if let Some(answer) = text.strip_prefix("430") {
            if !answer.contains(r#""ok":true"#) {
                return Err(format!("the subscribe was refused: {answer}"));
            }
            if let Some(ready) = ready.take() {
                let _ = ready.send(());
            }
        } else if text.starts_with("41") || text.starts_with('1') {
            return Ok(());
        }
    }
    Ok(())
}

/// The number right after `key` in `text`.
fn number_after(text: &str, key: &str) -> Option<f64> {
    let start = text.find(key)? + key.len();
    let rest = &text[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}
