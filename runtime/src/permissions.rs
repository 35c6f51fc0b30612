//! Who may do what: the resource's declared `access(..)` rules applied to
//! the caller of an operation. The service asks here before every read and
//! write, so REST, GraphQL and typed access answer alike.
//!
//! Not for proving who the caller is (`auth`, through the identity seam),
//! nor for the hooks' own read scopes (`service`).

use crate::context::Context;
use crate::error::{ApiError, FieldProblem};
use crate::model::{AccessRule, ResourceModel};
use crate::value::{Record, Value};

/// An operation on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    fn rule(self, model: &ResourceModel) -> &AccessRule {
        match self {
            Action::Read => &model.access.read,
            Action::Create => &model.access.create,
            Action::Update => &model.access.update,
            Action::Delete => &model.access.delete,
        }
    }

    fn gerund(self) -> &'static str {
        match self {
            Action::Read => "reading",
            Action::Create => "creating",
            Action::Update => "updating",
            Action::Delete => "deleting",
        }
    }
}

/// Which rows an admitted caller reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every row (within the hooks' read scope).
    All,
    /// Only rows whose owner field holds the caller's subject.
    Own,
}

/// Admits the caller to `action` on `model`, or refuses: 401 without a
/// caller, 403 naming what the rule asks for.
pub fn admit(model: &ResourceModel, action: Action, ctx: &Context) -> Result<Reach, ApiError> {
    let rule = action.rule(model);
    if rule.public || ctx.is_trusted() {
        return Ok(Reach::All);
    }
    if ctx.principal().is_none() {
        return Err(ApiError::unauthenticated(format!(
            "{} {} needs a bearer token",
            action.gerund(),
            model.path
        )));
    }
    if grants(rule, ctx) {
        return Ok(Reach::All);
    }
    if rule.owner {
        return Ok(Reach::Own);
    }
    Err(ApiError::insufficient(
        format!(
            "{} {} needs {}",
            action.gerund(),
            model.path,
            rule.describe()
        ),
        rule.scopes,
    ))
}

/// Whether the caller holds a grant of `rule` other than ownership.
/// The operators' endpoints (audit trail, maintenance): 401 without a
/// caller, 403 without `role:admin`; trusted code passes.
pub fn require_admin(ctx: &Context, what: &str) -> Result<(), ApiError> {
    if ctx.is_trusted() {
        return Ok(());
    }
    match ctx.principal() {
        None => Err(ApiError::unauthenticated(format!(
            "{what} needs a bearer token"
        ))),
        Some(p) if p.has_role("admin") => Ok(()),
        Some(_) => Err(ApiError::insufficient(
            format!("{what} needs role:admin"),
            &[],
        )),
    }
}

pub fn grants(rule: &AccessRule, ctx: &Context) -> bool {
    if rule.public || ctx.is_trusted() {
        return true;
    }
    let Some(p) = ctx.principal() else {
        return false;
    };
    rule.authenticated
        || rule.roles.iter().any(|r| p.has_role(r))
        || rule.scopes.iter().any(|s| p.has_scope(s))
}

/// Whether `record` belongs to the caller (its owner field holds the
/// caller's subject).
pub fn owns(model: &ResourceModel, ctx: &Context, record: &Record) -> bool {
    match (model.owner_index(), ctx.subject()) {
        (Some(i), Some(subject)) => matches!(&record[i], Value::Text(o) if o == subject),
        _ => false,
    }
}

/// A caller reaching only its own rows may change this one only if it
/// owns it; it can see it (the read rule let it), so 403, not 404.
pub fn check_owner(
    model: &ResourceModel,
    action: Action,
    ctx: &Context,
    reach: Reach,
    record: &Record,
) -> Result<(), ApiError> {
    if reach == Reach::All || owns(model, ctx, record) {
        return Ok(());
    }
    let rule = action.rule(model);
    Err(ApiError::insufficient(
        format!(
            "{} this {} needs {}",
            action.gerund(),
            model.name.to_lowercase(),
            rule.describe()
        ),
        rule.scopes,
    ))
}

/// The fields a caller may not see, as bits by field index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FieldMask(u128);

impl FieldMask {
    pub const NONE: FieldMask = FieldMask(0);

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn hides(self, field: usize) -> bool {
        field < 128 && self.0 & (1 << field) != 0
    }

    fn hide(&mut self, field: usize) {
        self.0 |= 1 << field;
    }

    /// A stable text for cache keys.
    pub fn key(self) -> String {
        format!("{:x}", self.0)
    }
}

/// The most fields a resource with field read rules may have (the mask's width).
pub const MAX_MASKED_FIELDS: usize = 128;

/// The fields of `model` the caller may not read.
pub fn hidden_fields(model: &ResourceModel, ctx: &Context) -> FieldMask {
    let mut mask = FieldMask::NONE;
    for (i, f) in model.exposed() {
        if let Some(rule) = &f.access.read {
            if !grants(rule, ctx) && i < MAX_MASKED_FIELDS {
                mask.hide(i);
            }
        }
    }
    mask
}

/// Whether any field of `model` has a read rule.
pub fn has_field_read_rules(model: &ResourceModel) -> bool {
    model.fields.iter().any(|f| f.access.read.is_some())
}

/// The fields of `model` the caller may not write (by index).
pub fn unwritable_fields(model: &ResourceModel, ctx: &Context) -> Vec<usize> {
    model
        .exposed()
        .filter(|(_, f)| f.access.write.as_ref().is_some_and(|r| !grants(r, ctx)))
        .map(|(i, _)| i)
        .collect()
}

/// A write that sets fields the caller may not write: a problem pointing at
/// each. On an update (`current`), sending a field's current value back is
/// no change and passes.
pub fn refuse_writes(
    model: &ResourceModel,
    fields: &[usize],
    item: &serde_json::Value,
    current: Option<&Record>,
    prefix: &str,
) -> Vec<FieldProblem> {
    let Some(obj) = item.as_object() else {
        return Vec::new();
    };
    let changes = |i: usize| match (obj.get(model.fields[i].api_name), current) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(j), Some(c)) => Value::from_json(&model.fields[i].ty, j).ok().as_ref() != Some(&c[i]),
    };
    fields
        .iter()
        .filter(|&&i| changes(i))
        .map(|&i| &model.fields[i])
        .map(|f| FieldProblem {
            field: f.api_name.to_string(),
            pointer: format!("{prefix}/{}", f.api_name),
            code: "forbidden",
            message: format!(
                "writing `{}` needs {}",
                f.api_name,
                f.access.write.map(|r| r.describe()).unwrap_or_default()
            ),
        })
        .collect()
}

/// The 403 for [`refuse_writes`]' problems.
pub fn forbidden_fields(problems: Vec<FieldProblem>) -> ApiError {
    let detail = match problems.as_slice() {
        [one] => format!("{}: {}", one.pointer, one.message),
        many => format!("{} fields may not be written by this caller", many.len()),
    };
    let mut e = ApiError::insufficient(detail, &[]);
    e.errors = problems;
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Principal;
    use crate::Resource;

    #[crate::api_resource(
        path = "notes",
        access(
            read = "authenticated",
            update = "owner | role:admin",
            delete = "role:admin"
        )
    )]
    struct Note {
        #[api(id)]
        id: i64,
        #[api(owner)]
        author: String,
        #[api(access(read = "role:admin", write = "role:admin"))]
        rating: Option<i32>,
    }

    fn as_user(sub: &str, roles: &[&str]) -> Context {
        Context::default().with_principal(Principal::new(sub).with_roles(roles.iter().copied()))
    }

    #[test]
    fn rules_admit_refuse_or_reach_own_rows() {
        let m = Note::MODEL;
        let anon = Context::default();
        let e = admit(m, Action::Read, &anon).unwrap_err();
        assert_eq!(e.status(), 401);
        assert_eq!(
            admit(m, Action::Create, &anon).unwrap(),
            Reach::All,
            "create stays public"
        );
        let ana = as_user("ana", &[]);
        assert_eq!(admit(m, Action::Read, &ana).unwrap(), Reach::All);
        assert_eq!(admit(m, Action::Update, &ana).unwrap(), Reach::Own);
        let e = admit(m, Action::Delete, &ana).unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.detail.contains("role:admin"), "{}", e.detail);
        let admin = as_user("root", &["admin"]);
        assert_eq!(admit(m, Action::Update, &admin).unwrap(), Reach::All);
        assert_eq!(
            admit(m, Action::Delete, &Context::system()).unwrap(),
            Reach::All
        );
    }

    #[test]
    fn only_owners_change_their_rows_when_reach_is_own() {
        let m = Note::MODEL;
        let row = vec![Value::Int(1), Value::Text("ana".into()), Value::Null];
        let ana = as_user("ana", &[]);
        let ben = as_user("ben", &[]);
        assert!(check_owner(m, Action::Update, &ana, Reach::Own, &row).is_ok());
        let e = check_owner(m, Action::Update, &ben, Reach::Own, &row).unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(check_owner(m, Action::Update, &ben, Reach::All, &row).is_ok());
    }

    #[test]
    fn field_rules_hide_and_refuse_fields() {
        let m = Note::MODEL;
        let ana = as_user("ana", &[]);
        let mask = hidden_fields(m, &ana);
        assert!(mask.hides(2) && !mask.hides(1));
        assert!(hidden_fields(m, &as_user("root", &["admin"])).is_empty());
        let fields = unwritable_fields(m, &ana);
        let p = refuse_writes(m, &fields, &serde_json::json!({"rating": 5}), None, "/3");
        assert_eq!(p[0].pointer, "/3/rating");
        assert!(refuse_writes(m, &fields, &serde_json::json!({}), None, "").is_empty());
        let row = vec![Value::Int(1), Value::Text("ana".into()), Value::Int(5)];
        let same = serde_json::json!({"rating": 5});
        assert!(
            refuse_writes(m, &fields, &same, Some(&row), "").is_empty(),
            "an echo is no change"
        );
        assert_eq!(forbidden_fields(p).status(), 403);
    }
}
