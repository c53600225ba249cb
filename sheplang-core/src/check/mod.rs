//! Checks beyond syntax: name resolution, duplicates, types, constraints. (Being written.)

use crate::ast;
use crate::diagnostic::Diagnostics;
use crate::span::FileId;

/// Runs every check over a parsed file.
pub fn check(file: &ast::File<'_>, id: FileId, diags: &mut Diagnostics) {
    let _ = (file, id, diags);
}
