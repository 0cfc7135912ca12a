//! `platc lsp`: a Language Server for `.platform` files over stdio.
//!
//! `analysis` (pure) knows what a cursor points at, where it is declared and
//! what it resolves to; `complete` (pure) works out what may be typed at a
//! cursor from the text alone, so it keeps working while the file does not
//! parse; `position` converts between protocol positions and spans; `server`
//! is the edge: it speaks JSON-RPC (through `lsp-server`), keeps the open
//! documents and reads the other files of a project from disk. The project of
//! a document is its directory: every `*.platform` file in it and below, with
//! open documents' text taking precedence over what is on disk. Diagnostics
//! are those of `platc validate` (`pipeline::compile`).

pub mod analysis;
pub mod complete;
pub mod position;
pub mod server;

pub use server::{serve, serve_stdio};
