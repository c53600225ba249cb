//! Diagnostics latency of `sheplang lsp` on a 1,000-model spec: the time from sending a
//! `didChange` to receiving the `publishDiagnostics` of that version, over stdio like an editor.
//! Prints the figures and their ratio to the 100 ms goal; asserts nothing about time.
//!
//! Run: `cargo bench -p sheplang-cli --bench lsp`

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const MODELS: usize = 1_000;
const CHANGES: usize = 30;
const GOAL: Duration = Duration::from_millis(100);

fn spec() -> String {
    let mut s = String::from("app Big {\n");
    for i in 0..MODELS {
        s.push_str(&format!(
            "  data Model{i} {{\n    fields: {{\n      title: text required minLength=1\n      \
             count: number min=0\n      done: yes/no default=false\n      due: datetime optional\n"
        ));
        if i > 0 {
            s.push_str(&format!("      parent: ref[Model{}]\n", i - 1));
        }
        s.push_str("    }\n    states: open -> closed\n  }\n");
    }
    for i in (0..MODELS).step_by(10) {
        s.push_str(&format!(
            "  view View{i} {{\n    list Model{i}\n    button \"Add\" -> Add{i}\n  }}\n  \
             action Add{i}(title) {{\n    add Model{i} with title\n    show View{i}\n  }}\n"
        ));
    }
    s.push_str("}\n");
    s
}

fn main() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sheplang"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start `sheplang lsp`");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = channel::<Value>();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        loop {
            let mut len = 0;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    len = n.parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                return;
            }
            if tx
                .send(serde_json::from_slice(&body).unwrap_or(Value::Null))
                .is_err()
            {
                return;
            }
        }
    });
    let mut send = |v: Value| {
        let b = v.to_string();
        write!(stdin, "Content-Length: {}\r\n\r\n{b}", b.len()).expect("write");
        stdin.flush().expect("flush");
    };
    let wait = |pick: &dyn Fn(&Value) -> bool| loop {
        let m = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the server answers");
        if pick(&m) {
            return m;
        }
    };
    send(json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}));
    wait(&|m| m["id"] == 1);
    send(json!({"jsonrpc":"2.0","method":"initialized","params":{}}));

    let text = spec();
    let uri = "file:///big.shep";
    send(
        json!({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{
        "textDocument":{"uri":uri,"languageId":"shep","version":1,"text":text}}}),
    );
    wait(&|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == 1);

    // Alternate a change that breaks one field type and one that fixes it.
    let broken = text.replacen("count: number", "count: numbr", 1);
    let mut times = Vec::new();
    for i in 0..CHANGES {
        let version = i as i64 + 2;
        let body = if i % 2 == 0 { &broken } else { &text };
        let start = Instant::now();
        send(
            json!({"jsonrpc":"2.0","method":"textDocument/didChange","params":{
            "textDocument":{"uri":uri,"version":version},
            "contentChanges":[{"text":body}]}}),
        );
        let m = wait(&|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version
        });
        times.push(start.elapsed());
        let n = m["params"]["diagnostics"].as_array().map_or(0, Vec::len);
        assert_eq!(n, usize::from(i % 2 == 0), "the diagnostics of change {i}");
    }
    send(json!({"jsonrpc":"2.0","id":2,"method":"shutdown","params":null}));
    wait(&|m| m["id"] == 2);
    send(json!({"jsonrpc":"2.0","method":"exit","params":null}));
    let _ = child.wait();

    times.sort();
    let median = times[times.len() / 2];
    let max = times[times.len() - 1];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "sheplang lsp: {MODELS} models, {} lines, {} KiB: diagnostics after a change in \
         median {:.1} ms, max {:.1} ms ({CHANGES} changes)",
        text.lines().count(),
        text.len() / 1024,
        ms(median),
        ms(max)
    );
    println!(
        "goal {:.0} ms: median at {:.2}x of the goal, max at {:.2}x",
        ms(GOAL),
        ms(median) / ms(GOAL),
        ms(max) / ms(GOAL)
    );
}
