//! Drives `sheplang lsp` over stdio with real JSON-RPC messages, as an editor does.

#[path = "../../sheplang-core/tests/common/mod.rs"]
mod common;
#[path = "../../sheplang-core/tests/common/mutate.rs"]
mod mutate;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

/// How long a reply may take before the test fails (a guard against a hang, not a measurement).
const PATIENCE: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for another one.
    backlog: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sheplang"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start `sheplang lsp`");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let msg: Value = serde_json::from_slice(&body).expect("a JSON message");
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            incoming,
            next_id: 0,
            backlog: Vec::new(),
        };
        let init = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        assert!(
            init["capabilities"]["definitionProvider"]
                .as_bool()
                .unwrap_or(false)
        );
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The first message `pick` accepts (others are kept for later).
    fn wait(&mut self, what: &str, pick: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pick) {
            return self.backlog.remove(i);
        }
        loop {
            let msg = self
                .incoming
                .recv_timeout(PATIENCE)
                .unwrap_or_else(|_| panic!("no {what} from the server"));
            if pick(&msg) {
                return msg;
            }
            self.backlog.push(msg);
        }
    }

    fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(&format!("reply to `{method}`"), |m| m["id"] == id)
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let reply = self.request_raw(method, params);
        assert!(reply.get("error").is_none(), "`{method}` failed: {reply}");
        reply["result"].clone()
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "shep", "version": 1, "text": text } }),
        );
        self.diagnostics(uri, 1)
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": text }]
            }),
        );
        self.diagnostics(uri, version)
    }

    /// The diagnostics published for `uri` at `version`.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let msg = self.wait("diagnostics", |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        msg["params"]["diagnostics"]
            .as_array()
            .expect("a diagnostics array")
            .clone()
    }

    fn at(&mut self, method: &str, uri: &str, line: u32, character: u32, extra: Value) -> Value {
        let mut params = json!({
            "textDocument": { "uri": uri },
            "position": { "line": line, "character": character },
        });
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.request(method, params)
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("the server exits");
        assert!(status.success(), "the server exited with {status}");
    }
}

/// The (line, character) of the `n`th occurrence (0-based) of `needle` in `text`.
fn pos(text: &str, needle: &str, n: usize) -> (u32, u32) {
    let offset = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("`{needle}` #{n} not in the text"))
        .0;
    let line = text[..offset].matches('\n').count();
    let col = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    (line as u32, col as u32)
}

fn range_start(v: &Value) -> (u32, u32) {
    (
        v["start"]["line"].as_u64().expect("a line") as u32,
        v["start"]["character"].as_u64().expect("a character") as u32,
    )
}

const THREE_ERRORS: &str = "\
app Errors {
  data Task {
    fields: {
      done: boolean
      owner: ref[Usr]
    }
  }
  data User {
    fields: { name: text }
  }
  view Board {
    list Tsk
  }
}
";

#[test]
fn diagnostics_follow_the_edits() {
    let mut c = Client::start();
    let uri = "file:///errors.shep";
    let diags = c.open(uri, THREE_ERRORS);
    let mut got: Vec<(String, (u32, u32))> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().expect("a code").to_owned(),
                range_start(&d["range"]),
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        ("E0207".to_owned(), pos(THREE_ERRORS, "boolean", 0)),
        ("E0208".to_owned(), pos(THREE_ERRORS, "Usr", 0)),
        ("E0201".to_owned(), pos(THREE_ERRORS, "Tsk", 0)),
    ];
    want.sort();
    assert_eq!(got, want, "{diags:#?}");
    for d in &diags {
        assert_eq!(d["source"], "sheplang");
        assert_eq!(d["severity"], 1);
        // Each range covers exactly the offending name.
        let r = &d["range"];
        assert_eq!(r["start"]["line"], r["end"]["line"]);
    }
    let boolean = diags.iter().find(|d| d["code"] == "E0207").expect("E0207");
    assert_eq!(
        boolean["range"]["end"]["character"].as_u64(),
        Some(u64::from(pos(THREE_ERRORS, "boolean", 0).1) + 7)
    );
    assert!(boolean["message"].as_str().unwrap_or("").contains("yes/no"));

    // The help names the fix: a quick fix writes it.
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": boolean["range"],
            "context": { "diagnostics": [boolean] }
        }),
    );
    let edit = &actions[0]["edit"]["changes"][uri][0];
    assert_eq!(edit["newText"], "yes/no", "{actions:#}");
    assert_eq!(edit["range"], boolean["range"]);

    // Fix one: two left.
    let fixed = THREE_ERRORS.replace("boolean", "yes/no");
    let diags = c.change(uri, 2, &fixed);
    let mut codes: Vec<&str> = diags.iter().filter_map(|d| d["code"].as_str()).collect();
    codes.sort();
    assert_eq!(codes, ["E0201", "E0208"]);

    // A duplicate carries the first declaration as related information.
    let dup = fixed.replace("data User", "data Task");
    let diags = c.change(uri, 3, &dup);
    let d = diags.iter().find(|d| d["code"] == "E0204").expect("E0204");
    let related = &d["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri);
    assert_eq!(
        range_start(&related["location"]["range"]),
        pos(&dup, "Task", 0)
    );

    // All fixed: none.
    let clean = fixed.replace("Usr", "User").replace("Tsk", "Task");
    assert!(c.change(uri, 4, &clean).is_empty());
    c.shutdown();
}

fn shop() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../sheplang-core/tests/specs/shop-indent.shep");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn navigation_hover_completion_and_formatting() {
    let text = shop();
    let mut c = Client::start();
    let uri = "file:///shop.shep";
    assert!(c.open(uri, &text).is_empty(), "the shop spec compiles");

    // Definition: `ref[Category]` jumps to `data Category`.
    let (l, ch) = pos(&text, "ref[Category]", 0);
    let def = c.at("textDocument/definition", uri, l, ch + 5, json!({}));
    assert_eq!(def["uri"], uri);
    assert_eq!(range_start(&def["range"]), pos(&text, "Category:", 0));
    // A job trigger and `list` resolve to the model, `show` to the view, a button to the action.
    for (needle, n, offset, target) in [
        ("Product.created", 0, 0, "Product:"),
        ("list Product", 0, 5, "Product:"),
        ("show Catalog", 0, 5, "Catalog:"),
        ("-> AddProduct", 0, 3, "AddProduct("),
    ] {
        let (l, ch) = pos(&text, needle, n);
        let def = c.at("textDocument/definition", uri, l, ch + offset, json!({}));
        assert_eq!(
            range_start(&def["range"]),
            pos(&text, target, 0),
            "definition from `{needle}`"
        );
    }

    // References of `Product`, with its declaration.
    let (l, ch) = pos(&text, "Product:", 0);
    let refs = c.at(
        "textDocument/references",
        uri,
        l,
        ch + 1,
        json!({ "context": { "includeDeclaration": true } }),
    );
    let mut got: Vec<(u32, u32)> = refs
        .as_array()
        .expect("locations")
        .iter()
        .map(|r| range_start(&r["range"]))
        .collect();
    got.sort();
    let mut want: Vec<(u32, u32)> = text
        .match_indices("Product")
        .filter(|(i, _)| {
            // Whole words only: not `AddProduct`.
            !text[..*i].ends_with(|c: char| c.is_ascii_alphanumeric())
        })
        .map(|(i, _)| {
            let line = text[..i].matches('\n').count() as u32;
            let col = (i - text[..i].rfind('\n').map_or(0, |j| j + 1)) as u32;
            (line, col)
        })
        .collect();
    want.sort();
    // The comment mentions "Products:", which is no reference.
    want.retain(|&(line, _)| {
        !text
            .lines()
            .nth(line as usize)
            .unwrap_or("")
            .starts_with("/*")
    });
    assert_eq!(got, want);

    // Hover on a field: type, constraints, generated Rust and TypeScript.
    let (l, ch) = pos(&text, "inStock", 0);
    let hover = c.at("textDocument/hover", uri, l, ch + 2, json!({}));
    let value = hover["contents"]["value"].as_str().expect("markdown");
    assert!(value.contains("inStock: yes/no default=true"), "{value}");
    assert!(value.contains("Rust: `Product.in_stock: bool`"), "{value}");
    assert!(
        value.contains("TypeScript: `Product.inStock: boolean`"),
        "{value}"
    );
    let (l, ch) = pos(&text, "category: ref", 0);
    let hover = c.at("textDocument/hover", uri, l, ch + 2, json!({}));
    let value = hover["contents"]["value"].as_str().expect("markdown");
    assert!(
        value.contains("Rust: `Product.category: ::sheplang::Ref<Category>`"),
        "{value}"
    );

    // Completion: a field type offers the built-in types and the models.
    let edited = text.replace("    tags: text[]\n", "    tags: text[]\n    extra: \n");
    c.change(uri, 2, &edited);
    let (l, ch) = pos(&edited, "extra: ", 0);
    let items = c.at("textDocument/completion", uri, l, ch + 7, json!({}));
    let labels: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    for want in ["text", "yes/no", "money", "Product", "Category"] {
        assert!(labels.contains(&want), "`{want}` not offered: {labels:?}");
    }
    assert!(!labels.contains(&"show"), "{labels:?}");
    // After `show`, the views; at the start of a statement, the statement keywords.
    let edited = text.replace("  show Catalog\n", "  show \n");
    c.change(uri, 3, &edited);
    let (l, ch) = pos(&edited, "  show \n", 0);
    let items = c.at("textDocument/completion", uri, l, ch + 7, json!({}));
    assert_eq!(items[0]["label"], "Catalog", "{items}");
    assert_eq!(items.as_array().map(Vec::len), Some(1));
    // After a button's `->`, the actions; at the top level, the declaration keywords.
    let edited = text.replace("  button \"Add\" -> AddProduct\n", "  button \"Add\" -> \n");
    c.change(uri, 30, &edited);
    let (l, ch) = pos(&edited, "button \"Add\" -> ", 0);
    let items = c.at("textDocument/completion", uri, l, ch + 15, json!({}));
    let labels: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(labels, ["AddProduct"]);
    let edited = text.replace("\nflow Restock:", "\nwo\nflow Restock:");
    c.change(uri, 31, &edited);
    let (l, _) = pos(&edited, "\nwo\n", 0);
    let items = c.at("textDocument/completion", uri, l + 1, 2, json!({}));
    let labels: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(
        labels,
        ["data", "view", "action", "flow", "job", "workflow"]
    );

    // Formatting: an unformatted version comes back as the formatted spec.
    let messy = text
        .replace("  fields:\n    title:", "  fields:\n    title:    ")
        .replace("price = price * 2", "price=price*2");
    c.change(uri, 32, &messy);
    let edits = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = edits.as_array().expect("edits");
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], text);

    // The outline lists the declarations and a model's fields.
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .expect("symbols")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Product",
            "Category",
            "Catalog",
            "AddProduct",
            "Restock",
            "Relist",
            "Listing"
        ]
    );
    assert_eq!(symbols[0]["children"][0]["name"], "title");

    // Semantic tokens: every keyword of the first line's `app Shop` is classified.
    let tokens = c.request(
        "textDocument/semanticTokens/full",
        json!({ "textDocument": { "uri": uri } }),
    );
    let data = tokens["data"].as_array().expect("data");
    assert_eq!(data.len() % 5, 0);
    // The first token is the comment on line 0, the next `app` (a keyword) on line 1.
    assert_eq!(data[3].as_u64(), Some(11));
    assert_eq!((data[5].as_u64(), data[8].as_u64()), (Some(1), Some(0)));
    c.shutdown();
}

/// The specs the compiler's robustness test uses: the repository's own (`corpus/` when it is
/// there, and the test specs), and `../shared/conformance` when it is there.
fn robustness_corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs = vec![
        root.join("corpus"),
        root.join("sheplang-core/tests/specs"),
        root.join("examples/demo/specs"),
    ];
    // Says so in one line when the shared corpus is not there.
    if common::shared_present() {
        let shared = common::shared_root();
        dirs.push(shared.join("accept"));
        dirs.push(shared.join("reject"));
    }
    let mut paths = Vec::new();
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "shep") {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

#[test]
fn survives_the_robustness_corpus_and_its_mutations() {
    let corpus = robustness_corpus();
    assert!(!corpus.is_empty());
    let mut c = Client::start();
    let uri = "file:///fuzz.shep";
    c.open(uri, &corpus[0]);
    let mut rng = mutate::Rng(0x1234_5678_9abc_def0);
    let mut version = 1;
    // Prefixes of each spec, then mutations; after each change, every request at a few
    // positions.
    let per_spec = 800 / corpus.len() + 1;
    let mut inputs: Vec<String> = Vec::new();
    for text in &corpus {
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        let step = (cuts.len() / 12).max(1);
        inputs.extend(cuts.iter().step_by(step).map(|&i| text[..i].to_owned()));
        inputs.extend((0..per_spec).map(|_| mutate::mutate(&mut rng, text)));
    }
    for input in &inputs {
        version += 1;
        c.change(uri, version, input);
        let lines = input.lines().count() as u32;
        for line in [0, lines / 2, lines.saturating_sub(1), lines + 3] {
            for method in [
                "textDocument/definition",
                "textDocument/hover",
                "textDocument/completion",
            ] {
                let reply = c.request_raw(
                    method,
                    json!({
                        "textDocument": { "uri": uri },
                        "position": { "line": line, "character": 4 },
                    }),
                );
                assert!(
                    reply.get("error").is_none(),
                    "{method} failed on:\n{input}\n{reply}"
                );
            }
        }
        for method in [
            "textDocument/documentSymbol",
            "textDocument/semanticTokens/full",
        ] {
            c.request(method, json!({ "textDocument": { "uri": uri } }));
        }
        // Formatting either answers or says why not (a syntax error), never crashes.
        let reply = c.request_raw(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
        );
        if let Some(err) = reply.get("error") {
            assert!(
                err["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("syntax error"),
                "{reply}\n{input}"
            );
        }
    }
    c.shutdown();
}

/// The (line, character) of a byte offset.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let line = text[..offset].matches('\n').count();
    let col = text[..offset]
        .rsplit('\n')
        .next()
        .map_or(0, |l| l.encode_utf16().count());
    (line as u32, col as u32)
}

/// The text a range covers.
fn covered<'t>(text: &'t str, range: &Value) -> &'t str {
    let offset = |p: &Value| {
        let (line, ch) = (
            p["line"].as_u64().expect("a line") as usize,
            p["character"].as_u64().expect("a character") as usize,
        );
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        start + ch
    };
    &text[offset(&range["start"])..offset(&range["end"])]
}

/// Over every spec of the corpus that compiles: no error diagnostic; formatting answers what
/// `sheplang fmt` writes; every `ref[X]` and `list X` leads to `data X`, whose references all
/// read `X`; hovering a field names its generated Rust and TypeScript.
#[test]
fn every_corpus_spec_is_navigable_and_formatted_like_fmt() {
    let mut c = Client::start();
    let mut specs = 0;
    for (n, text) in robustness_corpus().into_iter().enumerate() {
        if sheplang_core::compile_str("spec.shep", &text).1.is_err() {
            continue;
        }
        specs += 1;
        let uri = format!("file:///corpus-{n}.shep");
        let diags = c.open(&uri, &text);
        assert!(
            diags.iter().all(|d| d["severity"] != 1),
            "{diags:#?}\n{text}"
        );

        let edits = c.request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
        );
        let want = sheplang_core::format::format_str("spec.shep", &text).expect("formats");
        match edits.as_array().map(Vec::as_slice) {
            Some([]) => assert_eq!(want, text),
            Some([edit]) => assert_eq!(edit["newText"], want),
            other => panic!("unexpected edits {other:?}"),
        }

        let (tree_sources, file) = {
            let mut s = sheplang_core::SourceMap::new();
            let f = s.add("spec.shep", text.clone());
            (s, f)
        };
        let (tree, _) = sheplang_core::parse(&tree_sources, file);
        let Some(app) = tree.app else { continue };
        let models: Vec<_> = app
            .decls
            .iter()
            .filter_map(|d| match d {
                sheplang_core::ast::Decl::Data(d) => Some(d),
                _ => None,
            })
            .collect();
        for model in &models {
            for field in &model.fields {
                // Every model reference in a field type leads to its model.
                if let sheplang_core::ast::BaseType::Ref(m)
                | sheplang_core::ast::BaseType::Named(m) = field.ty.base
                {
                    let (l, ch) = line_col(&text, m.span.start as usize);
                    let def = c.at("textDocument/definition", &uri, l, ch, json!({}));
                    assert_eq!(covered(&text, &def["range"]), m.name, "{text}");
                    let target = models
                        .iter()
                        .find(|d| d.name.name == m.name)
                        .expect("a model");
                    assert_eq!(
                        range_start(&def["range"]),
                        line_col(&text, target.name.span.start as usize)
                    );
                }
                let (l, ch) = line_col(&text, field.name.span.start as usize);
                let hover = c.at("textDocument/hover", &uri, l, ch, json!({}));
                let value = hover["contents"]["value"].as_str().unwrap_or("");
                assert!(
                    value.contains(&format!("{}: ", field.name.name))
                        && value.contains("Rust: `")
                        && value.contains("TypeScript: `"),
                    "hover on `{}`: {value}",
                    field.name.name
                );
            }
            let (l, ch) = line_col(&text, model.name.span.start as usize);
            let refs = c.at(
                "textDocument/references",
                &uri,
                l,
                ch,
                json!({ "context": { "includeDeclaration": true } }),
            );
            let refs = refs.as_array().expect("locations");
            assert!(!refs.is_empty());
            for r in refs {
                assert_eq!(covered(&text, &r["range"]), model.name.name);
            }
        }
    }
    assert!(specs >= 5, "only {specs} corpus specs compiled");
    c.shutdown();
}
