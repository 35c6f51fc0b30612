//! The attribute vocabulary, as darling argument structs.
//!
//! Resource level: `#[api_resource(path = "tasks", table = "tasks",
//! version = 1, cache_ttl = "10m", page_size = 50, max_page_size = 200)]`.
//! Field level: `#[api(id, read_only, hidden, skip, rename = "..",
//! column = "..", filter, sort, unique, created_at, updated_at,
//! length(min = 1, max = 200), range(min = 0, max = 5), pattern = "..",
//! relation = "projects" | relation(resource = "projects", name = "project",
//! inverse = "tasks", on_delete = "cascade"), owner,
//! access(read = "role:admin", write = "role:admin"), default = ..,
//! added_in = 2, removed_in = 2, name_in(v1 = ".."))]`; resource level
//! also `access(read = "authenticated", write = "role:editor")` and
//! `previous(v1(deprecated = "..", sunset = ".."))`.

use darling::{FromField, FromMeta, FromVariant};
use syn::spanned::Spanned;

#[derive(Debug, FromMeta)]
pub struct ResourceArgs {
    #[darling(default)]
    pub path: Option<syn::LitStr>,
    #[darling(default)]
    pub table: Option<syn::LitStr>,
    #[darling(default)]
    pub version: Option<syn::LitInt>,
    #[darling(default)]
    pub cache_ttl: Option<syn::LitStr>,
    #[darling(default)]
    pub client_cache: Option<syn::LitStr>,
    #[darling(default)]
    pub page_size: Option<syn::LitInt>,
    #[darling(default)]
    pub max_page_size: Option<syn::LitInt>,
    #[darling(default)]
    pub rate_limit: Option<RateLimitArg>,
    #[darling(default)]
    pub access: Option<WithSpan<AccessArgs>>,
    #[darling(default)]
    pub previous: Option<WithSpan<PreviousArgs>>,
}

/// `previous(v1(deprecated = "2026-12-01", sunset = "2027-06-30"), v2)`:
/// older versions still served, each with its retirement dates.
#[derive(Debug, Default)]
pub struct PreviousArgs {
    pub versions: Vec<PreviousVersion>,
}

#[derive(Debug)]
pub struct PreviousVersion {
    /// `v1`
    pub name: syn::Ident,
    pub deprecated: Option<syn::LitStr>,
    pub sunset: Option<syn::LitStr>,
}

#[derive(Debug, FromMeta)]
struct RetirementArgs {
    #[darling(default)]
    deprecated: Option<syn::LitStr>,
    #[darling(default)]
    sunset: Option<syn::LitStr>,
}

/// The `vN` of `previous(..)` and `name_in(..)`.
fn version_ident(path: &syn::Path) -> darling::Result<syn::Ident> {
    path.get_ident()
        .cloned()
        .ok_or_else(|| darling::Error::custom("expected a version such as `v1`").with_span(path))
}

impl FromMeta for PreviousArgs {
    fn from_list(items: &[darling::ast::NestedMeta]) -> darling::Result<Self> {
        let mut out = PreviousArgs::default();
        for item in items {
            let version = match item {
                darling::ast::NestedMeta::Meta(syn::Meta::Path(p)) => PreviousVersion {
                    name: version_ident(p)?,
                    deprecated: None,
                    sunset: None,
                },
                darling::ast::NestedMeta::Meta(m @ syn::Meta::List(l)) => {
                    let r = RetirementArgs::from_meta(m)?;
                    PreviousVersion {
                        name: version_ident(&l.path)?,
                        deprecated: r.deprecated,
                        sunset: r.sunset,
                    }
                }
                other => {
                    return Err(darling::Error::custom(
                        "write each older version as `v1` or `v1(deprecated = \"2026-12-01\", sunset = \"2027-06-30\")`",
                    )
                    .with_span(other))
                }
            };
            out.versions.push(version);
        }
        Ok(out)
    }
}

/// `name_in(v1 = "title")`: a field's wire name in older versions.
#[derive(Debug, Default)]
pub struct NameInArgs {
    pub names: Vec<(syn::Ident, syn::LitStr)>,
}

impl FromMeta for NameInArgs {
    fn from_list(items: &[darling::ast::NestedMeta]) -> darling::Result<Self> {
        let mut out = NameInArgs::default();
        for item in items {
            match item {
                darling::ast::NestedMeta::Meta(syn::Meta::NameValue(nv)) => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }) => out.names.push((version_ident(&nv.path)?, s.clone())),
                    other => {
                        return Err(darling::Error::custom(
                            "expected the field's name in that version as a string, e.g. `name_in(v1 = \"title\")`",
                        )
                        .with_span(other))
                    }
                },
                other => {
                    return Err(darling::Error::custom(
                        "write `name_in(v1 = \"old_name\")`: a version and the field's name in it",
                    )
                    .with_span(other))
                }
            }
        }
        Ok(out)
    }
}

/// `access(read = "authenticated", write = "role:editor")`, or each of
/// `create`, `update`, `delete` on its own (they override `write`).
#[derive(Debug, Default, FromMeta)]
pub struct AccessArgs {
    #[darling(default)]
    pub read: Option<syn::LitStr>,
    #[darling(default)]
    pub write: Option<syn::LitStr>,
    #[darling(default)]
    pub create: Option<syn::LitStr>,
    #[darling(default)]
    pub update: Option<syn::LitStr>,
    #[darling(default)]
    pub delete: Option<syn::LitStr>,
}

/// A field's `access(read = "role:admin", write = "role:admin")`.
#[derive(Debug, Default, FromMeta)]
pub struct FieldAccessArgs {
    #[darling(default)]
    pub read: Option<syn::LitStr>,
    #[darling(default)]
    pub write: Option<syn::LitStr>,
}

/// `rate_limit = "100/s"` (reads and writes) or
/// `rate_limit(read = "1000/min", write = "60/min", on_redis_failure = "closed")`.
#[derive(Debug, Default)]
pub struct RateLimitArg {
    pub both: Option<syn::LitStr>,
    pub read: Option<syn::LitStr>,
    pub write: Option<syn::LitStr>,
    pub on_redis_failure: Option<syn::LitStr>,
}

#[derive(Debug, FromMeta)]
struct RateLimitList {
    #[darling(default)]
    read: Option<syn::LitStr>,
    #[darling(default)]
    write: Option<syn::LitStr>,
    #[darling(default)]
    on_redis_failure: Option<syn::LitStr>,
}

impl FromMeta for RateLimitArg {
    fn from_value(value: &syn::Lit) -> darling::Result<Self> {
        match value {
            syn::Lit::Str(s) => Ok(RateLimitArg {
                both: Some(s.clone()),
                ..Default::default()
            }),
            other => Err(darling::Error::custom(
                "expected a rate such as `rate_limit = \"100/s\"`",
            )
            .with_span(other)),
        }
    }
    fn from_list(items: &[darling::ast::NestedMeta]) -> darling::Result<Self> {
        let l = RateLimitList::from_list(items)?;
        Ok(RateLimitArg {
            both: None,
            read: l.read,
            write: l.write,
            on_redis_failure: l.on_redis_failure,
        })
    }
}

#[derive(Debug, FromField)]
#[darling(attributes(api), forward_attrs(doc))]
pub struct FieldArgs {
    pub ident: Option<syn::Ident>,
    pub ty: syn::Type,
    pub attrs: Vec<syn::Attribute>,
    #[darling(default)]
    pub id: Option<IdArg>,
    #[darling(default)]
    pub read_only: darling::util::Flag,
    #[darling(default)]
    pub hidden: darling::util::Flag,
    #[darling(default)]
    pub skip: darling::util::Flag,
    #[darling(default)]
    pub rename: Option<syn::LitStr>,
    #[darling(default)]
    pub column: Option<syn::LitStr>,
    #[darling(default)]
    pub renamed_from: Option<syn::LitStr>,
    #[darling(default)]
    pub filter: darling::util::Flag,
    #[darling(default)]
    pub sort: darling::util::Flag,
    #[darling(default)]
    pub unique: darling::util::Flag,
    #[darling(default)]
    pub created_at: darling::util::Flag,
    #[darling(default)]
    pub updated_at: darling::util::Flag,
    #[darling(default)]
    pub length: Option<WithSpan<LengthArgs>>,
    #[darling(default)]
    pub range: Option<WithSpan<RangeArgs>>,
    #[darling(default)]
    pub pattern: Option<syn::LitStr>,
    #[darling(default)]
    pub relation: Option<WithSpan<RelationArg>>,
    #[darling(default)]
    pub owner: darling::util::Flag,
    #[darling(default)]
    pub access: Option<WithSpan<FieldAccessArgs>>,
    #[darling(default)]
    pub default: Option<syn::Expr>,
    #[darling(default)]
    pub added_in: Option<syn::LitInt>,
    #[darling(default)]
    pub removed_in: Option<syn::LitInt>,
    #[darling(default)]
    pub name_in: Option<WithSpan<NameInArgs>>,
}

/// A value together with the span of the attribute that produced it.
#[derive(Debug)]
pub struct WithSpan<T> {
    pub value: T,
    pub span: proc_macro2::Span,
}

impl<T: FromMeta> FromMeta for WithSpan<T> {
    fn from_meta(item: &syn::Meta) -> darling::Result<Self> {
        Ok(WithSpan {
            value: T::from_meta(item)?,
            span: item.span(),
        })
    }
}

/// `id`, `id = "generated" | "uuid" | "client"`.
#[derive(Debug)]
pub struct IdArg {
    pub kind: Option<syn::LitStr>,
    pub span: proc_macro2::Span,
}

impl FromMeta for IdArg {
    fn from_meta(item: &syn::Meta) -> darling::Result<Self> {
        match item {
            syn::Meta::Path(p) => Ok(IdArg { kind: None, span: p.span() }),
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => {
                    Ok(IdArg { kind: Some(s.clone()), span: nv.span() })
                }
                other => Err(darling::Error::custom(
                    "expected a string: `id`, `id = \"generated\"`, `id = \"uuid\"` or `id = \"client\"`",
                )
                .with_span(other)),
            },
            syn::Meta::List(l) => Err(darling::Error::custom(
                "write `id` or `id = \"generated\" | \"uuid\" | \"client\"`, not a list",
            )
            .with_span(l)),
        }
    }
}

#[derive(Debug, FromMeta)]
pub struct LengthArgs {
    #[darling(default)]
    pub min: Option<syn::LitInt>,
    #[darling(default)]
    pub max: Option<syn::LitInt>,
}

#[derive(Debug, FromMeta)]
pub struct RangeArgs {
    #[darling(default)]
    pub min: Option<NumberLit>,
    #[darling(default)]
    pub max: Option<NumberLit>,
}

/// An integer or float literal, optionally negative.
#[derive(Debug, Clone)]
pub struct NumberLit {
    pub value: f64,
    #[allow(dead_code)]
    pub span: proc_macro2::Span,
}

impl FromMeta for NumberLit {
    fn from_expr(expr: &syn::Expr) -> darling::Result<Self> {
        let err = || {
            darling::Error::custom("expected a number literal, e.g. `min = 0` or `max = 9.5`")
                .with_span(expr)
        };
        let (neg, lit) = match expr {
            syn::Expr::Lit(l) => (false, &l.lit),
            syn::Expr::Unary(syn::ExprUnary {
                op: syn::UnOp::Neg(_),
                expr,
                ..
            }) => match &**expr {
                syn::Expr::Lit(l) => (true, &l.lit),
                _ => return Err(err()),
            },
            _ => return Err(err()),
        };
        let v: f64 = match lit {
            syn::Lit::Int(i) => i.base10_parse::<f64>().map_err(|_| err())?,
            syn::Lit::Float(f) => f.base10_parse::<f64>().map_err(|_| err())?,
            _ => return Err(err()),
        };
        Ok(NumberLit {
            value: if neg { -v } else { v },
            span: expr.span(),
        })
    }
}

/// `relation = "projects"` or `relation(resource = "projects", name = "project",
/// inverse = "tasks", on_delete = "cascade")`.
#[derive(Debug, Default)]
pub struct RelationArg {
    pub resource: Option<syn::LitStr>,
    pub name: Option<syn::LitStr>,
    pub inverse: Option<syn::LitStr>,
    pub on_delete: Option<syn::LitStr>,
}

#[derive(Debug, FromMeta)]
struct RelationList {
    resource: syn::LitStr,
    #[darling(default)]
    name: Option<syn::LitStr>,
    #[darling(default)]
    inverse: Option<syn::LitStr>,
    #[darling(default)]
    on_delete: Option<syn::LitStr>,
}

impl FromMeta for RelationArg {
    fn from_string(_value: &str) -> darling::Result<Self> {
        unreachable!("handled in from_value")
    }
    fn from_value(value: &syn::Lit) -> darling::Result<Self> {
        match value {
            syn::Lit::Str(s) => Ok(RelationArg {
                resource: Some(s.clone()),
                ..Default::default()
            }),
            other => Err(darling::Error::custom(
                "expected the target resource's path as a string, e.g. `relation = \"projects\"`",
            )
            .with_span(other)),
        }
    }
    fn from_list(items: &[darling::ast::NestedMeta]) -> darling::Result<Self> {
        let l = RelationList::from_list(items)?;
        Ok(RelationArg {
            resource: Some(l.resource),
            name: l.name,
            inverse: l.inverse,
            on_delete: l.on_delete,
        })
    }
}

#[derive(Debug, FromMeta, Default)]
pub struct EnumArgs {
    /// `snake_case` (default), `kebab-case`, `SCREAMING_SNAKE_CASE`,
    /// `lowercase`, `camelCase` or `PascalCase`.
    #[darling(default)]
    pub rename_all: Option<syn::LitStr>,
}

#[derive(Debug, FromVariant)]
#[darling(attributes(api), forward_attrs(doc))]
pub struct VariantArgs {
    pub ident: syn::Ident,
    pub fields: darling::ast::Fields<syn::Type>,
    #[allow(dead_code)]
    pub attrs: Vec<syn::Attribute>,
    #[darling(default)]
    pub rename: Option<syn::LitStr>,
}

/// Collects `/// doc` lines into one string.
pub fn doc_string(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for a in attrs {
        if !a.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &a.meta {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                lines.push(s.value().trim().to_string());
            }
        }
    }
    lines.join("\n").trim().to_string()
}
