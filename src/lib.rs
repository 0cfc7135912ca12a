//! platc compiles a `.platform` project into a complete GitOps repository.
//!
//! The pipeline is the architecture: parse → resolve → lower → render →
//! validate → diff → write. `pipeline.rs` is the only place that calls the
//! stages in order; read it first. See ARCHITECTURE.md.

pub mod ast;
pub mod cache;
pub mod diagnostic;
pub mod diff;
pub mod fmt;
pub mod graph;
pub mod ir;
pub mod kinds;
pub mod lower;
pub mod lsp;
pub mod parse;
pub mod pipeline;
pub mod profile;
pub mod render;
pub mod resolve;
pub mod sarif;
pub mod source;
pub mod span;
pub mod timings;
pub mod validate;
pub mod write;
