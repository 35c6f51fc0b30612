//! Who may do what, in words, from the resource's `access(..)` rules: the
//! same rules the server enforces, so client code can be written for them.
//! Shared by the client generators (their doc comments and READMEs).

use crate::{AccessRule, FieldModel, ResourceModel};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    pub const ALL: [Action; 4] = [Action::Read, Action::Create, Action::Update, Action::Delete];

    pub fn rule(self, m: &ResourceModel) -> &AccessRule {
        match self {
            Action::Read => &m.access.read,
            Action::Create => &m.access.create,
            Action::Update => &m.access.update,
            Action::Delete => &m.access.delete,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// `role `a` or scope `b``: the grants other than the public, signed-in
/// and owner ones.
fn named_grants(rule: &AccessRule) -> Vec<String> {
    rule.roles
        .iter()
        .map(|r| format!("role `{r}`"))
        .chain(rule.scopes.iter().map(|s| format!("scope `{s}`")))
        .collect()
}

fn owner_name(m: &ResourceModel) -> String {
    m.owner_index()
        .map(|i| format!("`{}`", m.fields[i].api_name))
        .unwrap_or_else(|| "the owner field".into())
}

/// One sentence: who may do `action` on `m`.
pub fn sentence(m: &ResourceModel, action: Action) -> String {
    let rule = action.rule(m);
    if rule.public {
        return "Anyone, no token needed.".into();
    }
    if rule.authenticated {
        return "Any signed-in caller.".into();
    }
    let named = named_grants(rule).join(" or ");
    if !rule.owner {
        return format!("Requires {named}.");
    }
    let owner = owner_name(m);
    let with = |s: String| {
        if named.is_empty() {
            s
        } else {
            format!("{s}, or {named}")
        }
    };
    match action {
        Action::Read if named.is_empty() => format!(
            "Only the owner's rows ({owner} is the caller); others' ids answer 404."
        ),
        Action::Read => format!(
            "The owner's rows ({owner} is the caller; others' ids answer 404); every row with {named}."
        ),
        // The server sets the owner field to the caller.
        Action::Create => "Any signed-in caller, who becomes the owner.".into(),
        // `the owner (`owner`)` says nothing twice.
        Action::Update | Action::Delete if owner == "`owner`" => with("Only the owner".into()) + ".",
        Action::Update | Action::Delete => with(format!("Only the owner ({owner})")) + ".",
    }
}

/// The sentence when every action has the same rule: `Anyone, no token
/// needed (every operation).`
pub fn uniform(m: &ResourceModel) -> Option<String> {
    let first = sentence(m, Action::Read);
    Action::ALL[1..]
        .iter()
        .all(|a| sentence(m, *a) == first)
        .then(|| format!("{} (every operation).", first.trim_end_matches('.')))
}

/// `Access: read: any signed-in caller. …`, for doc comments.
pub fn summary(m: &ResourceModel) -> String {
    if let Some(all) = uniform(m) {
        return format!("Access: {}", lower_first(&all));
    }
    let parts: Vec<String> = Action::ALL
        .iter()
        .map(|a| format!("{}: {}", a.label(), lower_first(&sentence(m, *a))))
        .collect();
    format!("Access: {}", parts.join(" "))
}

/// The facts about a field's own access rules: owner and read rules for
/// representations (`output`), the write rule for both.
pub fn field_notes(f: &FieldModel, output: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if output && f.owner {
        notes.push("Set by the server to the caller (the owner); clients never send it.".into());
    }
    if let (true, Some(r)) = (output, &f.access.read) {
        notes.push(format!(
            "Visible to {} only; left out of other callers' responses.",
            who(r)
        ));
    }
    if let Some(r) = &f.access.write {
        notes.push(format!("Only {} may set it (others get 403).", who(r)));
    }
    notes
}

/// `any signed-in caller`, `role `admin``, `the owner or role `admin``.
fn who(rule: &AccessRule) -> String {
    if rule.public {
        return "everyone".into();
    }
    if rule.authenticated {
        return "any signed-in caller".into();
    }
    let mut parts = Vec::new();
    if rule.owner {
        parts.push("the owner".to_string());
    }
    parts.extend(
        named_grants(rule)
            .into_iter()
            .map(|g| format!("callers with {g}")),
    );
    parts.join(" or ")
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
