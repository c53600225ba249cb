//! Code generators. Each reads only the [`crate::ir`].

/// One generated file: a path relative to the generator's output folder, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub contents: String,
}

pub mod rust;
pub mod typescript;

/// The `@generated` marker every generated file starts with (tools such as GitHub and
/// rust-analyzer recognise it).
pub const GENERATED_MARKER: &str = "@generated";
