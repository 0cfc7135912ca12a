//! (being written)

use crate::ir;

use super::Bundle;

pub(crate) fn render(_base: &ir::Platform, _bundle: &mut Bundle) {}
