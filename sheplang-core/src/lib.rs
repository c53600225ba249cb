//! The ShepLang compiler core.
//!
//! A pure pipeline: source text in, a checked [`ir::Spec`] (plus warnings) or every
//! [`Diagnostic`] out. No environment variables, no file system, no printing: the build
//! helper, the proc macros and the CLI own all of that.
//!
//! ```
//! use sheplang_core::{compile, SourceMap};
//!
//! let mut sources = SourceMap::new();
//! let file = sources.add("app.shep", "app Demo { data Task { fields: { title: text } } }");
//! let out = compile(&sources, file).expect("a valid spec");
//! assert_eq!(out.spec.models[0].channel, "task");
//! ```
//!
//! Stages, one module each: [`lexer`], [`layout`] (indentation style to braces), [`parser`]
//! (to the [`ast`]), [`check`], [`lower`] (to the [`ir`]), then the generators in [`codegen`], which
//! read only the IR.

pub mod ast;
pub mod check;
pub mod codegen;
pub mod diagnostic;
pub mod format;
pub mod ir;
pub mod layout;
pub mod lexer;
pub mod lower;
pub mod parser;
pub mod span;
pub mod suggest;
pub mod types;

pub use diagnostic::{Code, ColorChoice, Diagnostic, Severity, render_all, render_all_styled};
pub use span::{FileId, SourceFile, SourceMap, Span};

/// The result of compiling one spec successfully.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub spec: ir::Spec,
    /// Warnings, in source order.
    pub warnings: Vec<Diagnostic>,
}

/// Parses one file into its syntax tree, collecting syntax diagnostics.
pub fn parse(sources: &SourceMap, file: FileId) -> (ast::File<'_>, Vec<Diagnostic>) {
    let mut diags = diagnostic::Diagnostics::new();
    let tree = parser::parse(sources.get(file).text(), file, &mut diags);
    (tree, diags.into_sorted())
}

/// Compiles one spec file: lex, parse, check, lower.
///
/// On failure returns every diagnostic of the run (errors and warnings, in source order).
pub fn compile(sources: &SourceMap, file: FileId) -> Result<Compiled, Vec<Diagnostic>> {
    let mut diags = diagnostic::Diagnostics::new();
    let text = sources.get(file).text();
    let tree = parser::parse(text, file, &mut diags);
    check::check(&tree, file, &mut diags);
    if diags.has_errors() {
        return Err(diags.into_sorted());
    }
    let Some(spec) = lower::lower(&tree) else {
        // The parser reports a missing app; this is only reached if it did not.
        diags.push(Diagnostic::error(
            Code::EMPTY_FILE,
            file,
            Span::empty(0),
            "no `app` declaration found",
        ));
        return Err(diags.into_sorted());
    };
    Ok(Compiled {
        spec,
        warnings: diags.into_sorted(),
    })
}

/// Convenience: compile a single in-memory spec. Returns the source map for rendering.
pub fn compile_str(name: &str, text: &str) -> (SourceMap, Result<Compiled, Vec<Diagnostic>>) {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let result = compile(&sources, file);
    (sources, result)
}
