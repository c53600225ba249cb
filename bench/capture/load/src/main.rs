//! The capture benchmark's writer (`bench/capture/run.py`): `N` keep-alive HTTP/1.1
//! connections on one thread, each POSTing `{"title": ...}` to a path one request after the
//! other for a fixed time. It does no more than a writer must (write the request, read the
//! status line, the headers and `Content-Length` bytes of body), so that it costs far less CPU
//! than the server it measures.
//!
//! ```text
//! capture-load --url http://127.0.0.1:PORT --connections N --seconds S [--path /api/tasks] [--tag T]
//! ```
//!
//! Prints one JSON line: `{"writes":n,"seconds":s,"failed":n}`; `failed` counts answers that are
//! not 2xx (the run stops at the first one, with exit status 1).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const USAGE: &str = "usage: capture-load --url http://127.0.0.1:PORT --connections N --seconds S \
                     [--path /api/tasks] [--tag T]";

struct Args {
    host: String,
    connections: usize,
    seconds: f64,
    path: String,
    tag: String,
}

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut connections = 4usize;
    let mut seconds = 8.0f64;
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
                seconds = value
                    .parse()
                    .map_err(|e| format!("--seconds `{value}`: {e}"))?;
            }
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
    if connections == 0 || !seconds.is_finite() || seconds <= 0.0 {
        return Err(format!(
            "need at least one connection and a time > 0\n{USAGE}"
        ));
    }
    Ok(Args {
        host,
        connections,
        seconds,
        path,
        tag,
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

/// One connection's writes until `stop`: how many succeeded, and the first failure.
async fn writer(args: &Args, index: usize, stop: Instant) -> (u64, Option<String>) {
    let mut stream = match TcpStream::connect(&args.host).await {
        Ok(s) => s,
        Err(e) => return (0, Some(format!("cannot connect to {}: {e}", args.host))),
    };
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    let mut writes = 0u64;
    while Instant::now() < stop {
        let body = format!("{{\"title\":\"{}-{index}-{writes}\"}}", args.tag);
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            args.path,
            args.host,
            body.len()
        );
        if let Err(e) = stream.write_all(request.as_bytes()).await {
            return (writes, Some(e.to_string()));
        }
        match response(&mut stream, &mut buf).await {
            Ok(status) if (200..300).contains(&status) => writes += 1,
            Ok(status) => return (writes, Some(format!("the server answered {status}"))),
            Err(e) => return (writes, Some(e)),
        }
    }
    (writes, None)
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
    let (writes, failed, seconds) = runtime.block_on(async {
        let started = Instant::now();
        let stop = started + Duration::from_secs_f64(args.seconds);
        let mut set = tokio::task::JoinSet::new();
        let args = std::sync::Arc::new(args);
        for index in 0..args.connections {
            let args = args.clone();
            set.spawn(async move { writer(&args, index, stop).await });
        }
        let (mut writes, mut failed) = (0u64, Vec::new());
        while let Some(done) = set.join_next().await {
            let (n, error) = done.unwrap_or((0, Some("a writer panicked".to_owned())));
            writes += n;
            failed.extend(error);
        }
        (writes, failed, started.elapsed().as_secs_f64())
    });
    println!(
        "{{\"writes\":{writes},\"seconds\":{seconds:.3},\"failed\":{}}}",
        failed.len()
    );
    for e in &failed {
        eprintln!("capture-load: {e}");
    }
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
