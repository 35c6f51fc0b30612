//! One struct field → its [`FieldModel`] and [`ParsedField`], one function
//! per concern: the type, the id strategy, automatic timestamps, the exposed
//! name and column, validation rules and the relation. Each reports what is
//! wrong with its own options, including an option that does not fit the
//! field's type.
//!
//! Not for reading the attribute syntax (`attrs.rs`), nor for rules between
//! options or between fields (`check.rs`): [`build_field`] calls those at
//! the point where their errors belong in the report.

use super::access::field_access;
use super::attrs::{doc_string, FieldArgs, IdArg, LengthArgs, RangeArgs, RelationArg, WithSpan};
use super::check::{self, Seen};
use super::ctxt::Ctxt;
use super::messages::{reword, FIELD};
use super::resource::{ParsedField, TypeRef};
use super::types::{classify, type_string, Classified, Kind};
use super::{is_identifier, leak};
use crate::{
    AutoValue, DefaultValue, EnumModel, FieldAccess, FieldModel, FieldType, IdStrategy, OnDelete,
    Relation, Validation,
};
use darling::FromField;
use syn::spanned::Spanned;

/// Reads one field's `#[api(..)]` options; `None` once their errors are
/// recorded.
pub(super) fn field_args(cx: &mut Ctxt, field: &syn::Field) -> Option<FieldArgs> {
    cx.handle(FieldArgs::from_field(field).map_err(|e| reword(e, &FIELD)))
}

/// One field as the builders below see it.
struct Field<'a> {
    args: &'a FieldArgs,
    /// The Rust name without `r#`.
    name: String,
    /// What the Rust type means; `None` for a skipped field or a type that
    /// is not supported (already reported), so type checks do not apply.
    class: Option<Classified>,
    /// The model's type; `String` when `class` is `None`.
    ty: FieldType,
    optional: bool,
}

impl Field<'_> {
    /// The type was understood, so options can be checked against it.
    fn typed(&self) -> bool {
        self.class.is_some()
    }
}

/// Builds one field whose options parsed, with `path` the resource's
/// resolved path (the default inverse name of a relation).
pub(super) fn build_field(
    cx: &mut Ctxt,
    seen: &mut Seen,
    args: &FieldArgs,
    path: &str,
) -> (FieldModel, ParsedField) {
    let ident = args.ident.clone().expect("named field");
    let class = classify_type(cx, args);
    check::option_conflicts(cx, args);
    let (ty, type_ref) = model_type(class.as_ref());
    let field = Field {
        args,
        name: ident.to_string().trim_start_matches("r#").to_string(),
        optional: class.as_ref().map(|c| c.optional).unwrap_or(false),
        class,
        ty,
    };
    let model = field_model(cx, seen, &field, path);
    let inner = match field.class {
        Some(c) => c.inner,
        None => args.ty.clone(),
    };
    let parsed = ParsedField {
        ident,
        ty: args.ty.clone(),
        inner,
        type_ref,
    };
    (model, parsed)
}

/// The field's model, each concern checked in the order it is reported.
fn field_model(cx: &mut Ctxt, seen: &mut Seen, f: &Field, path: &str) -> FieldModel {
    let args = f.args;
    let id = args.id.as_ref().and_then(|id| id_strategy(cx, seen, f, id));
    let auto = auto_value(cx, f);
    let api_name = api_name(cx, f);
    let column = column_name(cx, f);
    claim_names(cx, seen, f, &api_name, &column);
    let validation = validation(cx, f);
    check::validation_on_server_set(cx, args, &validation, auto.is_some());
    let relation = args
        .relation
        .as_ref()
        .map(|rel| relation(cx, seen, f, rel, path));
    hidden_needs_option(cx, f, auto);
    let owner = owner(cx, seen, f);
    let renamed_from = renamed_from(cx, f, &column);
    let access = args
        .access
        .as_ref()
        .map(|a| field_access(cx, &a.value))
        .unwrap_or(FieldAccess::NONE);
    let default = args
        .default
        .as_ref()
        .and_then(|d| default_value(cx, f, d, auto, id));
    FieldModel {
        rust_name: leak(f.name.clone()),
        api_name: leak(api_name),
        column: leak(column),
        ty: f.ty,
        optional: f.optional,
        id,
        read_only: args.read_only.is_present() || auto.is_some(),
        hidden: args.hidden.is_present(),
        skip: args.skip.is_present(),
        filterable: args.filter.is_present(),
        sortable: args.sort.is_present(),
        unique: args.unique.is_present(),
        auto,
        validation,
        relation,
        owner,
        renamed_from,
        access,
        default,
        // Filled in against the resource's versions (`versions.rs`).
        added_in: None,
        removed_in: None,
        old_names: &[],
        doc: leak(doc_string(&args.attrs)),
    }
}

/// `default = ..`: a literal of the field's type, stored when a create
/// leaves the field out. Not for fields the server or the caller's
/// credential fills, nor optional ones (their default is null).
fn default_value(
    cx: &mut Ctxt,
    f: &Field,
    expr: &syn::Expr,
    auto: Option<AutoValue>,
    id: Option<IdStrategy>,
) -> Option<DefaultValue> {
    let span = expr.span();
    if id.is_some() || auto.is_some() || f.args.owner.is_present() {
        cx.error(
            span,
            "`default` conflicts with a value the server sets (id, timestamp or owner); remove it",
        );
        return None;
    }
    if f.optional {
        cx.error(span, format!("an optional field already defaults to null; remove `default`, or make the field required: `{}: {}`", f.name, f.class.as_ref().map(|c| type_string(&c.inner)).unwrap_or_default()));
        return None;
    }
    let (neg, lit) = match expr {
        syn::Expr::Lit(l) => (false, &l.lit),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            syn::Expr::Lit(l) => (true, &l.lit),
            _ => (false, &syn::Lit::Verbatim(proc_macro2::Literal::string(""))),
        },
        _ => (false, &syn::Lit::Verbatim(proc_macro2::Literal::string(""))),
    };
    let ty = f.ty;
    let value = match lit {
        syn::Lit::Int(i) if ty.is_integer() => i
            .base10_parse::<i64>()
            .ok()
            .map(|n| DefaultValue::Int(if neg { -n } else { n })),
        syn::Lit::Int(i) if ty.is_float() => i
            .base10_parse::<f64>()
            .ok()
            .map(|n| DefaultValue::Float(if neg { -n } else { n })),
        syn::Lit::Float(x) if ty.is_float() => x
            .base10_parse::<f64>()
            .ok()
            .map(|n| DefaultValue::Float(if neg { -n } else { n })),
        syn::Lit::Bool(b) if ty == FieldType::Bool && !neg => Some(DefaultValue::Bool(b.value)),
        syn::Lit::Str(s) if !neg && matches!(ty, FieldType::String | FieldType::Enum(_)) => {
            Some(DefaultValue::Text(leak(s.value())))
        }
        _ => None,
    };
    if value.is_none() && f.typed() {
        let example = match ty {
            FieldType::Bool => "`default = false`",
            FieldType::String => "`default = \"\"`",
            FieldType::Enum(_) => "the variant's wire name, e.g. `default = \"todo\"`",
            t if t.is_integer() => "`default = 0`",
            t if t.is_float() => "`default = 0.0`",
            _ => "",
        };
        if example.is_empty() {
            cx.error(span, format!("`default` takes a literal; a `{}` field has none: make it `Option<…>` or fill it in a hook", type_string(&f.args.ty)));
        } else {
            cx.error(
                span,
                format!(
                    "`default` must be a literal of the field's type ({}): {example}",
                    type_string(&f.args.ty)
                ),
            );
        }
    }
    value
}

/// `owner`: the caller's subject, so a `String` the server sets.
fn owner(cx: &mut Ctxt, seen: &mut Seen, f: &Field) -> bool {
    let flag = &f.args.owner;
    if !flag.is_present() {
        return false;
    }
    seen.claim_owner(cx, &f.name, flag.span());
    if f.typed() && (f.ty != FieldType::String || f.optional) {
        cx.error(
            f.args.ty.span(),
            format!(
                "an `owner` field holds the caller's subject, so it must be `String`; change `{}` to `String`",
                type_string(&f.args.ty)
            ),
        );
    }
    true
}

/// What the Rust type means; a skipped field is plain Rust state, so any
/// type is fine there.
fn classify_type(cx: &mut Ctxt, args: &FieldArgs) -> Option<Classified> {
    if args.skip.is_present() {
        return None;
    }
    cx.handle(classify(&args.ty))
}

/// The model's type and, for an enum, the path the code generator refers to.
fn model_type(class: Option<&Classified>) -> (FieldType, TypeRef) {
    match class.map(|c| &c.kind) {
        Some(Kind::Scalar(t)) => (*t, TypeRef::Scalar),
        Some(Kind::Enum(p)) => (
            FieldType::Enum(enum_placeholder(p)),
            TypeRef::Enum(p.clone()),
        ),
        None => (FieldType::String, TypeRef::Scalar),
    }
}

/// Stands in for an `#[api_enum]` type, by name only, until its variants
/// are known.
fn enum_placeholder(p: &syn::Path) -> &'static EnumModel {
    let name = p
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default();
    Box::leak(Box::new(EnumModel {
        name: leak(name),
        variants: &[],
        doc: "",
    }))
}

/// `id` / `id = ".."`: the primary key and how its values are made.
fn id_strategy(cx: &mut Ctxt, seen: &mut Seen, f: &Field, id: &IdArg) -> Option<IdStrategy> {
    seen.claim_id(cx, &f.name, id.span);
    if f.optional {
        let inner = f
            .class
            .as_ref()
            .map(|c| type_string(&c.inner))
            .unwrap_or_default();
        cx.error(
            f.args.ty.span(),
            format!(
                "the `id` field cannot be `Option<T>` (every row has an id); write `{}: {inner}`",
                f.name
            ),
        );
    }
    if f.args.hidden.is_present() {
        cx.error(
            f.args.hidden.span(),
            "`id` conflicts with `hidden`: clients need the id to address a row",
        );
    }
    match &id.kind {
        None => inferred_id_strategy(cx, f),
        Some(kind) => declared_id_strategy(cx, f, kind),
    }
}

/// Plain `id`: the strategy follows from the type.
fn inferred_id_strategy(cx: &mut Ctxt, f: &Field) -> Option<IdStrategy> {
    match f.ty {
        FieldType::Uuid => Some(IdStrategy::Uuid),
        FieldType::String => Some(IdStrategy::Client),
        t if t.is_integer() => Some(IdStrategy::Generated),
        _ => {
            if f.typed() {
                cx.error(
                    f.args.ty.span(),
                    "an `id` field must be an integer (`i32`, `i64`), `Uuid` or `String`",
                );
            }
            None
        }
    }
}

/// `id = "generated" | "uuid" | "client"`, which the type must allow.
fn declared_id_strategy(cx: &mut Ctxt, f: &Field, kind: &syn::LitStr) -> Option<IdStrategy> {
    let ty = f.ty;
    let span = kind.span();
    match kind.value().as_str() {
        "generated" if ty.is_integer() => Some(IdStrategy::Generated),
        "generated" => {
            cx.error(span, "`id = \"generated\"` needs an integer field (i32 or i64); use `id = \"uuid\"` for Uuid");
            None
        }
        "uuid" if ty == FieldType::Uuid => Some(IdStrategy::Uuid),
        "uuid" => {
            cx.error(span, "`id = \"uuid\"` needs a `Uuid` field");
            None
        }
        "client" if ty.is_integer() || matches!(ty, FieldType::Uuid | FieldType::String) => {
            Some(IdStrategy::Client)
        }
        "client" => {
            cx.error(
                span,
                "`id = \"client\"` needs an integer, `Uuid` or `String` field",
            );
            None
        }
        _ => {
            cx.error(
                span,
                "unknown id strategy; use `id` (inferred), `id = \"generated\"`, `id = \"uuid\"` or `id = \"client\"`",
            );
            None
        }
    }
}

/// `created_at` / `updated_at`: a time the server writes, so a
/// `DateTime<Utc>`.
fn auto_value(cx: &mut Ctxt, f: &Field) -> Option<AutoValue> {
    let created = f.args.created_at.is_present();
    let updated = f.args.updated_at.is_present();
    let auto = if created {
        Some(AutoValue::CreatedAt)
    } else if updated {
        Some(AutoValue::UpdatedAt)
    } else {
        None
    };
    if auto.is_some() && f.typed() && f.ty != FieldType::DateTime {
        let (what, span) = if created {
            ("created_at", f.args.created_at.span())
        } else {
            ("updated_at", f.args.updated_at.span())
        };
        cx.error(
            span,
            format!(
                "`{what}` stores the time of the write, so the field must be `DateTime<Utc>`; change `{}` to `DateTime<Utc>` or remove `{what}`",
                type_string(&f.args.ty)
            ),
        );
    }
    auto
}

/// `rename = ".."`, or the Rust name: what clients see.
fn api_name(cx: &mut Ctxt, f: &Field) -> String {
    match &f.args.rename {
        Some(r) => {
            let v = r.value();
            if !is_identifier(&v) {
                cx.error(
                    r.span(),
                    "`rename` must be an identifier (letters, digits, `_`; not starting with a digit) so it works in JSON, GraphQL and query strings",
                );
            }
            v
        }
        None => f.name.clone(),
    }
}

/// `renamed_from = ".."`: the column's previous name, a plain identifier
/// other than its current one.
fn renamed_from(cx: &mut Ctxt, f: &Field, column: &str) -> Option<&'static str> {
    let lit = f.args.renamed_from.as_ref()?;
    let old = lit.value();
    if !is_identifier(&old) {
        cx.error(
            lit.span(),
            "`renamed_from` must be the column's previous name, a plain SQL identifier",
        );
        return None;
    }
    if old == column {
        cx.error(
            lit.span(),
            format!("`renamed_from` names the column's current name `{column}`; give the name it had before, or remove it"),
        );
        return None;
    }
    Some(leak(old))
}

/// `column = ".."`, or the Rust name: where the value is stored.
fn column_name(cx: &mut Ctxt, f: &Field) -> String {
    match &f.args.column {
        Some(c) => {
            if !is_identifier(&c.value()) {
                cx.error(c.span(), "`column` must be a plain SQL identifier");
            }
            c.value()
        }
        None => f.name.clone(),
    }
}

/// Exposed fields share one set of names, stored fields one set of columns.
fn claim_names(cx: &mut Ctxt, seen: &mut Seen, f: &Field, api_name: &str, column: &str) {
    let skip = f.args.skip.is_present();
    if !skip && !f.args.hidden.is_present() {
        seen.claim_api_name(cx, f.args, &f.name, api_name);
    }
    if !skip {
        seen.claim_column(cx, f.args, &f.name, column);
    }
}

/// `length(..)`, `range(..)` and `pattern = ".."`.
fn validation(cx: &mut Ctxt, f: &Field) -> Validation {
    let mut validation = Validation::NONE;
    if let Some(length) = &f.args.length {
        (validation.min_length, validation.max_length) = length_bounds(cx, f, length);
    }
    if let Some(range) = &f.args.range {
        (validation.min, validation.max) = range_bounds(cx, f, range);
    }
    if let Some(p) = &f.args.pattern {
        validation.pattern = pattern(cx, f, p);
    }
    validation
}

/// `length(min = .., max = ..)` on a `String`.
fn length_bounds(
    cx: &mut Ctxt,
    f: &Field,
    length: &WithSpan<LengthArgs>,
) -> (Option<u32>, Option<u32>) {
    if f.typed() && f.ty != FieldType::String {
        cx.error(
            length.span,
            "`length(..)` applies to String fields; use `range(..)` for numbers",
        );
    }
    let min = length.value.min.as_ref().and_then(|l| length_bound(cx, l));
    let max = length.value.max.as_ref().and_then(|l| length_bound(cx, l));
    if length.value.min.is_none() && length.value.max.is_none() {
        cx.error(
            length.span,
            "`length(..)` needs `min`, `max` or both, e.g. `length(min = 1, max = 200)`",
        );
    }
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            cx.error(
                length.span,
                format!("`length` min ({a}) is larger than max ({b})"),
            );
        }
    }
    (min, max)
}

fn length_bound(cx: &mut Ctxt, lit: &syn::LitInt) -> Option<u32> {
    match lit.base10_parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            cx.error(lit.span(), "length bounds must be non-negative integers");
            None
        }
    }
}

/// `range(min = .., max = ..)` on a number.
fn range_bounds(
    cx: &mut Ctxt,
    f: &Field,
    range: &WithSpan<RangeArgs>,
) -> (Option<f64>, Option<f64>) {
    if f.typed() && !f.ty.is_numeric() {
        cx.error(
            range.span,
            "`range(..)` applies to numeric fields; use `length(..)` for strings",
        );
    }
    let min = range.value.min.as_ref().map(|n| n.value);
    let max = range.value.max.as_ref().map(|n| n.value);
    if range.value.min.is_none() && range.value.max.is_none() {
        cx.error(
            range.span,
            "`range(..)` needs `min`, `max` or both, e.g. `range(min = 1, max = 5)`",
        );
    }
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            cx.error(
                range.span,
                format!("`range` min ({a}) is larger than max ({b})"),
            );
        }
    }
    (min, max)
}

/// `pattern = ".."` on a `String`: a regular expression that must compile.
fn pattern(cx: &mut Ctxt, f: &Field, lit: &syn::LitStr) -> Option<&'static str> {
    if f.typed() && f.ty != FieldType::String {
        cx.error(lit.span(), "`pattern` applies to String fields");
    }
    match regex::Regex::new(&lit.value()) {
        Ok(_) => Some(leak(lit.value())),
        Err(e) => {
            cx.error(
                lit.span(),
                format!("`pattern` is not a valid regular expression: {e}"),
            );
            None
        }
    }
}

/// `relation = ".."` / `relation(..)`: a foreign key holding the target's id.
fn relation(
    cx: &mut Ctxt,
    seen: &mut Seen,
    f: &Field,
    rel: &WithSpan<RelationArg>,
    path: &str,
) -> Relation {
    let ty = f.ty;
    if f.typed() && !(ty.is_integer() || matches!(ty, FieldType::Uuid | FieldType::String)) {
        cx.error(
            f.args.ty.span(),
            "a `relation` field holds the target's id: use an integer, `Uuid` or `String` type",
        );
    }
    if f.args.id.is_some() {
        cx.error(
            rel.span,
            "`relation` conflicts with `id`; a foreign key is a separate field",
        );
    }
    let resource = rel
        .value
        .resource
        .as_ref()
        .map(|s| s.value())
        .unwrap_or_default();
    let name = relation_name(cx, seen, f, rel, &resource);
    let inverse = relation_inverse(cx, &rel.value, path);
    let on_delete = on_delete(cx, f, &rel.value);
    Relation {
        resource: leak(resource),
        name: leak(name),
        inverse: inverse.map(leak),
        on_delete,
    }
}

/// `name = ".."`, or the field's name without `_id`: how the relation is
/// exposed. Claimed in `seen`, to be checked against the fields' names.
fn relation_name(
    cx: &mut Ctxt,
    seen: &mut Seen,
    f: &Field,
    rel: &WithSpan<RelationArg>,
    resource: &str,
) -> String {
    if let Some(n) = &rel.value.name {
        if !is_identifier(&n.value()) {
            cx.error(
                n.span(),
                "relation `name` must be an identifier, e.g. `name = \"project\"`",
            );
        }
        seen.claim_relation_name(n.value(), n.span());
        return n.value();
    }
    let name = &f.name;
    match name.strip_suffix("_id") {
        Some(base) if !base.is_empty() => {
            seen.claim_relation_name(base.to_string(), rel.span);
            base.to_string()
        }
        _ => {
            cx.error(
                rel.span,
                format!("cannot infer the relation's name from `{name}` (it does not end in `_id`); rename the field to `{name}_id`, or write `relation(resource = \"{resource}\", name = \"...\")`"),
            );
            String::new()
        }
    }
}

/// `inverse = ".."` (`""` hides the reverse side), or the resource's path.
fn relation_inverse(cx: &mut Ctxt, rel: &RelationArg, path: &str) -> Option<String> {
    match &rel.inverse {
        Some(i) if i.value().is_empty() => None,
        Some(i) => {
            if !is_identifier(&i.value()) {
                cx.error(
                    i.span(),
                    "relation `inverse` must be an identifier (or \"\" to hide the reverse side)",
                );
            }
            Some(i.value())
        }
        None => Some(path.replace('-', "_")),
    }
}

/// `on_delete = ".."`; `"set_null"` needs an optional field.
fn on_delete(cx: &mut Ctxt, f: &Field, rel: &RelationArg) -> OnDelete {
    let Some(lit) = &rel.on_delete else {
        return OnDelete::Restrict;
    };
    let span = lit.span();
    match lit.value().as_str() {
        "restrict" => OnDelete::Restrict,
        "cascade" => OnDelete::Cascade,
        "set_null" => {
            if !f.optional && f.typed() {
                cx.error(
                    span,
                    format!("`on_delete = \"set_null\"` needs an optional field; write `{}: Option<{}>`, or use `on_delete = \"cascade\"` or `\"restrict\"`", f.name, type_string(&f.args.ty)),
                );
            }
            OnDelete::SetNull
        }
        _ => {
            cx.error(
                span,
                "unknown `on_delete`; use \"restrict\" (the default), \"cascade\" or \"set_null\"",
            );
            OnDelete::Restrict
        }
    }
}

/// Clients never send a hidden field, so the server must be able to fill
/// it without them.
fn hidden_needs_option(cx: &mut Ctxt, f: &Field, auto: Option<AutoValue>) {
    let args = f.args;
    if args.hidden.is_present()
        && !args.skip.is_present()
        && f.typed()
        && !f.optional
        && auto.is_none()
    {
        cx.error(
            args.ty.span(),
            format!("a `hidden` field is never sent by clients, so it must be optional: write `{}: Option<{}>` (or make it server-set with `created_at`/`updated_at`)", f.name, type_string(&args.ty)),
        );
    }
}
