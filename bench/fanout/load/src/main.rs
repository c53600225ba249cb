//! The fan-out benchmark's load client: `N` Socket.IO subscribers in one process, on raw
//! WebSocket frames (Engine.IO v4, Socket.IO v5 text packets), on one thread. It does no more
//! than a subscriber must (the handshake, `40`, one `subscribe` with options, answering
//! pings, reading each event's position and `sentAt`), so that it costs far less CPU than the
//! server it measures.
//!
//! ```text
//! fanout-load --url http://127.0.0.1:PORT --connections N [--channel tick] [--filter-teams T]
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
//! | `close` | `{"type":"closed"}`, then it exits |
//!
//! A latency is the event's `sentAt` (the server's clock, milliseconds since the Unix epoch)
//! to its arrival here; `lastArrival` is on the same clock. `outOfOrder` counts events whose
//! position is not one more than the connection's previous one (a gap or a duplicate).

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

const USAGE: &str = "usage: fanout-load --url http://127.0.0.1:PORT --connections N \
                     [--channel NAME] [--filter-teams T]";

/// How many connections open at once.
const WAVE: usize = 50;

#[derive(Default)]
struct Stats {
    received: u64,
    last_arrival: f64,
    disconnects: u64,
    out_of_order: u64,
    latencies: Vec<f64>,
}

type Shared = Rc<RefCell<Stats>>;

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

struct Options {
    url: String,
    connections: usize,
    channel: String,
    /// Filter connection `i` on `team = t<i % T>`; 0: no filter.
    filter_teams: usize,
}

fn options() -> Result<Options, String> {
    let mut url = None;
    let mut connections = None;
    let mut channel = "tick".to_owned();
    let mut filter_teams = 0;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("`{name}` needs a value"));
        match arg.as_str() {
            "--url" => url = Some(value("--url")?),
            "--connections" => {
                connections = Some(
                    value("--connections")?
                        .parse::<usize>()
                        .map_err(|e| format!("`--connections`: {e}"))?,
                );
            }
            "--channel" => channel = value("--channel")?,
            "--filter-teams" => {
                filter_teams = value("--filter-teams")?
                    .parse::<usize>()
                    .map_err(|e| format!("`--filter-teams`: {e}"))?;
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let url = url.ok_or("`--url` is required")?;
    let ws = url
        .strip_prefix("http://")
        .map(|rest| format!("ws://{}", rest.trim_end_matches('/')))
        .ok_or(format!("`--url` must start with `http://`, not `{url}`"))?;
    Ok(Options {
        url: format!("{ws}/socket.io/?EIO=4&transport=websocket"),
        connections: connections.ok_or("`--connections` is required")?,
        channel,
        filter_teams,
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
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1);
        });
    let local = tokio::task::LocalSet::new();
    if let Err(e) = local.block_on(&runtime, run(options)) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run(options: Options) -> Result<(), String> {
    let stats = Shared::default();
    let mut opened = 0;
    while opened < options.connections {
        let wave = WAVE.min(options.connections - opened);
        let mut waiting = Vec::with_capacity(wave);
        for _ in 0..wave {
            let (ready, subscribed) = tokio::sync::oneshot::channel();
            let (url, channel, stats) =
                (options.url.clone(), options.channel.clone(), stats.clone());
            let index = opened + waiting.len();
            let filter = (options.filter_teams > 0).then(
                || serde_json::json!({ "team": format!("t{}", index % options.filter_teams) }),
            );
            tokio::task::spawn_local(async move {
                if let Err(e) = subscriber(&url, &channel, filter.as_ref(), &stats, ready).await {
                    eprintln!("fanout-load: a connection failed: {e}");
                }
                stats.borrow_mut().disconnects += 1;
            });
            waiting.push(subscribed);
        }
        for subscribed in waiting {
            subscribed
                .await
                .map_err(|_| "a connection closed before it was subscribed".to_owned())?;
        }
        opened += wave;
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
                let mut s = stats.borrow_mut();
                let disconnects = s.disconnects;
                *s = Stats {
                    disconnects,
                    ..Stats::default()
                };
                r#"{"type":"reset"}"#.to_owned()
            }
            "report" => report(&stats.borrow()),
            "count" => format!(
                r#"{{"type":"count","received":{}}}"#,
                stats.borrow().received
            ),
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

fn report(s: &Stats) -> String {
    let mut out = String::with_capacity(96 + s.latencies.len() * 8);
    let _ = write!(
        out,
        r#"{{"type":"report","received":{},"lastArrival":{:.3},"disconnects":{},"outOfOrder":{},"latencies":["#,
        s.received, s.last_arrival, s.disconnects, s.out_of_order
    );
    for (i, latency) in s.latencies.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{latency:.3}");
    }
    out.push_str("]}");
    out
}

/// One subscriber: handshake, subscribe with options, then count events until the end.
async fn subscriber(
    url: &str,
    channel: &str,
    filter: Option<&serde_json::Value>,
    stats: &Shared,
    ready: tokio::sync::oneshot::Sender<()>,
) -> Result<(), String> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
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
                let mut s = stats.borrow_mut();
                s.received += 1;
                s.last_arrival = arrival;
                if let Some(sent_at) = sent_at {
                    s.latencies.push(arrival - sent_at);
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
