//! `#[api_resource(..)] struct ..` → [`ResourceModel`].

use super::attrs::{doc_string, FieldArgs, ResourceArgs};
use super::messages::{reword, FIELD, RESOURCE};
use super::types::{classify, type_string, Kind};
use super::{is_identifier, leak, leak_slice};
use crate::*;
use darling::ast::NestedMeta;
use darling::{FromField, FromMeta};
use syn::spanned::Spanned;

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
    let mut errors = darling::Error::accumulator();

    let args = match NestedMeta::parse_meta_list(args) {
        Ok(list) => errors.handle(ResourceArgs::from_list(&list).map_err(|e| reword(e, &RESOURCE))),
        Err(e) => {
            errors.push(e.into());
            None
        }
    };

    if !item.generics.params.is_empty() {
        errors.push(
            darling::Error::custom("a resource cannot be generic; declare a concrete struct")
                .with_span(&item.generics.params[0]),
        );
    }
    let named = match &item.fields {
        syn::Fields::Named(n) => Some(n),
        other => {
            errors.push(
                darling::Error::custom(
                    "#[api_resource] needs a struct with named fields, e.g. `struct Task { id: i64, .. }`",
                )
                .with_span(other),
            );
            None
        }
    };

    let name = item.ident.to_string();
    let default_path = pluralize(&snake(&name));
    let mut path = default_path.clone();
    let mut table: Option<String> = None;
    let mut version = defaults::VERSION;
    let mut cache_ttl_secs = None;
    let mut page_size = defaults::PAGE_SIZE;
    let mut max_page_size = defaults::MAX_PAGE_SIZE;
    let mut rate_limit = RateLimitModel::NONE;

    if let Some(a) = &args {
        if let Some(p) = &a.path {
            let v = p.value();
            let ok = !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
                && v.chars()
                    .next()
                    .map(|c| c.is_ascii_lowercase())
                    .unwrap_or(false);
            if ok {
                path = v;
            } else {
                errors.push(
                    darling::Error::custom(
                        "`path` must be one lowercase URL segment (a-z, 0-9, `_`, `-`), e.g. `path = \"tasks\"`",
                    )
                    .with_span(p),
                );
            }
        }
        if let Some(t) = &a.table {
            if is_identifier(&t.value()) {
                table = Some(t.value());
            } else {
                errors.push(
                    darling::Error::custom(
                        "`table` must be a plain SQL identifier, e.g. `table = \"tasks\"`",
                    )
                    .with_span(t),
                );
            }
        }
        if let Some(v) = &a.version {
            match v.base10_parse::<u32>() {
                Ok(n) if n >= 1 => version = n,
                _ => errors.push(
                    darling::Error::custom(
                        "`version` must be a positive integer, e.g. `version = 2` for /v2",
                    )
                    .with_span(v),
                ),
            }
        }
        if let Some(t) = &a.cache_ttl {
            match parse_duration(&t.value()) {
                Some(s) => cache_ttl_secs = Some(s),
                None => errors.push(
                    darling::Error::custom(
                        "`cache_ttl` must be a duration like \"30s\", \"10m\", \"1h\" or \"0s\" (no caching)",
                    )
                    .with_span(t),
                ),
            }
        }
        if let Some(rl) = &a.rate_limit {
            let mut rate = |lit: &syn::LitStr| match RateModel::parse(&lit.value()) {
                Ok(r) => Some(r),
                Err(e) => {
                    errors
                        .push(darling::Error::custom(format!("`rate_limit`: {e}")).with_span(lit));
                    None
                }
            };
            if let Some(b) = &rl.both {
                rate_limit.read = rate(b);
                rate_limit.write = rate_limit.read;
            }
            if let Some(r) = &rl.read {
                rate_limit.read = rate(r);
            }
            if let Some(w) = &rl.write {
                rate_limit.write = rate(w);
            }
            if let Some(f) = &rl.on_redis_failure {
                match f.value().as_str() {
                    "open" => rate_limit.fail_closed = Some(false),
                    "closed" => rate_limit.fail_closed = Some(true),
                    _ => errors.push(
                        darling::Error::custom("`on_redis_failure` must be \"open\" (fall back to in-process limits) or \"closed\" (503)")
                            .with_span(f),
                    ),
                }
            }
        }
        let mut int = |lit: &Option<syn::LitInt>, what: &str, target: &mut u32| {
            if let Some(l) = lit {
                match l.base10_parse::<u32>() {
                    Ok(n) if n >= 1 => *target = n,
                    _ => errors.push(
                        darling::Error::custom(format!(
                            "`{what}` must be a positive integer, e.g. `{what} = 50`"
                        ))
                        .with_span(l),
                    ),
                }
            }
        };
        int(&a.page_size, "page_size", &mut page_size);
        int(&a.max_page_size, "max_page_size", &mut max_page_size);
        if page_size > max_page_size {
            let span = a
                .page_size
                .as_ref()
                .map(|l| l.span())
                .unwrap_or_else(|| item.ident.span());
            errors.push(
                darling::Error::custom(format!(
                    "`page_size` ({page_size}) is larger than `max_page_size` ({max_page_size}); raise `max_page_size` or lower `page_size`"
                ))
                .with_span(&span),
            );
        }
    }

    let mut fields = Vec::new();
    let mut models = Vec::new();
    // The field that carries `id`, for the "exactly one" message.
    let mut id_seen: Option<String> = None;
    // (exposed name, Rust field) and (column, Rust field), for duplicates.
    let mut api_names: Vec<(String, String)> = Vec::new();
    let mut columns: Vec<(String, String)> = Vec::new();
    // (relation name, its span), checked against every exposed name at the end.
    let mut relation_names: Vec<(String, proc_macro2::Span)> = Vec::new();

    for field in named.map(|n| n.named.iter()).into_iter().flatten() {
        let Some(args) = errors.handle(FieldArgs::from_field(field).map_err(|e| reword(e, &FIELD)))
        else {
            continue;
        };
        let ident = args.ident.clone().expect("named field");
        let rust_name = ident.to_string();
        let rust_name_clean = rust_name.trim_start_matches("r#").to_string();
        // Field problems go to a local list so the helper closure does not
        // hold `errors` borrowed for the whole loop body.
        let local = std::cell::RefCell::new(Vec::<darling::Error>::new());
        let err = |msg: String, span: proc_macro2::Span| {
            local
                .borrow_mut()
                .push(darling::Error::custom(msg).with_span(&span));
        };

        // A skipped field is plain Rust state: any type is fine.
        let class = match classify(&args.ty) {
            _ if args.skip.is_present() => None,
            Ok(c) => Some(c),
            Err(e) => {
                local.borrow_mut().push(e);
                None
            }
        };

        let skip = args.skip.is_present();
        let hidden = args.hidden.is_present();
        let read_only = args.read_only.is_present();
        let created = args.created_at.is_present();
        let updated = args.updated_at.is_present();

        // Options that make no sense on a field that is not stored.
        if skip {
            let conflicts: [(&str, Option<proc_macro2::Span>); 10] = [
                ("id", args.id.as_ref().map(|i| i.span)),
                (
                    "hidden",
                    args.hidden.is_present().then(|| args.hidden.span()),
                ),
                (
                    "filter",
                    args.filter.is_present().then(|| args.filter.span()),
                ),
                ("sort", args.sort.is_present().then(|| args.sort.span())),
                (
                    "unique",
                    args.unique.is_present().then(|| args.unique.span()),
                ),
                ("relation", args.relation.as_ref().map(|r| r.span)),
                (
                    "read_only",
                    args.read_only.is_present().then(|| args.read_only.span()),
                ),
                (
                    "created_at",
                    args.created_at.is_present().then(|| args.created_at.span()),
                ),
                (
                    "updated_at",
                    args.updated_at.is_present().then(|| args.updated_at.span()),
                ),
                ("column", args.column.as_ref().map(|c| c.span())),
            ];
            for (what, span) in conflicts {
                if let Some(span) = span {
                    err(
                        format!("`{what}` conflicts with `skip`: a skipped field is neither stored nor exposed; remove one of them"),
                        span,
                    );
                }
            }
        }
        if hidden {
            for (what, present, span) in [
                ("filter", args.filter.is_present(), args.filter.span()),
                ("sort", args.sort.is_present(), args.sort.span()),
            ] {
                if present {
                    err(
                        format!("`{what}` conflicts with `hidden`: clients cannot filter or sort on a field they cannot see"),
                        span,
                    );
                }
            }
        }
        if created && updated {
            err(
                "`created_at` and `updated_at` conflict; a field is set either once on create or on every write".into(),
                args.updated_at.span(),
            );
        }

        let optional = class.as_ref().map(|c| c.optional).unwrap_or(false);
        let (ty, type_ref) = match class.as_ref().map(|c| &c.kind) {
            Some(Kind::Scalar(t)) => (*t, TypeRef::Scalar),
            Some(Kind::Enum(p)) => {
                let name = p
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                let placeholder: &'static EnumModel = Box::leak(Box::new(EnumModel {
                    name: leak(name),
                    variants: &[],
                    doc: "",
                }));
                (FieldType::Enum(placeholder), TypeRef::Enum(p.clone()))
            }
            None => (FieldType::String, TypeRef::Scalar),
        };
        let typed = class.is_some();

        // Primary key.
        let id = match &args.id {
            None => None,
            Some(idarg) => {
                if let Some(prev) = &id_seen {
                    err(
                        format!("this resource's id is already `{prev}`; a resource has exactly one id field (composite keys are not supported), so remove `id` from one of them"),
                        idarg.span,
                    );
                } else {
                    id_seen = Some(rust_name_clean.clone());
                }
                if optional {
                    let inner = class
                        .as_ref()
                        .map(|c| type_string(&c.inner))
                        .unwrap_or_default();
                    err(
                        format!("the `id` field cannot be `Option<T>` (every row has an id); write `{}: {inner}`", rust_name_clean),
                        args.ty.span(),
                    );
                }
                if hidden {
                    err(
                        "`id` conflicts with `hidden`: clients need the id to address a row".into(),
                        args.hidden.span(),
                    );
                }
                let strategy = match idarg.kind.as_ref().map(|k| (k.value(), k.span())) {
                    None => match ty {
                        FieldType::Uuid => Some(IdStrategy::Uuid),
                        FieldType::String => Some(IdStrategy::Client),
                        t if t.is_integer() => Some(IdStrategy::Generated),
                        _ => {
                            if typed {
                                err(
                                    "an `id` field must be an integer (`i32`, `i64`), `Uuid` or `String`".into(),
                                    args.ty.span(),
                                );
                            }
                            None
                        }
                    },
                    Some((k, span)) => match k.as_str() {
                        "generated" if ty.is_integer() => Some(IdStrategy::Generated),
                        "generated" => {
                            err("`id = \"generated\"` needs an integer field (i32 or i64); use `id = \"uuid\"` for Uuid".into(), span);
                            None
                        }
                        "uuid" if ty == FieldType::Uuid => Some(IdStrategy::Uuid),
                        "uuid" => {
                            err("`id = \"uuid\"` needs a `Uuid` field".into(), span);
                            None
                        }
                        "client"
                            if ty.is_integer()
                                || matches!(ty, FieldType::Uuid | FieldType::String) =>
                        {
                            Some(IdStrategy::Client)
                        }
                        "client" => {
                            err(
                                "`id = \"client\"` needs an integer, `Uuid` or `String` field"
                                    .into(),
                                span,
                            );
                            None
                        }
                        _ => {
                            err(
                                "unknown id strategy; use `id` (inferred), `id = \"generated\"`, `id = \"uuid\"` or `id = \"client\"`".into(),
                                span,
                            );
                            None
                        }
                    },
                };
                strategy
            }
        };

        let auto = if created {
            Some(AutoValue::CreatedAt)
        } else if updated {
            Some(AutoValue::UpdatedAt)
        } else {
            None
        };
        if auto.is_some() && typed && ty != FieldType::DateTime {
            let (what, span) = if created {
                ("created_at", args.created_at.span())
            } else {
                ("updated_at", args.updated_at.span())
            };
            err(
                format!(
                    "`{what}` stores the time of the write, so the field must be `DateTime<Utc>`; change `{}` to `DateTime<Utc>` or remove `{what}`",
                    type_string(&args.ty)
                ),
                span,
            );
        }

        // Names.
        let api_name = match &args.rename {
            Some(r) => {
                let v = r.value();
                if !is_identifier(&v) {
                    err(
                        "`rename` must be an identifier (letters, digits, `_`; not starting with a digit) so it works in JSON, GraphQL and query strings".into(),
                        r.span(),
                    );
                }
                v
            }
            None => rust_name_clean.clone(),
        };
        let column = match &args.column {
            Some(c) => {
                if !is_identifier(&c.value()) {
                    err("`column` must be a plain SQL identifier".into(), c.span());
                }
                c.value()
            }
            None => rust_name_clean.clone(),
        };
        if !skip && !hidden {
            let span = args
                .rename
                .as_ref()
                .map(|r| r.span())
                .unwrap_or_else(|| ident.span());
            match api_names.iter().find(|(n, _)| *n == api_name) {
                Some((_, other)) => err(
                    format!("`{rust_name_clean}` is exposed as `{api_name}`, which `{other}` already uses; give one of them a different `rename`"),
                    span,
                ),
                None => api_names.push((api_name.clone(), rust_name_clean.clone())),
            }
        }
        if !skip {
            let span = args
                .column
                .as_ref()
                .map(|c| c.span())
                .unwrap_or_else(|| ident.span());
            match columns.iter().find(|(c, _)| *c == column) {
                Some((_, other)) => err(
                    format!("`{rust_name_clean}` is stored in column `{column}`, which `{other}` already uses; give one of them a different `column`"),
                    span,
                ),
                None => columns.push((column.clone(), rust_name_clean.clone())),
            }
        }

        // Validation.
        let mut validation = Validation::NONE;
        if let Some(len) = &args.length {
            if typed && ty != FieldType::String {
                err(
                    "`length(..)` applies to String fields; use `range(..)` for numbers".into(),
                    len.span,
                );
            }
            let get = |l: &Option<syn::LitInt>, errs: &mut Vec<(String, proc_macro2::Span)>| {
                l.as_ref().and_then(|l| match l.base10_parse::<u32>() {
                    Ok(n) => Some(n),
                    Err(_) => {
                        errs.push((
                            "length bounds must be non-negative integers".into(),
                            l.span(),
                        ));
                        None
                    }
                })
            };
            let mut errs = Vec::new();
            validation.min_length = get(&len.value.min, &mut errs);
            validation.max_length = get(&len.value.max, &mut errs);
            for (m, s) in errs {
                err(m, s);
            }
            if len.value.min.is_none() && len.value.max.is_none() {
                err(
                    "`length(..)` needs `min`, `max` or both, e.g. `length(min = 1, max = 200)`"
                        .into(),
                    len.span,
                );
            }
            if let (Some(a), Some(b)) = (validation.min_length, validation.max_length) {
                if a > b {
                    err(
                        format!("`length` min ({a}) is larger than max ({b})"),
                        len.span,
                    );
                }
            }
        }
        if let Some(range) = &args.range {
            if typed && !ty.is_numeric() {
                err(
                    "`range(..)` applies to numeric fields; use `length(..)` for strings".into(),
                    range.span,
                );
            }
            validation.min = range.value.min.as_ref().map(|n| n.value);
            validation.max = range.value.max.as_ref().map(|n| n.value);
            if range.value.min.is_none() && range.value.max.is_none() {
                err(
                    "`range(..)` needs `min`, `max` or both, e.g. `range(min = 1, max = 5)`".into(),
                    range.span,
                );
            }
            if let (Some(a), Some(b)) = (validation.min, validation.max) {
                if a > b {
                    err(
                        format!("`range` min ({a}) is larger than max ({b})"),
                        range.span,
                    );
                }
            }
        }
        if let Some(p) = &args.pattern {
            if typed && ty != FieldType::String {
                err("`pattern` applies to String fields".into(), p.span());
            }
            match regex::Regex::new(&p.value()) {
                Ok(_) => validation.pattern = Some(leak(p.value())),
                Err(e) => err(
                    format!("`pattern` is not a valid regular expression: {e}"),
                    p.span(),
                ),
            }
        }
        if (validation.min_length.is_some()
            || validation.max_length.is_some()
            || validation.pattern.is_some()
            || validation.min.is_some()
            || validation.max.is_some())
            && (read_only || auto.is_some() || hidden)
            && args.id.is_none()
        {
            let span = args
                .length
                .as_ref()
                .map(|l| l.span)
                .or(args.range.as_ref().map(|r| r.span))
                .or(args.pattern.as_ref().map(|p| p.span()))
                .unwrap_or_else(|| ident.span());
            err("validation rules apply to client input; this field is set by the server, so remove them".into(), span);
        }

        // Relation.
        let relation = match &args.relation {
            None => None,
            Some(rel) => {
                let r = &rel.value;
                if typed && !(ty.is_integer() || matches!(ty, FieldType::Uuid | FieldType::String))
                {
                    err("a `relation` field holds the target's id: use an integer, `Uuid` or `String` type".into(), args.ty.span());
                }
                if args.id.is_some() {
                    err(
                        "`relation` conflicts with `id`; a foreign key is a separate field".into(),
                        rel.span,
                    );
                }
                let resource = r.resource.as_ref().map(|s| s.value()).unwrap_or_default();
                let name = match &r.name {
                    Some(n) => {
                        if !is_identifier(&n.value()) {
                            err(
                                "relation `name` must be an identifier, e.g. `name = \"project\"`"
                                    .into(),
                                n.span(),
                            );
                        }
                        relation_names.push((n.value(), n.span()));
                        n.value()
                    }
                    None => match rust_name_clean.strip_suffix("_id") {
                        Some(base) if !base.is_empty() => {
                            relation_names.push((base.to_string(), rel.span));
                            base.to_string()
                        }
                        _ => {
                            err(
                                format!("cannot infer the relation's name from `{rust_name_clean}` (it does not end in `_id`); rename the field to `{rust_name_clean}_id`, or write `relation(resource = \"{resource}\", name = \"...\")`"),
                                rel.span,
                            );
                            String::new()
                        }
                    },
                };
                let inverse = match &r.inverse {
                    Some(i) if i.value().is_empty() => None,
                    Some(i) => {
                        if !is_identifier(&i.value()) {
                            err("relation `inverse` must be an identifier (or \"\" to hide the reverse side)".into(), i.span());
                        }
                        Some(i.value())
                    }
                    None => Some(path.replace('-', "_")),
                };
                let on_delete = match r.on_delete.as_ref().map(|o| (o.value(), o.span())) {
                    None => OnDelete::Restrict,
                    Some((v, span)) => match v.as_str() {
                        "restrict" => OnDelete::Restrict,
                        "cascade" => OnDelete::Cascade,
                        "set_null" => {
                            if !optional && typed {
                                err(
                                    format!("`on_delete = \"set_null\"` needs an optional field; write `{rust_name_clean}: Option<{}>`, or use `on_delete = \"cascade\"` or `\"restrict\"`", type_string(&args.ty)),
                                    span,
                                );
                            }
                            OnDelete::SetNull
                        }
                        _ => {
                            err("unknown `on_delete`; use \"restrict\" (the default), \"cascade\" or \"set_null\"".into(), span);
                            OnDelete::Restrict
                        }
                    },
                };
                Some(Relation {
                    resource: leak(resource),
                    name: leak(name),
                    inverse: inverse.map(leak),
                    on_delete,
                })
            }
        };

        // Hidden fields must be fillable without the client.
        if hidden && !skip && typed && !optional && auto.is_none() {
            err(
                format!("a `hidden` field is never sent by clients, so it must be optional: write `{rust_name_clean}: Option<{}>` (or make it server-set with `created_at`/`updated_at`)", type_string(&args.ty)),
                args.ty.span(),
            );
        }

        models.push(FieldModel {
            rust_name: leak(rust_name_clean.clone()),
            api_name: leak(api_name),
            column: leak(column),
            ty,
            optional,
            id,
            read_only: read_only || auto.is_some(),
            hidden,
            skip,
            filterable: args.filter.is_present(),
            sortable: args.sort.is_present(),
            unique: args.unique.is_present(),
            auto,
            validation,
            relation,
            doc: leak(doc_string(&args.attrs)),
        });
        for e in local.into_inner() {
            errors.push(e);
        }
        let inner = class
            .as_ref()
            .map(|c| c.inner.clone())
            .unwrap_or_else(|| args.ty.clone());
        fields.push(ParsedField {
            ident,
            ty: args.ty.clone(),
            inner,
            type_ref,
        });
    }

    if let Some(n) = named {
        if id_seen.is_none() && n.named.iter().all(|f| FieldArgs::from_field(f).is_ok()) {
            let hint = if n
                .named
                .iter()
                .any(|f| f.ident.as_ref().is_some_and(|i| i == "id"))
            {
                "add `#[api(id)]` to the `id` field".to_string()
            } else {
                "mark its primary key with `#[api(id)]`, e.g. `#[api(id)] pub id: i64`".to_string()
            };
            errors.push(
                darling::Error::custom(format!("`{name}` has no id field; {hint}"))
                    .with_span(&item.ident),
            );
        }
    }
    for (rel, span) in &relation_names {
        if let Some((_, field)) = api_names.iter().find(|(n, _)| n == rel) {
            errors.push(
                darling::Error::custom(format!(
                    "the relation is exposed as `{rel}`, which field `{field}` already uses; choose another `name`, e.g. `relation(.., name = \"{rel}_ref\")`"
                ))
                .with_span(span),
            );
        }
    }

    errors.finish()?;

    let model = ResourceModel {
        name: leak(name),
        path: leak(path),
        table: leak(table.unwrap_or_else(|| default_path.replace('-', "_"))),
        version,
        cache_ttl_secs,
        page_size,
        max_page_size,
        rate_limit,
        doc: leak(doc_string(&item.attrs)),
        fields: leak_slice(models),
    };
    Ok(ParsedResource {
        model,
        ident: item.ident.clone(),
        vis: item.vis.clone(),
        fields,
    })
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

/// `TaskComment` → `task_comment`.
fn snake(name: &str) -> String {
    super::rename_case(name, "snake_case").unwrap_or_else(|| name.to_lowercase())
}

/// A small English pluralizer for default paths; `path = ".."` overrides it.
fn pluralize(s: &str) -> String {
    if s.ends_with('s') || s.ends_with('x') || s.ends_with("ch") || s.ends_with("sh") {
        format!("{s}es")
    } else if s.ends_with('y') && !s.ends_with("ay") && !s.ends_with("ey") && !s.ends_with("oy") {
        format!("{}ies", &s[..s.len() - 1])
    } else {
        format!("{s}s")
    }
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
    fn plural() {
        assert_eq!(pluralize("task"), "tasks");
        assert_eq!(pluralize("category"), "categories");
        assert_eq!(pluralize("box"), "boxes");
        assert_eq!(pluralize("day"), "days");
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
