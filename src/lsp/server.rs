//! The language server's edge: the JSON-RPC loop (through `lsp-server`),
//! the open documents, and the reading of a project's other files from disk.
//! Every request is answered from a fresh `Project` of the document's
//! directory (open documents' text wins over the disk), so answers never go
//! stale; a project is a few files, and checking one takes milliseconds. A
//! directory too big to be a project (a home directory) is not read: then
//! only the open documents in it make up the project.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};

use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{Completion, GotoDefinition, HoverRequest, Request as _};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, DiagnosticRelatedInformation,
    DiagnosticSeverity, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, GotoDefinitionParams,
    GotoDefinitionResponse, Hover, HoverContents, HoverParams, HoverProviderCapability, Location,
    MarkupContent, MarkupKind, NumberOrString, OneOf, PublishDiagnosticsParams, ServerCapabilities,
    ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};

use super::analysis::{self, Project};
use super::position::{self, path_from_uri, uri_from_path};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceMap;
use crate::span::Span;

/// Errors that end the server (the connection broke).
pub type ServerError = Box<dyn Error + Send + Sync>;

/// Serves the protocol on stdin/stdout until the client says `exit`.
///
/// # Errors
/// When the connection fails or the client breaks the protocol.
pub fn serve_stdio() -> Result<(), ServerError> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection)?;
    // The writer thread ends when the last sender is gone.
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// What the server offers.
fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        definition_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string(), "[".to_string(), "=".to_string()]),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// Runs the initialize handshake and the message loop on `connection`.
///
/// # Errors
/// When the connection fails or the client breaks the protocol.
pub fn serve(connection: &Connection) -> Result<(), ServerError> {
    let result = serde_json::json!({
        "capabilities": capabilities(),
        "serverInfo": ServerInfo { name: "platc".to_string(), version: None },
    });
    let (id, _params) = connection.initialize_start()?;
    connection.initialize_finish(id, result)?;
    let mut server = Server::default();
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                let response = server.request(request);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(notification) => {
                for out in server.notification(notification) {
                    connection.sender.send(Message::Notification(out))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// The open documents and what was last published.
#[derive(Debug, Default)]
struct Server {
    /// Open documents by path.
    open: BTreeMap<PathBuf, String>,
    /// Files whose last published diagnostics were not empty.
    dirty: BTreeSet<PathBuf>,
}

/// A project loaded for one document: its directory and the analysis.
struct Loaded {
    root: PathBuf,
    project: Project,
    /// The document's project-relative name.
    name: String,
}

/// Directory entries a project may have before the server stops reading the
/// disk: a document opened in a home directory must not make it walk the disk.
const MAX_PROJECT_ENTRIES: usize = 20_000;

/// Whether the tree below `root` is small enough to be a project (counted the
/// way `source::load` walks it: hidden directories, `out/` and `target/` skipped).
fn small_tree(root: &Path) -> bool {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|entry| {
            let name = entry.file_name().to_string_lossy();
            entry.depth() == 0
                || !(entry.file_type().is_dir()
                    && (name.starts_with('.')
                        || name == "target"
                        || (entry.depth() == 1 && name == "out")))
        });
    walker.take(MAX_PROJECT_ENTRIES + 1).count() <= MAX_PROJECT_ENTRIES
}

fn project_name(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

impl Server {
    /// The project of the document at `path`: every `*.platform` below its
    /// directory, open documents taking precedence over the disk.
    fn load(&self, path: &Path) -> Option<Loaded> {
        let root = path.parent()?.to_path_buf();
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        if small_tree(&root) {
            if let Ok(disk) = crate::source::load(&root) {
                for file in disk.files {
                    files.insert(file.name, file.text);
                }
            }
        }
        for (open, text) in &self.open {
            let Some(name) = project_name(&root, open) else {
                continue;
            };
            let hidden =
                name.split('/').any(|part| part.starts_with('.')) || name.starts_with("out/");
            if name.ends_with(".platform") && (!hidden || open == path) {
                files.insert(name, text.clone());
            }
        }
        let name = project_name(&root, path)?;
        let pairs: Vec<(&str, &str)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let project = Project::new(SourceMap::from_strings(&root, &pairs));
        Some(Loaded {
            root,
            project,
            name,
        })
    }

    fn notification(&mut self, notification: Notification) -> Vec<Notification> {
        let path = match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<DidOpenTextDocumentParams>(notification.params)
                else {
                    return Vec::new();
                };
                let Some(path) = path_from_uri(&params.text_document.uri) else {
                    return Vec::new();
                };
                self.open.insert(path.clone(), params.text_document.text);
                path
            }
            DidChangeTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<DidChangeTextDocumentParams>(notification.params)
                else {
                    return Vec::new();
                };
                let Some(path) = path_from_uri(&params.text_document.uri) else {
                    return Vec::new();
                };
                // Full synchronisation: the last change holds the whole text.
                if let Some(change) = params.content_changes.into_iter().last() {
                    self.open.insert(path.clone(), change.text);
                }
                path
            }
            DidSaveTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<DidSaveTextDocumentParams>(notification.params)
                else {
                    return Vec::new();
                };
                let Some(path) = path_from_uri(&params.text_document.uri) else {
                    return Vec::new();
                };
                path
            }
            DidCloseTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<DidCloseTextDocumentParams>(notification.params)
                else {
                    return Vec::new();
                };
                let Some(path) = path_from_uri(&params.text_document.uri) else {
                    return Vec::new();
                };
                self.open.remove(&path);
                path
            }
            _ => return Vec::new(),
        };
        self.publish(&path)
    }

    /// `publishDiagnostics` for every file of the document's project (empty
    /// for clean files), plus empty ones for files that were dirty before.
    fn publish(&mut self, path: &Path) -> Vec<Notification> {
        let Some(loaded) = self.load(path) else {
            return Vec::new();
        };
        let sources = &loaded.project.sources;
        let compiled = crate::pipeline::compile(sources);
        let mut by_file: BTreeMap<PathBuf, Vec<lsp_types::Diagnostic>> = sources
            .files
            .iter()
            .map(|f| (loaded.root.join(&f.name), Vec::new()))
            .collect();
        for diagnostic in &compiled.diagnostics {
            let file = sources.file(diagnostic.primary.span.file);
            let converted = convert(diagnostic, sources, &loaded.root);
            by_file
                .entry(loaded.root.join(&file.name))
                .or_default()
                .push(converted);
        }
        for stale in std::mem::take(&mut self.dirty) {
            by_file.entry(stale).or_default();
        }
        let mut out = Vec::new();
        for (file, diagnostics) in by_file {
            let Some(uri) = uri_from_path(&file) else {
                continue;
            };
            if !diagnostics.is_empty() {
                self.dirty.insert(file);
            }
            let params = PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: None,
            };
            out.push(Notification::new(
                PublishDiagnostics::METHOD.to_string(),
                params,
            ));
        }
        out
    }

    fn request(&self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            GotoDefinition::METHOD => {
                serde_json::from_value::<GotoDefinitionParams>(request.params)
                    .map(|p| serde_json::to_value(self.definition(&p)).unwrap_or_default())
            }
            HoverRequest::METHOD => serde_json::from_value::<HoverParams>(request.params)
                .map(|p| serde_json::to_value(self.hover(&p)).unwrap_or_default()),
            Completion::METHOD => serde_json::from_value::<CompletionParams>(request.params)
                .map(|p| serde_json::to_value(self.completion(&p)).unwrap_or_default()),
            other => {
                return Response::new_err(
                    id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    format!("platc lsp does not handle `{other}`"),
                );
            }
        };
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(err) => Response::new_err(
                id,
                lsp_server::ErrorCode::InvalidParams as i32,
                err.to_string(),
            ),
        }
    }

    /// The project, the document's text and the byte offset of a position.
    fn at(&self, uri: &Uri, position: lsp_types::Position) -> Option<(Loaded, String, usize)> {
        let path = path_from_uri(uri)?;
        let loaded = self.load(&path)?;
        let id = loaded.project.file_id(&loaded.name)?;
        let text = loaded.project.sources.file(id).text.clone();
        let offset = position::offset(&text, position);
        Some((loaded, text, offset))
    }

    fn definition(&self, params: &GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
        let at = &params.text_document_position_params;
        let (loaded, _, offset) = self.at(&at.text_document.uri, at.position)?;
        let tree = loaded.project.tree(loaded.project.file_id(&loaded.name)?)?;
        let target = analysis::locate(tree, offset)?;
        let span = analysis::definition(&loaded.project, &target)?;
        location(&loaded, span).map(GotoDefinitionResponse::Scalar)
    }

    fn hover(&self, params: &HoverParams) -> Option<Hover> {
        let at = &params.text_document_position_params;
        let (loaded, _, offset) = self.at(&at.text_document.uri, at.position)?;
        let tree = loaded.project.tree(loaded.project.file_id(&loaded.name)?)?;
        let target = analysis::locate(tree, offset)?;
        let value = analysis::hover(&loaded.project, &target)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            }),
            range: None,
        })
    }

    fn completion(&self, params: &CompletionParams) -> Option<CompletionResponse> {
        let at = &params.text_document_position;
        let (loaded, _, offset) = self.at(&at.text_document.uri, at.position)?;
        let items = super::complete::complete(&loaded.project, &loaded.name, offset);
        Some(CompletionResponse::Array(items))
    }
}

fn location(loaded: &Loaded, span: Span) -> Option<Location> {
    let file = loaded.project.sources.file(span.file);
    let uri = uri_from_path(&loaded.root.join(&file.name))?;
    Some(Location {
        uri,
        range: position::range(&file.text, span),
    })
}

/// A diagnostic as the protocol carries it; help goes into the message,
/// secondary labels into related information.
fn convert(diagnostic: &Diagnostic, sources: &SourceMap, root: &Path) -> lsp_types::Diagnostic {
    let file = sources.file(diagnostic.primary.span.file);
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .filter_map(|label| {
            let other = sources.file(label.span.file);
            let uri = uri_from_path(&root.join(&other.name))?;
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri,
                    range: position::range(&other.text, label.span),
                },
                message: label.message.clone(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range: position::range(&file.text, diagnostic.primary.span),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.to_string())),
        source: Some("platc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..lsp_types::Diagnostic::default()
    }
}
