//! Specs in files: `sheplang! { file = "specs/app.shep" }` and the derive's `file = "..."`.
//!
//! The path is relative to the crate root (`CARGO_MANIFEST_DIR`), as for pest's grammars. The
//! expansion carries an `include_str!` of the file, so Cargo rebuilds when the file changes.
//! Errors go on the path literal, with `file:line:col` and the spec's source line in the message.

use std::io;
use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use sheplang_core::{Diagnostic, SourceMap, codegen, ir};
use syn::LitStr;
use syn::parse::{Parse, ParseStream};

use crate::errors::Errors;

/// `file = "path"` with an optional trailing comma.
pub(crate) struct FileArg {
    pub(crate) path: LitStr,
}

impl Parse for FileArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: syn::Ident = input.parse()?;
        if key != "file" {
            return Err(syn::Error::new(
                key.span(),
                "expected `file`\nhelp: write `sheplang! { file = \"specs/app.shep\" }`",
            ));
        }
        input.parse::<syn::Token![=]>()?;
        let path: LitStr = input.parse()?;
        if input.peek(syn::Token![,]) {
            input.parse::<syn::Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error(
                "unexpected tokens after the file name\nhelp: `sheplang!` takes one file: \
                 `sheplang! { file = \"specs/app.shep\" }`",
            ));
        }
        Ok(FileArg { path })
    }
}

/// True when the macro input starts like `file = ...` (a spec starts with `app`).
pub(crate) fn is_file_form(tokens: &TokenStream) -> bool {
    let mut iter = tokens.clone().into_iter();
    matches!(iter.next(), Some(proc_macro2::TokenTree::Ident(i)) if i == "file")
        && matches!(iter.next(), Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == '=')
}

/// A spec file, compiled.
pub(crate) struct Loaded {
    pub(crate) spec: ir::Spec,
    /// `const _: &str = include_str!("<absolute path>");`: makes rustc track the file.
    pub(crate) track: TokenStream,
}

/// Reads and compiles the spec named by `path` (relative to `CARGO_MANIFEST_DIR`).
///
/// # Errors
/// Every spec error as its own error on the literal; or one error when the file cannot be read.
pub(crate) fn load(path: &LitStr) -> Result<Loaded, syn::Error> {
    let given = path.value();
    let span = path.span();
    let full = resolve(&given, span)?;
    let text = std::fs::read_to_string(&full).map_err(|e| read_error(&given, &e, span))?;
    let mut sources = SourceMap::new();
    let file = sources.add(given.clone(), text);
    match sheplang_core::compile(&sources, file) {
        Ok(compiled) => {
            let track = track(&full, span)?;
            Ok(Loaded {
                spec: compiled.spec,
                track,
            })
        }
        Err(diagnostics) => {
            let mut errors = Errors::new();
            for d in diagnostics.iter().filter(|d| d.is_error()) {
                errors.at(span, located(d, &sources));
            }
            match errors.finish() {
                Err(e) => Err(e),
                // Not reachable: a failed compile has an error.
                Ok(()) => Err(syn::Error::new(
                    span,
                    format!("the spec `{given}` does not compile"),
                )),
            }
        }
    }
}

/// The crate root joined with `given`.
fn resolve(given: &str, span: Span) -> Result<PathBuf, syn::Error> {
    let path = Path::new(given);
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(root) => Ok(PathBuf::from(root).join(path)),
        None => Err(syn::Error::new(
            span,
            "cannot find the crate root: `CARGO_MANIFEST_DIR` is not set\nhelp: build with \
             Cargo, or give an absolute path",
        )),
    }
}

fn read_error(given: &str, e: &io::Error, span: Span) -> syn::Error {
    // The OS's wording differs between systems; say the common cases in our own words.
    let why = match e.kind() {
        io::ErrorKind::NotFound => "no such file".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::InvalidData => "it is not UTF-8 text".to_owned(),
        io::ErrorKind::IsADirectory => "it is a folder".to_owned(),
        _ => e.to_string(),
    };
    syn::Error::new(
        span,
        format!(
            "cannot read the spec `{given}`: {why}\nhelp: the path is relative to the crate root \
             (the folder of `Cargo.toml`)"
        ),
    )
}

/// `const _: &str = include_str!("<path>");` so that rustc rebuilds when the file changes.
fn track(full: &Path, span: Span) -> Result<TokenStream, syn::Error> {
    let Some(text) = full.to_str() else {
        return Err(syn::Error::new(
            span,
            format!(
                "the path `{}` is not UTF-8, so it cannot be tracked for rebuilds\nhelp: move the \
                 spec to a path without such characters",
                full.display()
            ),
        ));
    };
    let lit = LitStr::new(text, span);
    Ok(quote_spanned!(span=> const _: &str = ::core::include_str!(#lit);))
}

/// A diagnostic for a message on another span: the message and code, then the rendering with
/// `--> file:line:col`, the source line, the carets and the help.
pub(crate) fn located(d: &Diagnostic, sources: &SourceMap) -> String {
    let rendered = d.render(sources);
    let rest = rendered.split_once('\n').map_or("", |(_, rest)| rest);
    format!("{} [{}]\n{}", d.message, d.code, rest.trim_end())
}

/// The expansion of `sheplang! { file = "..." }`.
pub(crate) fn expand(tokens: TokenStream) -> TokenStream {
    let arg: FileArg = match syn::parse2(tokens) {
        Ok(arg) => arg,
        Err(e) => {
            let message = if e.to_string().contains("help:") {
                e.to_string()
            } else {
                format!("{e}\nhelp: name the spec file with a string: `file = \"specs/app.shep\"`")
            };
            return syn::Error::new(e.span(), message).into_compile_error();
        }
    };
    match load(&arg.path) {
        Ok(loaded) => {
            let items = codegen::rust::tokens(&loaded.spec);
            let track = loaded.track;
            quote! {
                #track
                #items
            }
        }
        Err(e) => e.into_compile_error(),
    }
}
