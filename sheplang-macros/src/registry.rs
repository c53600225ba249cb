//! Specs registered by `build.rs`: `sheplang-build` writes each spec's checked IR to
//! `$OUT_DIR/sheplang/<stem>.ir.json`, and the derive reads it at expansion time (cynic's
//! schema registration). `OUT_DIR` is set by Cargo for every crate that has a build script.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use sheplang_core::ir;
use sheplang_core::suggest;
use syn::LitStr;

use crate::errors::code_list;
use crate::file::Loaded;

/// The IR of the spec registered under `name` (a file stem such as `tasks`).
///
/// # Errors
/// On `name`'s literal: no build script, a spec the build script does not compile, or an IR
/// that cannot be read. Each message says what to add to `build.rs`.
pub(crate) fn load(name: &LitStr) -> Result<Loaded, syn::Error> {
    let stem = name.value();
    let span = name.span();
    let add = format!(
        "sheplang_build::compile_or_exit(\"specs/{}.shep\");",
        stem.escape_debug()
    );
    if stem.is_empty() || stem.contains(['/', '\\']) || stem.ends_with(".shep") {
        let bare = Path::new(&stem)
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("app");
        return Err(syn::Error::new(
            span,
            format!(
                "`spec` names a registered spec by its file stem, not a path\nhelp: write \
                 `spec = \"{bare}\"` for `specs/{bare}.shep`, or `file = \"{}\"` to read the file \
                 without a build script",
                stem.escape_debug()
            ),
        ));
    }
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        return Err(syn::Error::new(
            span,
            format!(
                "the spec `{stem}` is not registered: this crate has no build script \
                 (`OUT_DIR` is not set)\nhelp: add `build.rs` with `fn main() {{ {add} }}`, and \
                 `sheplang-build` under `[build-dependencies]`"
            ),
        ));
    };
    let folder = PathBuf::from(out_dir).join("sheplang");
    let path = folder.join(format!("{stem}.ir.json"));
    let json = match std::fs::read_to_string(&path) {
        Ok(json) => json,
        Err(_) => return Err(unregistered(&stem, &folder, &add, span)),
    };
    let spec: ir::Spec = serde_json::from_str(&json).map_err(|e| {
        syn::Error::new(
            span,
            format!(
                "cannot read the registered spec `{stem}` (`$OUT_DIR/sheplang/{stem}.ir.json`): \
                 {e}\nhelp: `sheplang-build` and `sheplang` must be the same version; update \
                 both, then rebuild"
            ),
        )
    })?;
    let track = track(&path, span);
    Ok(Loaded { spec, track })
}

/// The error for a stem without an IR file, with the registered stems as suggestions.
fn unregistered(stem: &str, folder: &Path, add: &str, span: Span) -> syn::Error {
    let mut registered: Vec<String> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".ir.json").map(str::to_owned)
        })
        .collect();
    registered.sort();
    let mut message = format!(
        "the spec `{stem}` is not registered: the build script compiles no `{stem}.shep` \
         (`$OUT_DIR/sheplang/{stem}.ir.json` does not exist)"
    );
    if let Some(close) = suggest::closest(stem, registered.iter().map(String::as_str)) {
        message.push_str(&format!("\nhelp: did you mean `{close}`?"));
    }
    if folder.join(format!("{stem}.rs")).is_file() {
        message.push_str(
            "\nhelp: the build script compiles it with `emit_ir(false)`; the derive reads the IR, \
             so remove that setting",
        );
    } else {
        message.push_str(&format!(
            "\nhelp: add it to `fn main` in `build.rs`: `{add}`"
        ));
    }
    if !registered.is_empty() {
        message.push_str(&format!(
            "\nnote: the registered specs are {}",
            code_list(&registered)
        ));
    }
    syn::Error::new(span, message)
}

/// `const _: &[u8] = include_bytes!("<path>");` so that rustc rebuilds when the IR changes.
fn track(path: &Path, span: Span) -> TokenStream {
    match path.to_str() {
        Some(text) => {
            let lit = LitStr::new(text, span);
            quote_spanned!(span=> const _: &[u8] = ::core::include_bytes!(#lit);)
        }
        // A rebuild of the build script rebuilds the crate anyway.
        None => TokenStream::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(name: &str) -> String {
        match load(&LitStr::new(name, Span::call_site())) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn without_a_build_script_says_what_to_add() {
        // Unit tests run without `OUT_DIR` (this crate has no build script).
        if std::env::var_os("OUT_DIR").is_some() {
            return;
        }
        let m = message("tasks");
        assert!(m.contains("the spec `tasks` is not registered"), "{m}");
        assert!(
            m.contains("sheplang_build::compile_or_exit(\"specs/tasks.shep\");"),
            "{m}"
        );
        assert!(
            m.contains("`sheplang-build` under `[build-dependencies]`"),
            "{m}"
        );
    }

    #[test]
    fn a_path_is_not_a_spec_name() {
        let m = message("specs/tasks.shep");
        assert!(m.contains("write `spec = \"tasks\"`"), "{m}");
    }
}
