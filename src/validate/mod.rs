//! (being written)

pub mod schema;

use crate::diagnostic::Diagnostic;
use crate::render::Bundle;

/// Checks every rendered document; reports `duplicate-object` and `schema`.
pub fn validate(_bundle: &Bundle, _diagnostics: &mut Vec<Diagnostic>) {}
