//! `sheplang lsp`: a language server for `.shep` files on stdin and stdout.
//!
//! Built on `lsp-server` and `lsp-types`, the protocol crates of rust-analyzer: a synchronous
//! loop over a channel of messages, no async runtime. Every request is answered from an
//! [`Analysis`] of the document's latest text, made when it was opened or changed (the
//! compiler is fast enough to run on every change: see `sheplang-cli/benches/lsp.rs`).
//! A panic while analysing or answering is caught and reported as an error response (or, for a
//! change, as a diagnostic), so no input takes the server down.

// `lsp_types::Uri` caches its parsed parts in a cell; its hash and equality use the text only.
#![allow(
    clippy::mutable_key_type,
    reason = "Uri hashes and compares by its text"
)]

mod analysis;
mod index;
pub mod keywords;
mod lines;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    References, Request as _, SemanticTokensFullRequest,
};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, GotoDefinitionResponse, Hover, HoverContents,
    HoverProviderCapability, InitializeParams, Location, MarkupContent, MarkupKind, OneOf,
    PublishDiagnosticsParams, SemanticTokenType, SemanticTokens, SemanticTokensFullOptions,
    SemanticTokensLegend, SemanticTokensOptions, SemanticTokensResult,
    SemanticTokensServerCapabilities, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextEdit, Uri,
};
use serde_json::Value;

pub use analysis::Analysis;

/// Runs the server until the client says `exit`.
pub fn run() -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    let caps = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    let init = serde_json::json!({
        "capabilities": caps,
        "serverInfo": ServerInfo {
            name: "sheplang".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    });
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("the client did not initialize: {e}"))?;
    let _: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    connection
        .initialize_finish(id, init)
        .map_err(|e| format!("the client did not initialize: {e}"))?;
    let mut server = Server {
        connection: &connection,
        docs: HashMap::new(),
    };
    server.main_loop()?;
    drop(connection);
    io.join()
        .map_err(|e| format!("the connection failed: {e}"))?;
    Ok(())
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![":".into(), "[".into(), ".".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: SemanticTokensLegend {
                    token_types: analysis::TOKEN_TYPES
                        .iter()
                        .map(|t| SemanticTokenType::new(t))
                        .collect(),
                    token_modifiers: Vec::new(),
                },
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..SemanticTokensOptions::default()
            },
        )),
        ..ServerCapabilities::default()
    }
}

struct Server<'c> {
    connection: &'c Connection,
    docs: HashMap<Uri, Analysis>,
}

/// A request that could not be answered.
struct Failure(ErrorCode, String);

impl Server<'_> {
    fn main_loop(&mut self) -> Result<(), String> {
        for msg in &self.connection.receiver {
            match msg {
                Message::Request(req) => {
                    if self
                        .connection
                        .handle_shutdown(&req)
                        .map_err(|e| e.to_string())?
                    {
                        return Ok(());
                    }
                    let id = req.id.clone();
                    let response = match catch_unwind(AssertUnwindSafe(|| self.request(&req))) {
                        Ok(Ok(value)) => Response::new_ok(id, value),
                        Ok(Err(Failure(code, message))) => {
                            Response::new_err(id, code as i32, message)
                        }
                        Err(_) => Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            format!("the server failed on `{}`; please report it", req.method),
                        ),
                    };
                    self.send(Message::Response(response));
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
        Ok(())
    }

    fn send(&self, msg: Message) {
        // A closed channel means the client is gone; the loop ends on its own.
        let _ = self.connection.sender.send(msg);
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                {
                    self.update(
                        p.text_document.uri,
                        p.text_document.text,
                        Some(p.text_document.version),
                    );
                }
            }
            DidChangeTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                {
                    // Full sync: the last change holds the whole text.
                    if let Some(change) = p.content_changes.into_iter().last() {
                        self.update(
                            p.text_document.uri,
                            change.text,
                            Some(p.text_document.version),
                        );
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                {
                    self.docs.remove(&p.text_document.uri);
                    self.publish(p.text_document.uri, Vec::new(), None);
                }
            }
            _ => {}
        }
    }

    /// Analyses a new text of a document and publishes its diagnostics.
    fn update(&mut self, uri: Uri, text: String, version: Option<i32>) {
        match catch_unwind(AssertUnwindSafe(|| Analysis::new(text))) {
            Ok(analysis) => {
                let diagnostics = analysis.diagnostics(&uri);
                self.docs.insert(uri.clone(), analysis);
                self.publish(uri, diagnostics, version);
            }
            Err(_) => {
                self.docs.remove(&uri);
                let d = lsp_types::Diagnostic {
                    message: "the compiler failed on this file; please report it".into(),
                    source: Some("sheplang".into()),
                    ..lsp_types::Diagnostic::default()
                };
                self.publish(uri, vec![d], version);
            }
        }
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams::new(uri, diagnostics, version);
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_owned(),
            params,
        )));
    }

    fn doc(&self, uri: &Uri) -> Result<&Analysis, Failure> {
        self.docs.get(uri).ok_or_else(|| {
            Failure(
                ErrorCode::InvalidParams,
                format!("`{}` is not open: open it first", uri.as_str()),
            )
        })
    }

    fn request(&mut self, req: &Request) -> Result<Value, Failure> {
        fn params<P: serde::de::DeserializeOwned>(req: &Request) -> Result<P, Failure> {
            serde_json::from_value(req.params.clone()).map_err(|e| {
                Failure(
                    ErrorCode::InvalidParams,
                    format!("bad parameters for `{}`: {e}", req.method),
                )
            })
        }
        let json = |v: Result<Value, serde_json::Error>| {
            v.map_err(|e| Failure(ErrorCode::InternalError, e.to_string()))
        };
        match req.method.as_str() {
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = params(req)?;
                let pos = p.text_document_position_params;
                let doc = self.doc(&pos.text_document.uri)?;
                let result = doc.definition(doc.offset(pos.position)).map(|span| {
                    GotoDefinitionResponse::Scalar(Location::new(
                        pos.text_document.uri.clone(),
                        doc.range(span),
                    ))
                });
                json(serde_json::to_value(result))
            }
            References::METHOD => {
                let p: lsp_types::ReferenceParams = params(req)?;
                let pos = p.text_document_position;
                let doc = self.doc(&pos.text_document.uri)?;
                let spans = doc.references(doc.offset(pos.position), p.context.include_declaration);
                let result: Vec<Location> = spans
                    .into_iter()
                    .map(|s| Location::new(pos.text_document.uri.clone(), doc.range(s)))
                    .collect();
                json(serde_json::to_value(result))
            }
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = params(req)?;
                let pos = p.text_document_position_params;
                let doc = self.doc(&pos.text_document.uri)?;
                let result = doc
                    .hover(doc.offset(pos.position))
                    .map(|(text, span)| Hover {
                        contents: HoverContents::Markup(MarkupContent {
                            kind: MarkupKind::Markdown,
                            value: text,
                        }),
                        range: Some(doc.range(span)),
                    });
                json(serde_json::to_value(result))
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams = params(req)?;
                let pos = p.text_document_position;
                let doc = self.doc(&pos.text_document.uri)?;
                json(serde_json::to_value(
                    doc.completion(doc.offset(pos.position)),
                ))
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = params(req)?;
                let doc = self.doc(&p.text_document.uri)?;
                json(serde_json::to_value(doc.symbols()))
            }
            SemanticTokensFullRequest::METHOD => {
                let p: lsp_types::SemanticTokensParams = params(req)?;
                let doc = self.doc(&p.text_document.uri)?;
                let result = SemanticTokensResult::Tokens(SemanticTokens {
                    result_id: None,
                    data: doc.semantic_tokens(),
                });
                json(serde_json::to_value(result))
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = params(req)?;
                let doc = self.doc(&p.text_document.uri)?;
                let formatted = doc
                    .format()
                    .map_err(|e| Failure(ErrorCode::RequestFailed, e))?;
                let edits = if formatted == doc.text {
                    Vec::new()
                } else {
                    vec![TextEdit::new(doc.full_range(), formatted)]
                };
                json(serde_json::to_value(edits))
            }
            CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams = params(req)?;
                let doc = self.doc(&p.text_document.uri)?;
                json(serde_json::to_value(
                    doc.code_actions(&p.text_document.uri, p.range),
                ))
            }
            other => Err(Failure(
                ErrorCode::MethodNotFound,
                format!("`{other}` is not supported by the sheplang server"),
            )),
        }
    }
}
