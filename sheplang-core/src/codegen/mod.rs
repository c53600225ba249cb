//! Code generators. Each reads only the [`crate::ir`].

/// One generated file: a path relative to the generator's output folder, and its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub contents: String,
}
