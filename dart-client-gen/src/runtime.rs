//! The static part of the package: transport, errors, cache, queries and
//! the shared resource operations, embedded from `templates/runtime`.

use crate::File;

const RUNTIME: &[(&str, &str)] = &[
    (
        "cache.dart",
        include_str!("../templates/runtime/cache.dart"),
    ),
    (
        "changes.dart",
        include_str!("../templates/runtime/changes.dart"),
    ),
    ("core.dart", include_str!("../templates/runtime/core.dart")),
    (
        "deprecation.dart",
        include_str!("../templates/runtime/deprecation.dart"),
    ),
    (
        "default_transport.dart",
        include_str!("../templates/runtime/default_transport.dart"),
    ),
    (
        "default_transport_io.dart",
        include_str!("../templates/runtime/default_transport_io.dart"),
    ),
    (
        "errors.dart",
        include_str!("../templates/runtime/errors.dart"),
    ),
    (
        "io_transport.dart",
        include_str!("../templates/runtime/io_transport.dart"),
    ),
    (
        "graphql.dart",
        include_str!("../templates/runtime/graphql.dart"),
    ),
    ("json.dart", include_str!("../templates/runtime/json.dart")),
    (
        "maintenance.dart",
        include_str!("../templates/runtime/maintenance.dart"),
    ),
    (
        "optional.dart",
        include_str!("../templates/runtime/optional.dart"),
    ),
    (
        "query.dart",
        include_str!("../templates/runtime/query.dart"),
    ),
    (
        "sha256.dart",
        include_str!("../templates/runtime/sha256.dart"),
    ),
    (
        "transport.dart",
        include_str!("../templates/runtime/transport.dart"),
    ),
];

/// `lib/src/runtime/*.dart`, each with the generated-file header.
pub fn files() -> Vec<File> {
    RUNTIME
        .iter()
        .map(|(name, text)| {
            (
                format!("lib/src/runtime/{name}"),
                format!("{}\n{text}", crate::HEADER),
            )
        })
        .collect()
}
