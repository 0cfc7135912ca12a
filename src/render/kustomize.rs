//! (being written)

use std::collections::BTreeMap;

use crate::ir;

use super::{Bundle, Object};

pub(crate) fn render(
    _base: &ir::Platform,
    _base_objects: &[Object],
    _envs: &BTreeMap<&str, (&ir::Platform, Vec<Object>)>,
    _bundle: &mut Bundle,
) {
}
