//! (being written)

use crate::ir;

use super::{Bundle, Object};

pub(crate) fn render(_base: &ir::Platform, _objects: &[Object], _bundle: &mut Bundle) {}
