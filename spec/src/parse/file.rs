//! Whole source files → every declared resource and enum, with enum
//! references resolved. This is what build scripts use to emit clients.

use super::{parse_enum, parse_resource};
use crate::{EnumModel, FieldModel, FieldType, ResourceModel};
use quote::ToTokens;

/// Everything declared in a set of source files.
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    pub resources: Vec<ResourceModel>,
    pub enums: Vec<EnumModel>,
}

impl Declarations {
    /// Every API version some resource is served at, ascending.
    pub fn api_versions(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .resources
            .iter()
            .flat_map(|r| r.served_versions())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The API as of version `v`: each resource as its newest version up
    /// to `v` serves it (fields of other versions left out, wire names of
    /// that version); resources first served later are left out. What a
    /// client package for API version `v` is generated from;
    /// `as_of(u32::MAX)` is the newest API.
    pub fn as_of(&self, v: u32) -> Declarations {
        let resources = self
            .resources
            .iter()
            .filter_map(|r| {
                let at = r.served_versions().filter(|s| *s <= v).max()?;
                let r: &'static ResourceModel = Box::leak(Box::new(*r));
                r.at_version(at).copied()
            })
            .collect();
        Declarations {
            resources,
            enums: self.enums.clone(),
        }
    }
}

/// Reads and parses files; see [`parse_source`].
pub fn parse_file(paths: &[std::path::PathBuf]) -> Result<Declarations, String> {
    let mut sources = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        sources.push((p.display().to_string(), text));
    }
    parse_source(&sources)
}

/// Parses `(name, text)` sources, finds `#[api_resource]` structs and
/// `#[api_enum]` enums (also inside inline modules), and links each enum
/// field to its enum's variants.
pub fn parse_source(sources: &[(String, String)]) -> Result<Declarations, String> {
    let mut decl = Declarations::default();
    let mut problems = Vec::new();
    for (name, text) in sources {
        let file = syn::parse_file(text).map_err(|e| format!("{name}: {e}"))?;
        collect(&file.items, name, &mut decl, &mut problems);
    }
    // Resolve enum placeholders by name.
    for r in &mut decl.resources {
        let mut fields: Vec<FieldModel> = r.fields.to_vec();
        for f in &mut fields {
            if let FieldType::Enum(placeholder) = f.ty {
                match decl.enums.iter().find(|e| e.name == placeholder.name) {
                    Some(e) => f.ty = FieldType::Enum(Box::leak(Box::new(*e))),
                    None => problems.push(format!(
                        "{}.{}: type `{}` is not an #[api_enum] in the given sources",
                        r.name, f.rust_name, placeholder.name
                    )),
                }
            }
        }
        r.fields = Box::leak(fields.into_boxed_slice());
    }
    if problems.is_empty() {
        Ok(decl)
    } else {
        Err(problems.join("\n"))
    }
}

fn collect(items: &[syn::Item], file: &str, decl: &mut Declarations, problems: &mut Vec<String>) {
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                if let Some(args) = attr_args(&s.attrs, "api_resource") {
                    match parse_resource(args, s) {
                        Ok(p) => decl.resources.push(p.model),
                        Err(e) => problems.push(format!("{file}: {}: {e}", s.ident)),
                    }
                }
            }
            syn::Item::Enum(e) => {
                if let Some(args) = attr_args(&e.attrs, "api_enum") {
                    match parse_enum(args, e) {
                        Ok(p) => decl.enums.push(p.model),
                        Err(err) => problems.push(format!("{file}: {}: {err}", e.ident)),
                    }
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &m.content {
                    collect(items, file, decl, problems);
                }
            }
            _ => {}
        }
    }
}

/// The arguments of `#[name(..)]` or `#[path::name(..)]`, if present.
fn attr_args(attrs: &[syn::Attribute], name: &str) -> Option<proc_macro2::TokenStream> {
    attrs.iter().find_map(|a| {
        let last = a.path().segments.last()?;
        if last.ident != name {
            return None;
        }
        Some(match &a.meta {
            syn::Meta::List(l) => l.tokens.clone(),
            _ => a.meta.to_token_stream().into_iter().take(0).collect(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_enums_across_items() {
        let src = r#"
            use resourceful::prelude::*;
            #[api_enum] pub enum Status { Todo, Done }
            #[api_resource(path = "tasks")]
            pub struct Task { #[api(id)] pub id: i64, pub status: Status }
            struct NotAResource { x: Vec<u8> }
        "#;
        let d = parse_source(&[("lib.rs".into(), src.into())]).unwrap();
        assert_eq!(d.resources.len(), 1);
        match d.resources[0].fields[1].ty {
            FieldType::Enum(e) => assert_eq!(e.variants, &["todo", "done"]),
            other => panic!("{other:?}"),
        }
    }
}
