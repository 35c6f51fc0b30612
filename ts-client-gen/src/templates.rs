//! The static TypeScript modules, embedded verbatim.

use crate::File;

const STATIC: &[(&str, &str)] = &[
    ("src/index.ts", include_str!("../templates/index.ts")),
    (
        "src/runtime/cache.ts",
        include_str!("../templates/runtime/cache.ts"),
    ),
    (
        "src/runtime/deprecation.ts",
        include_str!("../templates/runtime/deprecation.ts"),
    ),
    (
        "src/runtime/errors.ts",
        include_str!("../templates/runtime/errors.ts"),
    ),
    (
        "src/runtime/graphql.ts",
        include_str!("../templates/runtime/graphql.ts"),
    ),
    (
        "src/runtime/hooks.ts",
        include_str!("../templates/runtime/hooks.ts"),
    ),
    (
        "src/runtime/http.ts",
        include_str!("../templates/runtime/http.ts"),
    ),
    (
        "src/runtime/maintenance.ts",
        include_str!("../templates/runtime/maintenance.ts"),
    ),
    (
        "src/runtime/query.ts",
        include_str!("../templates/runtime/query.ts"),
    ),
    (
        "src/runtime/resource.ts",
        include_str!("../templates/runtime/resource.ts"),
    ),
    (
        "src/runtime/sha256.ts",
        include_str!("../templates/runtime/sha256.ts"),
    ),
];

pub fn files() -> Vec<File> {
    STATIC
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

/// The text of a static module (for tests).
#[cfg(test)]
pub fn text(path: &str) -> &'static str {
    STATIC
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, t)| *t)
        .expect("static module")
}
