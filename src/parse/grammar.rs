//! The pest parser derived from `grammar/platform.pest`.

#![allow(missing_docs, unreachable_pub)]

/// The generated parser; `Rule` has one variant per grammar rule.
#[derive(pest_derive::Parser)]
#[grammar = "../grammar/platform.pest"]
pub struct PlatformParser;
