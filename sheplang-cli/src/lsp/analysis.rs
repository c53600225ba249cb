//! Everything the server knows about one version of one document, and the answers to the
//! requests about it. Pure: text in, LSP values out.

use lsp_types::{
    CodeAction, CodeActionKind, CompletionItem, CompletionItemKind, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, DocumentSymbol, Location, NumberOrString,
    Range, SemanticToken, SymbolKind, TextEdit, Uri, WorkspaceEdit,
};
use std::cell::OnceCell;

use sheplang_core::codegen::{rust::row_layout, typescript::interface_layout};
use sheplang_core::lexer::{self, Token, TokenKind};
use sheplang_core::{FileId, Severity, SourceMap, Span, ir};

use super::index::{Index, Kind, Role};
use super::keywords;
use super::lines::Lines;

/// The semantic token types the server reports, in legend order.
pub const TOKEN_TYPES: &[&str] = &[
    "keyword",    // 0
    "type",       // 1
    "class",      // 2: a model
    "function",   // 3: an action
    "interface",  // 4: a view
    "property",   // 5: a field
    "parameter",  // 6
    "variable",   // 7
    "enumMember", // 8: a state
    "string",     // 9
    "number",     // 10
    "comment",    // 11
    "operator",   // 12
    "namespace",  // 13: a flow, job or workflow name
];

/// One analysed version of a document.
#[derive(Debug)]
pub struct Analysis {
    pub text: String,
    pub lines: Lines,
    pub diagnostics: Vec<sheplang_core::Diagnostic>,
    /// The checked spec, when the document compiles.
    pub spec: Option<ir::Spec>,
    /// Built on the first request that needs it, so diagnostics go out first.
    index: OnceCell<Index>,
    tokens: OnceCell<Vec<Token>>,
}

impl Analysis {
    pub fn new(text: String) -> Analysis {
        let mut sources = SourceMap::new();
        let file = sources.add("spec.shep", text);
        let (spec, diagnostics) = match sheplang_core::compile(&sources, file) {
            Ok(c) => (Some(c.spec), c.warnings),
            Err(d) => (None, d),
        };
        let text = sources.get(file).text().to_owned();
        Analysis {
            lines: Lines::new(&text),
            text,
            diagnostics,
            spec,
            index: OnceCell::new(),
            tokens: OnceCell::new(),
        }
    }

    /// Who declares and uses which name.
    pub fn index(&self) -> &Index {
        self.index.get_or_init(|| {
            let mut sources = SourceMap::new();
            let file = sources.add("spec.shep", self.text.as_str());
            let (tree, _) = sheplang_core::parse(&sources, file);
            Index::build(&self.text, &tree)
        })
    }

    /// The lexer's tokens.
    fn tokens(&self) -> &[Token] {
        self.tokens.get_or_init(|| {
            let mut sink = sheplang_core::diagnostic::Diagnostics::new();
            lexer::tokenize(&self.text, FileId(0), &mut sink)
        })
    }

    pub fn range(&self, span: Span) -> Range {
        self.lines.range(&self.text, span)
    }

    pub fn offset(&self, pos: lsp_types::Position) -> u32 {
        self.lines.offset(&self.text, pos) as u32
    }

    pub fn diagnostics(&self, uri: &Uri) -> Vec<Diagnostic> {
        self.diagnostics
            .iter()
            .map(|d| {
                let mut message = d.message.clone();
                if !d.label.is_empty() && d.label != d.message {
                    message.push_str(&format!(" ({})", d.label));
                }
                if let Some(help) = &d.help {
                    message.push_str(&format!("\nhelp: {help}"));
                }
                let related: Vec<DiagnosticRelatedInformation> = d
                    .secondary
                    .iter()
                    .map(|l| DiagnosticRelatedInformation {
                        location: Location::new(uri.clone(), self.range(l.span)),
                        message: l.message.clone(),
                    })
                    .collect();
                Diagnostic {
                    range: self.range(d.span),
                    severity: Some(match d.severity {
                        Severity::Error => DiagnosticSeverity::ERROR,
                        Severity::Warning => DiagnosticSeverity::WARNING,
                    }),
                    code: Some(NumberOrString::String(d.code.0.to_owned())),
                    source: Some("sheplang".to_owned()),
                    message,
                    related_information: (!related.is_empty()).then_some(related),
                    ..Diagnostic::default()
                }
            })
            .collect()
    }

    /// Quick fixes: a diagnostic whose help names a replacement (`did you mean `X`?`) becomes
    /// an edit that writes it.
    pub fn code_actions(&self, uri: &Uri, range: Range) -> Vec<CodeAction> {
        let (start, end) = (self.offset(range.start), self.offset(range.end));
        let lsp = self.diagnostics(uri);
        self.diagnostics
            .iter()
            .zip(lsp)
            .filter(|(d, _)| d.span.start <= end && start <= d.span.end)
            .filter_map(|(d, lsp)| {
                let replacement = d.help.as_deref().and_then(replacement)?;
                let edit = TextEdit::new(self.range(d.span), replacement.to_owned());
                let changes = [(uri.clone(), vec![edit])].into_iter().collect();
                Some(CodeAction {
                    title: format!("replace with `{replacement}`"),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![lsp]),
                    edit: Some(WorkspaceEdit::new(changes)),
                    is_preferred: Some(true),
                    ..CodeAction::default()
                })
            })
            .collect()
    }

    pub fn definition(&self, offset: u32) -> Option<Span> {
        let (kind, key, _) = self.index().at(offset)?;
        self.index().def(kind, key).map(|d| d.span)
    }

    pub fn references(&self, offset: u32, with_declaration: bool) -> Vec<Span> {
        let Some((kind, key, _)) = self.index().at(offset) else {
            return Vec::new();
        };
        let mut out: Vec<Span> = Vec::new();
        if with_declaration && let Some(d) = self.index().def(kind, key) {
            out.push(d.span);
        }
        out.extend(
            self.index()
                .refs
                .iter()
                .filter(|r| r.kind == kind && r.key == key)
                .map(|r| r.span),
        );
        out.sort();
        out.dedup();
        out
    }

    /// Markdown for the name under `offset`, and the name's span.
    pub fn hover(&self, offset: u32) -> Option<(String, Span)> {
        let hit = |s: Span| s.start <= offset && offset <= s.end;
        // A field's name or its type: the field.
        if let Some(f) = self
            .index()
            .fields
            .iter()
            .find(|f| hit(f.span) || hit(f.ty_span))
        {
            if hit(f.ty_span) && self.index().at(offset).is_some() {
                // `ref[User]`: the model, below.
            } else {
                return Some((self.field_hover(&f.model, &f.name), f.span));
            }
        }
        let (kind, key, span) = self.index().at(offset)?;
        let text = match kind {
            Kind::Field => {
                let (model, field) = key.split_once('.')?;
                self.field_hover(model, field)
            }
            Kind::Model => self.model_hover(key),
            _ => format!("```shep\n{} {key}\n```", kind.word()),
        };
        Some((text, span))
    }

    fn field_hover(&self, model: &str, field: &str) -> String {
        let Some(info) = self
            .index()
            .fields
            .iter()
            .find(|f| f.model == model && f.name == field)
        else {
            return format!("field `{field}` of `{model}`");
        };
        let mut decl = format!("{}: {}", info.name, info.ty);
        for c in &info.constraints {
            decl.push(' ');
            decl.push_str(c);
        }
        let mut out = format!("```shep\n{decl}\n```\nfield of `data {model}`");
        if info.constraints.is_empty() {
            out.push_str(", no constraints");
        }
        match &self.spec {
            Some(spec) => {
                if let Some(row) = row_layout(spec, model)
                    && let Some(f) = row.fields.iter().find(|f| f.wire == field)
                {
                    let ty = f.ty.to_string().replace(' ', "");
                    out.push_str(&format!("\n\nRust: `{}.{}: {ty}`", row.ty, f.name));
                }
                if let Some(iface) = interface_layout(spec, model)
                    && let Some(f) = iface.fields.iter().find(|f| f.wire == field)
                {
                    let q = if f.optional { "?" } else { "" };
                    out.push_str(&format!(
                        "\n\nTypeScript: `{}.{}{q}: {}`",
                        iface.name, f.key, f.ty
                    ));
                }
            }
            None => out.push_str(
                "\n\n(the generated Rust and TypeScript names show once the spec compiles)",
            ),
        }
        out
    }

    fn model_hover(&self, model: &str) -> String {
        let fields: Vec<String> = self
            .index()
            .fields
            .iter()
            .filter(|f| f.model == model)
            .map(|f| format!("  {}: {}", f.name, f.ty))
            .collect();
        let mut out = format!("```shep\ndata {model} {{\n{}\n}}\n```", fields.join("\n"));
        if let Some(spec) = &self.spec {
            if let Some(row) = row_layout(spec, model) {
                out.push_str(&format!("\n\nRust: `struct {}`", row.ty));
            }
            if let Some(iface) = interface_layout(spec, model) {
                out.push_str(&format!("\n\nTypeScript: `interface {}`", iface.name));
            }
        }
        out
    }

    /// Completion items at `offset`.
    pub fn completion(&self, offset: u32) -> Vec<CompletionItem> {
        // The word being typed starts at `start`; the tokens before it give the context.
        let bytes = self.text.as_bytes();
        let mut start = (offset as usize).min(bytes.len());
        while start > 0 && (bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_') {
            start -= 1;
        }
        let before: Vec<&Token> = self
            .tokens()
            .iter()
            .filter(|t| t.kind != TokenKind::Eof && (t.span.end as usize) <= start)
            .collect();
        let word = |n: usize| -> Option<&str> {
            before
                .len()
                .checked_sub(n + 1)
                .map(|i| before[i].text(&self.text))
        };
        let names = |kind: Kind| -> Vec<String> {
            self.index()
                .defs
                .iter()
                .filter(|d| d.kind == kind)
                .map(|d| d.key.clone())
                .collect()
        };
        let mut items = Vec::new();
        let mut add = |labels: Vec<String>, kind: CompletionItemKind, detail: &str| {
            for label in labels {
                items.push(CompletionItem {
                    label,
                    kind: Some(kind),
                    detail: Some(detail.to_owned()),
                    ..CompletionItem::default()
                });
            }
        };
        let kw = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let block = self.enclosing_block(start);
        match (word(1), word(0)) {
            (Some("ref"), Some("[")) => add(names(Kind::Model), CompletionItemKind::CLASS, "data"),
            (_, Some("list" | "add" | "update" | "delete")) => {
                add(names(Kind::Model), CompletionItemKind::CLASS, "data")
            }
            (_, Some("show")) => add(names(Kind::View), CompletionItemKind::INTERFACE, "view"),
            (Some("error"), Some("->")) | (Some(_), Some("->")) if block == Block::View => {
                add(names(Kind::Action), CompletionItemKind::FUNCTION, "action")
            }
            (Some("error"), Some("->")) => {
                add(names(Kind::Action), CompletionItemKind::FUNCTION, "action")
            }
            (Some("trigger"), Some(":")) => {
                add(kw(&["on"]), CompletionItemKind::KEYWORD, "keyword")
            }
            (Some(":"), Some("on")) | (_, Some("on")) if block == Block::Job => {
                add(names(Kind::Model), CompletionItemKind::CLASS, "data")
            }
            (Some("from"), Some(":")) => {
                add(names(Kind::View), CompletionItemKind::INTERFACE, "view")
            }
            (_, Some(":")) if block == Block::Fields => {
                add(
                    kw(keywords::TYPES),
                    CompletionItemKind::KEYWORD,
                    "built-in type",
                );
                add(names(Kind::Model), CompletionItemKind::CLASS, "data");
            }
            (Some(model), Some(".")) if self.index().def(Kind::Model, model).is_some() => {
                add(
                    kw(keywords::EVENTS),
                    CompletionItemKind::EVENT,
                    "lifecycle event",
                );
                let fields = self
                    .index()
                    .fields
                    .iter()
                    .filter(|f| f.model == model)
                    .map(|f| f.name.clone())
                    .collect();
                add(fields, CompletionItemKind::FIELD, "field");
            }
            _ => {
                let (list, detail): (Vec<&str>, &str) = match block {
                    Block::App => (keywords::DECLARATIONS[1..].to_vec(), "declaration"),
                    Block::Data => (keywords::DATA_ITEMS.to_vec(), "data item"),
                    Block::Fields => (keywords::CONSTRAINTS.to_vec(), "constraint"),
                    Block::View => (keywords::VIEW_ITEMS.to_vec(), "view item"),
                    Block::Statements => {
                        let mut l = keywords::STATEMENTS.to_vec();
                        l.extend(["else", "with", "where", "set", "into"]);
                        (l, "statement")
                    }
                    Block::Job => (keywords::JOB_ITEMS.to_vec(), "job item"),
                    Block::Workflow => (vec!["on", "event"], "workflow item"),
                    Block::Top => (vec!["app"], "declaration"),
                };
                add(kw(&list), CompletionItemKind::KEYWORD, detail);
                if block == Block::Statements {
                    add(names(Kind::Model), CompletionItemKind::CLASS, "data");
                    add(names(Kind::View), CompletionItemKind::INTERFACE, "view");
                }
            }
        }
        items
    }

    /// What kind of block the byte offset `at` is in, judged from the tokens before it: the
    /// opener of each enclosing `{` (or, in the indentation style, of each header line less
    /// indented than the current line).
    fn enclosing_block(&self, at: usize) -> Block {
        let text = &self.text;
        let before: Vec<&Token> = self
            .tokens()
            .iter()
            .filter(|t| t.kind != TokenKind::Eof && (t.span.end as usize) <= at)
            .collect();
        if before.is_empty() {
            return Block::Top;
        }
        // Openers: the first word of the line (or the words before the `{`).
        let mut stack: Vec<Block> = Vec::new();
        let indentation = !self
            .tokens()
            .iter()
            .take(3)
            .any(|t| t.kind == TokenKind::LBrace);
        if indentation {
            // Header lines less indented than the cursor's line, innermost last.
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let mut indent = text[line_start..at]
                .bytes()
                .take_while(|&b| b == b' ')
                .count();
            let mut headers: Vec<Block> = Vec::new();
            for line in text[..line_start].lines().rev() {
                let trimmed = line.trim_start();
                if trimmed.is_empty() || trimmed.starts_with("//") {
                    continue;
                }
                let ind = line.len() - trimmed.len();
                if ind < indent {
                    indent = ind;
                    let word_end = trimmed
                        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                        .unwrap_or(trimmed.len());
                    headers.push(block_of(&trimmed[..word_end]));
                }
                if ind == 0 {
                    break;
                }
            }
            headers.reverse();
            if headers.is_empty() || headers == [Block::Top] {
                // `app Name` is not indented and opens the rest of the file.
                return Block::App;
            }
            return *headers.last().unwrap_or(&Block::App);
        }
        for (i, t) in before.iter().enumerate() {
            match t.kind {
                TokenKind::LBrace => {
                    // The opener is the first word after the previous `{`, `}` or line start.
                    let mut j = i;
                    while j > 0
                        && !matches!(before[j - 1].kind, TokenKind::LBrace | TokenKind::RBrace)
                        && !before[j].starts_line()
                    {
                        j -= 1;
                    }
                    let word = before[j].text(text);
                    let block = match (stack.last(), word) {
                        (_, "app") => Block::App,
                        (Some(Block::Job), "action") => Block::Statements,
                        (Some(Block::Statements), _) => Block::Statements,
                        (_, w) => block_of(w),
                    };
                    stack.push(block);
                }
                TokenKind::RBrace => {
                    stack.pop();
                }
                _ => {}
            }
        }
        stack.last().copied().unwrap_or(Block::Top)
    }

    /// The outline: declarations, and the fields of each model.
    #[allow(
        deprecated,
        reason = "DocumentSymbol::deprecated must be set to construct it"
    )]
    pub fn symbols(&self) -> Vec<DocumentSymbol> {
        let symbol =
            |name: String, kind: SymbolKind, full: Span, sel: Span, children| DocumentSymbol {
                name,
                detail: None,
                kind,
                tags: None,
                deprecated: None,
                range: self.range(full),
                selection_range: self.range(sel),
                children,
            };
        self.index()
            .defs
            .iter()
            .map(|d| {
                let kind = match d.kind {
                    Kind::Model => SymbolKind::STRUCT,
                    Kind::View => SymbolKind::INTERFACE,
                    Kind::Action => SymbolKind::FUNCTION,
                    Kind::Flow => SymbolKind::NAMESPACE,
                    Kind::Job => SymbolKind::EVENT,
                    Kind::Workflow => SymbolKind::ENUM,
                    Kind::Field => SymbolKind::FIELD,
                };
                let children: Vec<DocumentSymbol> = d
                    .children
                    .iter()
                    .map(|c| {
                        let name = c.key.rsplit('.').next().unwrap_or(&c.key).to_owned();
                        symbol(name, SymbolKind::FIELD, c.full, c.span, None)
                    })
                    .collect();
                symbol(
                    d.key.clone(),
                    kind,
                    d.full.to(d.span),
                    d.span,
                    (!children.is_empty()).then_some(children),
                )
            })
            .collect()
    }

    /// Semantic tokens, delta-encoded, one per token (a comment spanning lines is one per line).
    pub fn semantic_tokens(&self) -> Vec<SemanticToken> {
        let text = &self.text;
        let mut spans: Vec<(Span, u32)> = Vec::new();
        for t in self.tokens() {
            let ty = match t.kind {
                TokenKind::Eof | TokenKind::Unknown => continue,
                TokenKind::Str => 9,
                TokenKind::Number => 10,
                TokenKind::YesNo => 1,
                TokenKind::Ident => {
                    let word = t.text(text);
                    match self.index().roles.get(&t.span.start) {
                        Some(Role::Model) => 2,
                        Some(Role::Action) => 3,
                        Some(Role::View) => 4,
                        Some(Role::Field) => 5,
                        Some(Role::Parameter) => 6,
                        Some(Role::Variable) => 7,
                        Some(Role::State) => 8,
                        Some(Role::Other) => 13,
                        Some(Role::Type) => 1,
                        None if keywords::all().contains(&word) => 0,
                        None => 7,
                    }
                }
                TokenKind::Arrow
                | TokenKind::EqEq
                | TokenKind::Eq
                | TokenKind::NotEq
                | TokenKind::Lt
                | TokenKind::Le
                | TokenKind::Gt
                | TokenKind::Ge
                | TokenKind::Plus
                | TokenKind::Minus
                | TokenKind::Star
                | TokenKind::Slash
                | TokenKind::Percent
                | TokenKind::Tilde => 12,
                _ => continue,
            };
            spans.push((t.span, ty));
        }
        spans.extend(comments(text).into_iter().map(|s| (s, 11)));
        spans.sort_by_key(|(s, _)| s.start);
        let mut out = Vec::with_capacity(spans.len());
        let (mut last_line, mut last_col) = (0u32, 0u32);
        for (span, ty) in spans {
            // One token per line of the span.
            let mut from = span.start as usize;
            let end = span.end as usize;
            while from < end {
                let stop = text[from..end].find('\n').map_or(end, |n| from + n);
                let p = self.lines.position(text, from);
                let len = text[from..stop].encode_utf16().count() as u32;
                if len > 0 {
                    let delta_line = p.line - last_line;
                    let delta_start = if delta_line == 0 {
                        p.character - last_col
                    } else {
                        p.character
                    };
                    out.push(SemanticToken {
                        delta_line,
                        delta_start,
                        length: len,
                        token_type: ty,
                        token_modifiers_bitset: 0,
                    });
                    last_line = p.line;
                    last_col = p.character;
                }
                from = stop + 1;
            }
        }
        out
    }

    /// The whole document formatted, or why not.
    pub fn format(&self) -> Result<String, String> {
        sheplang_core::format::format_str("spec.shep", &self.text).map_err(|e| e.to_string())
    }

    /// The range of the whole document.
    pub fn full_range(&self) -> Range {
        Range::new(
            lsp_types::Position::new(0, 0),
            self.lines.position(&self.text, self.text.len()),
        )
    }
}

/// The kind of block a position is in, for completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// Outside `app`.
    Top,
    App,
    Data,
    Fields,
    View,
    Statements,
    Job,
    Workflow,
}

/// The block a header word opens.
fn block_of(word: &str) -> Block {
    match word {
        "app" => Block::Top,
        "data" => Block::Data,
        "fields" => Block::Fields,
        "view" => Block::View,
        "job" => Block::Job,
        "workflow" | "on" => Block::Workflow,
        "rules" => Block::Data,
        _ => Block::Statements,
    }
}

/// The replacement a help line names: `did you mean `X`?`.
fn replacement(help: &str) -> Option<&str> {
    let rest = help.strip_prefix("did you mean `")?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// The spans of the comments of a text (the lexer skips them).
fn comments(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut sink = sheplang_core::diagnostic::Diagnostics::new();
    let tokens = lexer::tokenize(text, FileId(0), &mut sink);
    let bytes = text.as_bytes();
    let mut pos = 0usize;
    for t in &tokens {
        let end = (t.span.start as usize).min(bytes.len());
        while pos < end {
            if bytes[pos] == b'/' && bytes.get(pos + 1) == Some(&b'/') {
                let stop = bytes[pos..end]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(end, |n| pos + n);
                out.push(Span::new(pos as u32, stop as u32));
                pos = stop;
            } else if bytes[pos] == b'/' && bytes.get(pos + 1) == Some(&b'*') {
                let stop = text
                    .get(pos + 2..end)
                    .and_then(|r| r.find("*/"))
                    .map_or(end, |n| pos + 2 + n + 2);
                out.push(Span::new(pos as u32, stop as u32));
                pos = stop;
            } else {
                pos += 1;
            }
        }
        pos = pos.max(t.span.end as usize);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str, at: &str) -> Vec<String> {
        let a = Analysis::new(text.to_owned());
        let offset = text.find(at).expect("the marker") + at.len();
        a.completion(offset as u32)
            .into_iter()
            .map(|i| i.label)
            .collect()
    }

    #[test]
    fn brace_style_completion_follows_the_blocks() {
        let text = "app A {\n  data User {\n    fields: {\n      name: \n    }\n  }\n  \
                    view V {\n    list \n  }\n  action Go() {\n    show V\n    \n  }\n  \n}\n";
        let types = labels(text, "name: ");
        assert!(types.contains(&"yes/no".to_owned()) && types.contains(&"User".to_owned()));
        assert_eq!(labels(text, "list "), ["User"]);
        let stmts = labels(text, "show V\n    ");
        assert!(stmts.contains(&"add".to_owned()) && stmts.contains(&"update".to_owned()));
        assert!(!stmts.contains(&"fields".to_owned()));
        assert_eq!(
            labels(text, "  }\n  \n"),
            ["data", "view", "action", "flow", "job", "workflow"]
        );
    }

    #[test]
    fn replacement_is_read_from_the_help() {
        assert_eq!(replacement("did you mean `yes/no`?"), Some("yes/no"));
        assert_eq!(replacement("remove one"), None);
    }
}
