//! `#[api_resource(..)] struct ..` → [`ResourceModel`]: the parser's entry
//! point and the types the code generator reads.
//!
//! [`parse_resource`] only sequences the steps, in the order their errors
//! are reported: the attribute's arguments and the struct's shape here,
//! resource-level options in `options.rs`, each field in `field.rs`, rules
//! between fields and options in `check.rs`, all errors collected in a
//! [`Ctxt`]. Not for the checks themselves.

use super::attrs::{doc_string, ResourceArgs};
use super::check::{self, Seen};
use super::ctxt::Ctxt;
use super::field::{build_field, field_args};
use super::messages::{reword, RESOURCE};
use super::options::{resource_options, ResourceOptions};
use super::versions;
use super::{leak, leak_slice};
use crate::*;
use darling::ast::NestedMeta;
use darling::FromMeta;

/// The model plus the syntax the code generator still needs.
pub struct ParsedResource {
    pub model: ResourceModel,
    pub ident: syn::Ident,
    pub vis: syn::Visibility,
    pub fields: Vec<ParsedField>,
}

pub struct ParsedField {
    pub ident: syn::Ident,
    /// The full Rust type as written.
    pub ty: syn::Type,
    /// The type without `Option`.
    pub inner: syn::Type,
    /// For enum fields: the path to the `#[api_enum]` type.
    pub type_ref: TypeRef,
}

pub enum TypeRef {
    Scalar,
    Enum(syn::Path),
}

/// Parses the attribute arguments and the struct, returning every problem
/// found (not just the first).
pub fn parse_resource(
    args: proc_macro2::TokenStream,
    item: &syn::ItemStruct,
) -> Result<ParsedResource, darling::Error> {
    let mut cx = Ctxt::new();
    let args = resource_args(&mut cx, args);
    reject_generics(&mut cx, item);
    let named = named_fields(&mut cx, item);
    let name = item.ident.to_string();
    let options = resource_options(&mut cx, args.as_ref(), &name);
    if let Some(args) = &args {
        check::page_size_within_max(&mut cx, args.page_size.as_ref(), &options, &item.ident);
    }
    let mut seen = Seen::default();
    let fields = build_fields(&mut cx, &mut seen, named, &options);
    if let Some(named) = named {
        if fields.all_parsed {
            check::has_id(&mut cx, &seen, &item.ident, named);
        }
    }
    check::relation_names_are_free(&mut cx, &seen);
    if fields.all_parsed {
        check::owner_grants_have_owner(&mut cx, &seen, &options);
    }
    cx.finish()?;
    Ok(parsed_resource(item, name, options, fields))
}

/// The finished model, once no errors were found.
fn parsed_resource(
    item: &syn::ItemStruct,
    name: String,
    options: ResourceOptions,
    fields: Fields,
) -> ParsedResource {
    let model = ResourceModel {
        name: leak(name),
        path: leak(options.path),
        table: leak(options.table),
        version: options.version,
        newest: options.version,
        previous: leak_slice(options.previous),
        cache_ttl_secs: options.cache_ttl_secs,
        client_cache_secs: options.client_cache_secs,
        page_size: options.page_size,
        max_page_size: options.max_page_size,
        rate_limit: options.rate_limit,
        access: options.access.model,
        doc: leak(doc_string(&item.attrs)),
        fields: leak_slice(fields.models),
    };
    ParsedResource {
        model,
        ident: item.ident.clone(),
        vis: item.vis.clone(),
        fields: fields.parsed,
    }
}

/// `#[api_resource(..)]`'s arguments; `None` once their errors are recorded.
fn resource_args(cx: &mut Ctxt, args: proc_macro2::TokenStream) -> Option<ResourceArgs> {
    match NestedMeta::parse_meta_list(args) {
        Ok(list) => cx.handle(ResourceArgs::from_list(&list).map_err(|e| reword(e, &RESOURCE))),
        Err(e) => {
            cx.push(e.into());
            None
        }
    }
}

fn reject_generics(cx: &mut Ctxt, item: &syn::ItemStruct) {
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(
            &item.generics.params[0],
            "a resource cannot be generic; declare a concrete struct",
        );
    }
}

/// The struct's named fields; `None` (error recorded) for a tuple or unit
/// struct.
fn named_fields<'a>(cx: &mut Ctxt, item: &'a syn::ItemStruct) -> Option<&'a syn::FieldsNamed> {
    match &item.fields {
        syn::Fields::Named(n) => Some(n),
        other => {
            cx.error_spanned_by(
                other,
                "#[api_resource] needs a struct with named fields, e.g. `struct Task { id: i64, .. }`",
            );
            None
        }
    }
}

/// Every field whose options parsed, in declaration order.
struct Fields {
    models: Vec<FieldModel>,
    parsed: Vec<ParsedField>,
    /// No field's `#[api(..)]` failed to parse.
    all_parsed: bool,
}

fn build_fields(
    cx: &mut Ctxt,
    seen: &mut Seen,
    named: Option<&syn::FieldsNamed>,
    options: &ResourceOptions,
) -> Fields {
    let served = options.served_versions();
    let mut name_spans = Vec::new();
    let mut fields = Fields {
        models: Vec::new(),
        parsed: Vec::new(),
        all_parsed: true,
    };
    for field in named.map(|n| n.named.iter()).into_iter().flatten() {
        let Some(args) = field_args(cx, field) else {
            fields.all_parsed = false;
            continue;
        };
        let (mut model, parsed) = build_field(cx, seen, &args, &options.path);
        let span = versions::field_versions(cx, &args, &mut model, &served);
        name_spans.push(span.unwrap_or_else(|| parsed.ident.span()));
        fields.models.push(model);
        fields.parsed.push(parsed);
    }
    if served.len() > 1 {
        versions::names_are_distinct(cx, &fields.models, &name_spans, &served);
    }
    fields
}

/// `"10m"` → 600. Units: ms is refused (too fine for a cache), s, m, h, d.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &str, item: &str) -> Result<ParsedResource, darling::Error> {
        let item: syn::ItemStruct = syn::parse_str(item).unwrap();
        parse_resource(args.parse().unwrap(), &item)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Some(600));
        assert_eq!(parse_duration("0s"), Some(0));
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("5ms"), None);
    }

    #[test]
    fn full_resource() {
        let r = parse(
            r#"path = "tasks", cache_ttl = "10m", page_size = 20"#,
            r#"
            /// A unit of work.
            pub struct Task {
                #[api(id)] pub id: i64,
                /// What to do.
                #[api(filter, sort, length(min = 1, max = 200))] pub title: String,
                #[api(filter)] pub done: bool,
                #[api(relation = "projects", filter)] pub project_id: i64,
                #[api(range(min = 1, max = 5), rename = "prio")] pub priority: Option<i32>,
                pub status: Status,
                #[api(created_at)] pub created_at: chrono::DateTime<chrono::Utc>,
                #[api(skip)] pub scratch: Vec<u8>,
            }"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let m = r.model;
        assert_eq!(m.path, "tasks");
        assert_eq!(m.table, "tasks");
        assert_eq!(m.cache_ttl_secs, Some(600));
        assert_eq!(m.page_size, 20);
        assert_eq!(m.doc, "A unit of work.");
        assert_eq!(m.id_field().id, Some(IdStrategy::Generated));
        let title = m.fields[1];
        assert!(title.filterable && title.sortable);
        assert_eq!(title.validation.max_length, Some(200));
        assert_eq!(title.doc, "What to do.");
        let rel = m.fields[3].relation.unwrap();
        assert_eq!(
            (rel.resource, rel.name, rel.inverse),
            ("projects", "project", Some("tasks"))
        );
        assert_eq!(m.fields[4].api_name, "prio");
        assert!(m.fields[4].optional);
        assert!(matches!(m.fields[5].ty, FieldType::Enum(e) if e.name == "Status"));
        assert!(m.fields[6].read_only);
        assert!(m.fields[7].skip);
    }

    #[test]
    fn collects_every_error() {
        let e = parse(
            r#"cache_ttl = "ten minutes""#,
            r#"struct Bad {
                #[api(id)] a: i64,
                #[api(id)] b: i64,
                c: Vec<String>,
                #[api(fliter)] d: String,
                #[api(length(max = 3))] e: i32,
            }"#,
        )
        .err()
        .expect("errors");
        let msg = e.to_string();
        assert_eq!(e.len(), 5, "{msg}");
    }

    #[test]
    fn default_path_and_missing_id() {
        let e = parse("", "struct Category { name: String }").err().unwrap();
        assert!(e.to_string().contains("no id field"));
        let r = parse("", "struct Category { #[api(id)] id: uuid::Uuid }").unwrap();
        assert_eq!(r.model.path, "categories");
        assert_eq!(r.model.fields[0].id, Some(IdStrategy::Uuid));
    }
}
