//! Rules that relate more than one thing: options of one field that
//! conflict, fields that collide with each other (two ids, a shared exposed
//! name or column, a relation named like a field), and resource-wide
//! requirements (an id field, `page_size` within `max_page_size`).
//!
//! Not for the value of a single option (`options.rs`, `field.rs`). The
//! checks between fields run while the fields are walked, through [`Seen`],
//! so each error is reported at the field where it shows up, in the same
//! order as the field's other errors.

use super::attrs::FieldArgs;
use super::ctxt::Ctxt;
use super::options::ResourceOptions;
use crate::Validation;
use proc_macro2::Span;

/// What earlier fields have claimed, for the collisions between fields.
#[derive(Default)]
pub(super) struct Seen {
    /// The field that carries `id`, for the "exactly one" message.
    id: Option<String>,
    /// `(exposed name, Rust field)` of every exposed field.
    api_names: Vec<(String, String)>,
    /// `(column, Rust field)` of every stored field.
    columns: Vec<(String, String)>,
    /// `(relation name, its span)`, checked against every exposed name at
    /// the end.
    relation_names: Vec<(String, Span)>,
    /// The field marked `owner`.
    pub owner: Option<String>,
}

impl Seen {
    /// `field` carries `id` (at `span`); an earlier field may already.
    pub fn claim_id(&mut self, cx: &mut Ctxt, field: &str, span: Span) {
        match &self.id {
            Some(prev) => cx.error(
                span,
                format!("this resource's id is already `{prev}`; a resource has exactly one id field (composite keys are not supported), so remove `id` from one of them"),
            ),
            None => self.id = Some(field.to_string()),
        }
    }

    /// `field` carries `owner` (at `span`); a resource has one owner.
    pub fn claim_owner(&mut self, cx: &mut Ctxt, field: &str, span: Span) {
        match &self.owner {
            Some(prev) => cx.error(
                span,
                format!("`{prev}` is already this resource's owner; a row has one owner, so remove `owner` from one of them"),
            ),
            None => self.owner = Some(field.to_string()),
        }
    }

    /// `field` is exposed to clients as `api_name`.
    pub fn claim_api_name(&mut self, cx: &mut Ctxt, args: &FieldArgs, field: &str, api_name: &str) {
        let span = args
            .rename
            .as_ref()
            .map(|r| r.span())
            .unwrap_or_else(|| field_span(args));
        match self.api_names.iter().find(|(n, _)| n == api_name) {
            Some((_, other)) => cx.error(
                span,
                format!("`{field}` is exposed as `{api_name}`, which `{other}` already uses; give one of them a different `rename`"),
            ),
            None => self
                .api_names
                .push((api_name.to_string(), field.to_string())),
        }
    }

    /// `field` is stored in `column`.
    pub fn claim_column(&mut self, cx: &mut Ctxt, args: &FieldArgs, field: &str, column: &str) {
        let span = args
            .column
            .as_ref()
            .map(|c| c.span())
            .unwrap_or_else(|| field_span(args));
        match self.columns.iter().find(|(c, _)| c == column) {
            Some((_, other)) => cx.error(
                span,
                format!("`{field}` is stored in column `{column}`, which `{other}` already uses; give one of them a different `column`"),
            ),
            None => self.columns.push((column.to_string(), field.to_string())),
        }
    }

    /// A relation is exposed as `name`; see [`relation_names_are_free`].
    pub fn claim_relation_name(&mut self, name: String, span: Span) {
        self.relation_names.push((name, span));
    }
}

/// The field's name, where a problem with the field as a whole is shown.
fn field_span(args: &FieldArgs) -> Span {
    args.ident.as_ref().expect("named field").span()
}

/// Options on one field that cannot go together, in the order they are
/// reported: with `skip`, with `hidden`, and `created_at` with `updated_at`.
pub(super) fn option_conflicts(cx: &mut Ctxt, args: &FieldArgs) {
    if args.skip.is_present() {
        skip_conflicts(cx, args);
    }
    if args.hidden.is_present() {
        hidden_conflicts(cx, args);
    }
    if args.owner.is_present() {
        owner_conflicts(cx, args);
    }
    if args.created_at.is_present() && args.updated_at.is_present() {
        cx.error(
            args.updated_at.span(),
            "`created_at` and `updated_at` conflict; a field is set either once on create or on every write",
        );
    }
}

/// Options that make no sense on a field that is not stored.
fn skip_conflicts(cx: &mut Ctxt, args: &FieldArgs) {
    let flag = |f: &darling::util::Flag| f.is_present().then(|| f.span());
    let conflicts: [(&str, Option<Span>); 12] = [
        ("owner", flag(&args.owner)),
        ("access", args.access.as_ref().map(|a| a.span)),
        ("id", args.id.as_ref().map(|i| i.span)),
        ("hidden", flag(&args.hidden)),
        ("filter", flag(&args.filter)),
        ("sort", flag(&args.sort)),
        ("unique", flag(&args.unique)),
        ("relation", args.relation.as_ref().map(|r| r.span)),
        ("read_only", flag(&args.read_only)),
        ("created_at", flag(&args.created_at)),
        ("updated_at", flag(&args.updated_at)),
        ("column", args.column.as_ref().map(|c| c.span())),
    ];
    for (what, span) in conflicts {
        if let Some(span) = span {
            cx.error(
                span,
                format!("`{what}` conflicts with `skip`: a skipped field is neither stored nor exposed; remove one of them"),
            );
        }
    }
}

/// The owner is set from the credential: not an id, not hidden (clients
/// see whose a row is), not written by anyone.
fn owner_conflicts(cx: &mut Ctxt, args: &FieldArgs) {
    let flag = |f: &darling::util::Flag| f.is_present().then(|| f.span());
    let conflicts: [(&str, Option<Span>, &str); 5] = [
        (
            "id",
            args.id.as_ref().map(|i| i.span),
            "the id is not a caller's subject",
        ),
        (
            "hidden",
            flag(&args.hidden),
            "ownership is decided on a field clients can see",
        ),
        (
            "created_at",
            flag(&args.created_at),
            "the field holds a subject, not a time",
        ),
        (
            "updated_at",
            flag(&args.updated_at),
            "the field holds a subject, not a time",
        ),
        (
            "access",
            args.access
                .as_ref()
                .filter(|a| a.value.write.is_some())
                .map(|a| a.span),
            "nobody writes the owner: it is set from the credential",
        ),
    ];
    for (what, span, why) in conflicts {
        if let Some(span) = span {
            cx.error(
                span,
                format!("`{what}` conflicts with `owner`: {why}; remove one of them"),
            );
        }
    }
}

/// An `owner` grant needs a field that says whose a row is.
pub(super) fn owner_grants_have_owner(cx: &mut Ctxt, seen: &Seen, options: &ResourceOptions) {
    if seen.owner.is_some() {
        return;
    }
    for span in &options.access.owner_grants {
        cx.error(
            *span,
            "the `owner` grant needs a field marked `#[api(owner)]` (a `String` holding the creator's subject); add one or remove `owner`",
        );
    }
}

/// Clients cannot filter or sort on what they cannot see.
fn hidden_conflicts(cx: &mut Ctxt, args: &FieldArgs) {
    for (what, flag) in [("filter", &args.filter), ("sort", &args.sort)] {
        if flag.is_present() {
            cx.error(
                flag.span(),
                format!("`{what}` conflicts with `hidden`: clients cannot filter or sort on a field they cannot see"),
            );
        }
    }
}

/// Validation rules on a field the server sets (read-only, automatic or
/// hidden, and not the id).
pub(super) fn validation_on_server_set(
    cx: &mut Ctxt,
    args: &FieldArgs,
    validation: &Validation,
    automatic: bool,
) {
    let server_set = args.read_only.is_present()
        || automatic
        || args.hidden.is_present()
        || args.owner.is_present();
    if !validation.is_empty() && server_set && args.id.is_none() {
        let span = args
            .length
            .as_ref()
            .map(|l| l.span)
            .or(args.range.as_ref().map(|r| r.span))
            .or(args.pattern.as_ref().map(|p| p.span()))
            .unwrap_or_else(|| field_span(args));
        cx.error(
            span,
            "validation rules apply to client input; this field is set by the server, so remove them",
        );
    }
}

/// The default page cannot be larger than the largest page allowed.
pub(super) fn page_size_within_max(
    cx: &mut Ctxt,
    page_size_lit: Option<&syn::LitInt>,
    options: &ResourceOptions,
    ident: &syn::Ident,
) {
    let (page_size, max_page_size) = (options.page_size, options.max_page_size);
    if page_size > max_page_size {
        let span = page_size_lit
            .map(|l| l.span())
            .unwrap_or_else(|| ident.span());
        cx.error(
            span,
            format!("`page_size` ({page_size}) is larger than `max_page_size` ({max_page_size}); raise `max_page_size` or lower `page_size`"),
        );
    }
}

/// Exactly one field must carry `id`. Two ids are caught by
/// [`Seen::claim_id`]; this reports none at all, and only when every field's
/// options parsed (a field that did not parse may be the id).
pub(super) fn has_id(cx: &mut Ctxt, seen: &Seen, ident: &syn::Ident, fields: &syn::FieldsNamed) {
    if seen.id.is_some() {
        return;
    }
    let hint = if fields
        .named
        .iter()
        .any(|f| f.ident.as_ref().is_some_and(|i| i == "id"))
    {
        "add `#[api(id)]` to the `id` field".to_string()
    } else {
        "mark its primary key with `#[api(id)]`, e.g. `#[api(id)] pub id: i64`".to_string()
    };
    cx.error_spanned_by(ident, format!("`{ident}` has no id field; {hint}"));
}

/// A relation must not be exposed under a name a field already uses.
pub(super) fn relation_names_are_free(cx: &mut Ctxt, seen: &Seen) {
    for (rel, span) in &seen.relation_names {
        if let Some((_, field)) = seen.api_names.iter().find(|(n, _)| n == rel) {
            cx.error(
                *span,
                format!("the relation is exposed as `{rel}`, which field `{field}` already uses; choose another `name`, e.g. `relation(.., name = \"{rel}_ref\")`"),
            );
        }
    }
}
