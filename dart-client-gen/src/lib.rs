//! Resource model → a Dart (Flutter) client package.

use resourceful_spec::parse::Declarations;

/// One generated file: a path relative to the package root, and its text.
pub type File = (String, String);

/// Options for the generated package.
#[derive(Debug, Clone)]
pub struct Options {
    /// pub package name (snake_case).
    pub package: String,
    pub version: String,
}

/// Generates the whole package. Output is deterministic.
pub fn generate(_decl: &Declarations, _opts: &Options) -> Vec<File> {
    Vec::new()
}
