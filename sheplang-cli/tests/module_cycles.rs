//! No two source files of the CLI or the compiler core import each other, directly or around a
//! loop: a file's `crate::` and `super::` paths name the files it depends on, and that graph
//! has no cycle (comment lines, such as doc links, are not imports). A module's own submodules are part of it (they may use their parent's items),
//! so edges between a file and its ancestors or descendants do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its module path (`["parser", "decl"]`; the crate root is
/// `[]`).
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("a source folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .and_then(|n| n.to_str())
            .expect("a file name")
            .to_owned();
        if path.is_dir() {
            let mut inner = prefix.to_vec();
            inner.push(name);
            modules(&path, &inner, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut module = prefix.to_vec();
            if !["mod", "lib", "main"].contains(&name.as_str()) {
                module.push(name);
            }
            out.insert(module, path);
        }
    }
}

/// The module paths a file names: `crate::a::b`, `crate::{a, b::c}`, `super::x`.
fn references(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    for root in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(root) {
            let start = from + at;
            from = start + root.len();
            // A whole word: not `my_crate::`.
            if start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
                continue;
            }
            let mut base: Vec<String> = if root == "crate::" {
                Vec::new()
            } else {
                // `super` is the parent module, for a `mod.rs` file as for any other.
                module[..module.len().saturating_sub(1)].to_vec()
            };
            let mut rest = &text[from..];
            // Further `super::`s.
            while let Some(r) = rest.strip_prefix("super::") {
                base.pop();
                rest = r;
            }
            if let Some(group) = rest.strip_prefix('{') {
                // The entries of the group at its top level.
                let mut depth = 0;
                let mut item = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.push(path_of(&base, item.trim()));
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    if depth == 0 {
                        item.push(c);
                    }
                }
                out.push(path_of(&base, item.trim()));
            } else {
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                out.push(path_of(&base, &path));
            }
        }
    }
    out
}

fn path_of(base: &[String], path: &str) -> Vec<String> {
    let mut out = base.to_vec();
    out.extend(
        path.split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty() && *s != "self")
            .map(str::to_owned),
    );
    out
}

/// The cycles of the file graph of one crate's `src`, as lists of files.
fn cycles(src: &Path) -> Vec<String> {
    let mut files = BTreeMap::new();
    modules(src, &[], &mut files);
    let mut edges: BTreeMap<&Vec<String>, BTreeSet<&Vec<String>>> = BTreeMap::new();
    for (module, path) in &files {
        let text = fs::read_to_string(path).expect("a readable source file");
        // Comment lines (doc links name modules without importing them).
        let text: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for reference in references(&text, module) {
            // The longest module prefix of the path is the file it names.
            let target = (0..=reference.len())
                .rev()
                .map(|n| &reference[..n])
                .find_map(|p| files.get_key_value(p).map(|(k, _)| k));
            let Some(target) = target else { continue };
            let related = target.starts_with(module) || module.starts_with(target);
            if !related {
                edges.entry(module).or_default().insert(target);
            }
        }
    }
    // Depth-first search for a back edge.
    let mut found = Vec::new();
    let mut done: BTreeSet<&Vec<String>> = BTreeSet::new();
    for start in files.keys() {
        let mut stack: Vec<&Vec<String>> = Vec::new();
        visit(start, &edges, &mut stack, &mut done, &mut found);
    }
    found
}

fn visit<'a>(
    node: &'a Vec<String>,
    edges: &BTreeMap<&'a Vec<String>, BTreeSet<&'a Vec<String>>>,
    stack: &mut Vec<&'a Vec<String>>,
    done: &mut BTreeSet<&'a Vec<String>>,
    found: &mut Vec<String>,
) {
    if let Some(at) = stack.iter().position(|n| *n == node) {
        let names: Vec<String> = stack[at..]
            .iter()
            .chain([&node])
            .map(|m| format!("crate::{}", m.join("::")))
            .collect();
        found.push(names.join(" -> "));
        return;
    }
    if done.contains(node) {
        return;
    }
    stack.push(node);
    for next in edges.get(node).into_iter().flatten() {
        visit(next, edges, stack, done, found);
    }
    stack.pop();
    done.insert(node);
}

#[test]
fn no_file_imports_itself_around_a_loop() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for krate in ["src", "../sheplang-core/src"] {
        let found = cycles(&root.join(krate));
        assert!(
            found.is_empty(),
            "import cycles in {krate}:\n{}",
            found.join("\n")
        );
    }
}

#[test]
fn the_checker_finds_a_cycle() {
    let dir = std::env::temp_dir().join(format!("sheplang-cycles-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("a scratch folder");
    fs::write(dir.join("main.rs"), "mod a;\nmod b;\n").expect("written");
    fs::write(dir.join("a.rs"), "use crate::b::B;\npub struct A;\n").expect("written");
    fs::write(dir.join("b.rs"), "use crate::{a::A, c};\npub struct B;\n").expect("written");
    let found = cycles(&dir);
    fs::remove_dir_all(&dir).expect("removed");
    assert_eq!(found, ["crate::a -> crate::b -> crate::a"]);
}
