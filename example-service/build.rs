//! Emits the TypeScript and Dart client packages from the same resource
//! declarations the service compiles, into `clients/`. Files are written
//! only when their content changes, so builds stay incremental; CI checks
//! that the committed packages match (no drift).

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let sources = [manifest.join("src/resources.rs")];
    for s in &sources {
        println!("cargo:rerun-if-changed={}", s.display());
    }
    let decl = resourceful_spec::parse::parse_file(&sources)
        .unwrap_or_else(|e| panic!("reading resource declarations: {e}"));
    let version = std::env::var("CARGO_PKG_VERSION").unwrap();
    // The newest API, and one package per older API version still served
    // (`-v1`): an app in the field keeps the package it shipped with.
    let newest = decl.api_versions().last().copied().unwrap_or(1);
    for v in decl.api_versions() {
        let (suffix, dir) = if v == newest {
            (String::new(), String::new())
        } else {
            (format!("-v{v}"), format!("-v{v}"))
        };
        let api = decl.as_of(v);
        let ts = resourceful_ts::generate(
            &api,
            &resourceful_ts::Options {
                package: format!("@resourceful-example/client{suffix}"),
                version: version.clone(),
            },
        );
        write_all(&manifest.join(format!("clients/typescript{dir}")), &ts);
        let dart = resourceful_dart::generate(
            &api,
            &resourceful_dart::Options {
                package: format!("resourceful_example_client{}", suffix.replace('-', "_")),
                version: version.clone(),
            },
        );
        write_all(&manifest.join(format!("clients/dart{dir}")), &dart);
    }
}

fn write_all(root: &Path, files: &[(String, String)]) {
    for (rel, text) in files {
        let path = root.join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            continue;
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}
