//! The writer of the capture benchmark (`bench/capture/run.py`) and of the pages' burst
//! (`examples/demo/web/e2e/support/scenarios.mjs`): `N` keep-alive HTTP/1.1 connections on one
//! thread, each POSTing `{"title": ...}` to a path one request after the other, for a fixed
//! time (`--seconds`) or until `--count` requests in all were answered. It does no more than a
//! writer must (write the request, read the status line, the headers and `Content-Length` bytes
//! of body), so that it costs far less CPU than the server and the pages it measures.
//!
//! ```text
//! capture-load --url http://127.0.0.1:PORT --connections N (--seconds S | --count C)
//!              [--path /api/tasks] [--tag T] [--title 'Burst task {n}']
//! ```
//!
//! Titles are `T-connection-k` (`--tag`), or `--title` with `{n}` replaced by the request's
//! number, 1 to C, in the order the requests are sent.
//!
//! Prints one JSON line: `{"writes":n,"seconds":s,"failed":n,"started_unix_ms":t,
//! "last_answer_unix_ms":t,"latency_ms":{"p50":x,"p99":x,"max":x}}`: the times are the wall
//! clock's (milliseconds since 1970, as a page's `Date.now()`), when the first request was sent
//! and when the last answer was read; the latencies, from a request's first byte written to its
//! answer's last byte read. `failed` counts connections that ended on an error: an answer that is
//! not 2xx, or a broken connection (the run stops at the first, with exit status 1).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const USAGE: &str = "usage: capture-load --url http://127.0.0.1:PORT --connections N \
                     (--seconds S | --count C) [--path /api/tasks] [--tag T] [--title 'Task {n}']";

/// When the writers stop.
enum Until {
    /// After this long.
    Seconds(f64),
    /// Once this many requests in all were sent (and answered).
    Count(u64),
}

struct Args {
    host: String,
    connections: usize,
    until: Until,
    path: String,
    tag: String,
    /// A title template: `{n}` is the request's number.
    title: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut connections = 4usize;
    let mut seconds = None;
    let mut count = None;
    let mut title = None;
    let mut path = "/api/tasks".to_owned();
    let mut tag = "load".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .ok_or_else(|| format!("`{flag}` needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--url" => url = Some(value),
            "--connections" => {
                connections = value
                    .parse()
                    .map_err(|e| format!("--connections `{value}`: {e}"))?;
            }
            "--seconds" => {
                let s: f64 = value
                    .parse()
                    .map_err(|e| format!("--seconds `{value}`: {e}"))?;
                if !s.is_finite() || s <= 0.0 {
                    return Err(format!("--seconds `{value}`: needs a time > 0\n{USAGE}"));
                }
                seconds = Some(s);
            }
            "--count" => {
                let c: u64 = value
                    .parse()
                    .map_err(|e| format!("--count `{value}`: {e}"))?;
                if c == 0 {
                    return Err(format!(
                        "--count `{value}`: needs at least one request\n{USAGE}"
                    ));
                }
                count = Some(c);
            }
            "--title" => title = Some(value),
            "--path" => path = value,
            "--tag" => tag = value,
            _ => return Err(format!("unknown option `{flag}`\n{USAGE}")),
        }
    }
    let url = url.ok_or_else(|| USAGE.to_owned())?;
    let host = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}`: only http:// URLs are written to"))?
        .trim_end_matches('/')
        .to_owned();
    if connections == 0 {
        return Err(format!("--connections: needs at least one\n{USAGE}"));
    }
    let until = match (seconds, count) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "--seconds and --count: give one, not both\n{USAGE}"
            ));
        }
        (Some(s), None) => Until::Seconds(s),
        (None, Some(c)) => Until::Count(c),
        (None, None) => Until::Seconds(8.0),
    };
    Ok(Args {
        host,
        connections,
        until,
        path,
        tag,
        title,
    })
}

/// Reads one response on `stream` (into `buf`, which keeps bytes of a next one, though a
/// writer that waits for each answer never gets any): its status code.
async fn response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<u16, String> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).map_err(|e| e.to_string())?;
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| format!("not an HTTP answer: {head:?}"))?;
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .ok_or_else(|| format!("an answer without Content-Length: {head:?}"))?;
            let total = end + 4 + length;
            while buf.len() < total {
                read_more(stream, buf).await?;
            }
            buf.drain(..total);
            return Ok(status);
        }
        read_more(stream, buf).await?;
    }
}

async fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
    if n == 0 {
        return Err("the server closed the connection".to_owned());
    }
    buf.extend_from_slice(&chunk[..n]);
    Ok(())
}

/// `text` as a JSON string, quotes included.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// What the writers share: the arguments, the next request's number (`--count`), and when to
/// stop (`--seconds`).
struct Shared {
    args: Args,
    next: AtomicU64,
    stop: Instant,
}

/// One connection's work: its answered writes' latencies, when its last answer came, and the
/// error it ended on.
struct Written {
    latencies: Vec<Duration>,
    last_answer: Option<Instant>,
    error: Option<String>,
}

/// One connection's writes until the run's end.
async fn writer(shared: &Shared, index: usize) -> Written {
    let args = &shared.args;
    let mut done = Written {
        latencies: Vec::new(),
        last_answer: None,
        error: None,
    };
    let mut stream = match TcpStream::connect(&args.host).await {
        Ok(s) => s,
        Err(e) => {
            done.error = Some(format!("cannot connect to {}: {e}", args.host));
            return done;
        }
    };
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        let number = match args.until {
            Until::Seconds(_) => {
                if Instant::now() >= shared.stop {
                    break;
                }
                done.latencies.len() as u64
            }
            Until::Count(count) => {
                let n = shared.next.fetch_add(1, Ordering::Relaxed);
                if n >= count {
                    break;
                }
                n
            }
        };
        let title = match &args.title {
            Some(template) => template.replace("{n}", &(number + 1).to_string()),
            None => format!("{}-{index}-{number}", args.tag),
        };
        let body = format!("{{\"title\":{}}}", json_string(&title));
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            args.path,
            args.host,
            body.len()
        );
        let sent = Instant::now();
        if let Err(e) = stream.write_all(request.as_bytes()).await {
            done.error = Some(e.to_string());
            break;
        }
        match response(&mut stream, &mut buf).await {
            Ok(status) if (200..300).contains(&status) => {
                let answered = Instant::now();
                done.latencies.push(answered - sent);
                done.last_answer = Some(answered);
            }
            Ok(status) => {
                done.error = Some(format!("the server answered {status}"));
                break;
            }
            Err(e) => {
                done.error = Some(e);
                break;
            }
        }
    }
    done
}

/// Milliseconds since 1970 at `at`, from the wall clock read at `start` (as `Date.now()`).
fn unix_ms(start: (Instant, SystemTime), at: Instant) -> f64 {
    let since = start.1.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    (since + at.saturating_duration_since(start.0)).as_secs_f64() * 1e3
}

/// The latency at quantile `q` (0..=1) of sorted `latencies`, in ms.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q) as usize).min(sorted.len() - 1);
    sorted[i].as_secs_f64() * 1e3
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("capture-load: no runtime: {e}");
            std::process::exit(2);
        }
    };
    let start = (Instant::now(), SystemTime::now());
    let (mut latencies, last_answer, failed, seconds) = runtime.block_on(async {
        let seconds = match args.until {
            Until::Seconds(s) => s,
            Until::Count(_) => 0.0,
        };
        let shared = Arc::new(Shared {
            stop: start.0 + Duration::from_secs_f64(seconds),
            next: AtomicU64::new(0),
            args,
        });
        let mut set = tokio::task::JoinSet::new();
        for index in 0..shared.args.connections {
            let shared = shared.clone();
            set.spawn(async move { writer(&shared, index).await });
        }
        let (mut latencies, mut last_answer, mut failed) = (Vec::new(), None, Vec::new());
        while let Some(done) = set.join_next().await {
            let done = done.unwrap_or_else(|_| Written {
                latencies: Vec::new(),
                last_answer: None,
                error: Some("a writer panicked".to_owned()),
            });
            latencies.extend(done.latencies);
            last_answer = last_answer.max(done.last_answer);
            failed.extend(done.error);
        }
        (
            latencies,
            last_answer,
            failed,
            start.0.elapsed().as_secs_f64(),
        )
    });
    latencies.sort_unstable();
    let last_answer = last_answer.map_or(0.0, |at| unix_ms(start, at));
    println!(
        "{{\"writes\":{},\"seconds\":{seconds:.3},\"failed\":{},\"started_unix_ms\":{:.1},\
         \"last_answer_unix_ms\":{last_answer:.1},\"latency_ms\":{{\"p50\":{:.3},\"p99\":{:.3},\
         \"max\":{:.3}}}}}",
        latencies.len(),
        failed.len(),
        unix_ms(start, start.0),
        quantile_ms(&latencies, 0.5),
        quantile_ms(&latencies, 0.99),
        quantile_ms(&latencies, 1.0),
    );
    for e in &failed {
        eprintln!("capture-load: {e}");
    }
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
