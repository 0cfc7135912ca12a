//! (being written)

use std::collections::BTreeMap;

use crate::ir;

use super::Bundle;

pub(crate) fn render(_base: &ir::Platform, _views: &BTreeMap<Option<String>, ir::Platform>, _bundle: &mut Bundle) {}
