//! `access(..)` on the resource and on a field → their model rules, each
//! malformed rule reported at its own string.
//!
//! Not for whether an `owner` grant has an owner field to refer to: that
//! needs every field, so `check.rs` asks once the fields are built.

use super::attrs::{AccessArgs, FieldAccessArgs};
use super::ctxt::Ctxt;
use super::{leak, leak_slice};
use crate::{parse_rule, AccessModel, AccessRule, FieldAccess};
use proc_macro2::Span;

/// The resource's rules and where each rule that grants `owner` is written.
pub(super) struct ResourceAccess {
    pub model: AccessModel,
    pub owner_grants: Vec<Span>,
}

impl Default for ResourceAccess {
    fn default() -> Self {
        ResourceAccess {
            model: AccessModel::PUBLIC,
            owner_grants: Vec::new(),
        }
    }
}

/// `access(read = .., write = .., create = .., update = .., delete = ..)`:
/// an action without a rule of its own takes `write` (writes) or stays
/// public.
pub(super) fn resource_access(cx: &mut Ctxt, args: &AccessArgs) -> ResourceAccess {
    let mut owner_grants = Vec::new();
    let mut rule = |lit: Option<&syn::LitStr>| -> Option<AccessRule> {
        let lit = lit?;
        let r = access_rule(cx, lit)?;
        if r.owner {
            owner_grants.push(lit.span());
        }
        Some(r)
    };
    let read = rule(args.read.as_ref());
    let write = rule(args.write.as_ref());
    let create = rule(args.create.as_ref()).or(write);
    let update = rule(args.update.as_ref()).or(write);
    let delete = rule(args.delete.as_ref()).or(write);
    let or_public = |r: Option<AccessRule>| r.unwrap_or(AccessRule::PUBLIC);
    ResourceAccess {
        model: AccessModel {
            read: or_public(read),
            create: or_public(create),
            update: or_public(update),
            delete: or_public(delete),
        },
        owner_grants,
    }
}

/// A field's `access(read = .., write = ..)`; `owner` makes no sense for
/// one field of a row (write it on the resource).
pub(super) fn field_access(cx: &mut Ctxt, args: &FieldAccessArgs) -> FieldAccess {
    let mut rule = |lit: Option<&syn::LitStr>| -> Option<AccessRule> {
        let lit = lit?;
        let r = access_rule(cx, lit)?;
        if r.owner {
            cx.error_spanned_by(
                lit,
                "`owner` is not a grant for one field; restrict the whole resource with `access(update = \"owner | ..\")`, or name roles here",
            );
            return None;
        }
        Some(r)
    };
    FieldAccess {
        read: rule(args.read.as_ref()),
        write: rule(args.write.as_ref()),
    }
}

/// One rule string → its `'static` model value.
fn access_rule(cx: &mut Ctxt, lit: &syn::LitStr) -> Option<AccessRule> {
    match parse_rule(&lit.value()) {
        Ok(r) => Some(AccessRule {
            public: r.public,
            authenticated: r.authenticated,
            owner: r.owner,
            roles: leak_slice(r.roles.into_iter().map(leak).collect()),
            scopes: leak_slice(r.scopes.into_iter().map(leak).collect()),
        }),
        Err(e) => {
            cx.error_spanned_by(lit, format!("`access`: {e}"));
            None
        }
    }
}
