//! (being written)

use crate::ir;

use super::Object;

pub(crate) fn render(_platform: &ir::Platform, _out: &mut Vec<Object>) {}
