//! Naming conventions, in one place so the schema, the resolvers and the
//! documentation agree:
//!
//! - object type: the resource name (`Task`); its fields: the wire names
//!   (`api_name`, e.g. `project_id`), the same as in JSON;
//! - root fields: `task` / `tasks` (lower camel of the name / of the path),
//!   `createTask`, `updateTask`, `deleteTask`;
//! - enum values: SCREAMING_SNAKE_CASE of the wire string (`in_progress` →
//!   `IN_PROGRESS`), mapped back on input.

pub use resourceful_spec::graphql::lower_camel;

/// `Task` → `Task`; `task` → `Task` (for `createTask`).
pub fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The GraphQL enum value for a wire string: `in_progress`, `inProgress`
/// and `in-progress` all become `IN_PROGRESS`; a leading digit gets a `_`.
pub fn enum_value(wire: &str) -> String {
    let mut out = String::with_capacity(wire.len() + 2);
    let mut prev: Option<char> = None;
    for c in wire.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase()
                && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            {
                out.push('_');
            }
            out.push(c.to_ascii_uppercase());
        } else {
            out.push('_');
        }
        prev = Some(c);
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

/// The wire string for a GraphQL enum value of `variants`.
pub fn enum_wire(variants: &'static [&'static str], value: &str) -> Option<&'static str> {
    variants.iter().copied().find(|w| enum_value(w) == value)
}

/// A GraphQL `Name` that is not reserved for introspection (`__…`).
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !s.starts_with("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions() {
        assert_eq!(lower_camel("Task"), "task");
        assert_eq!(lower_camel("TaskItem"), "taskItem");
        assert_eq!(lower_camel("task-items"), "taskItems");
        assert_eq!(lower_camel("task_items"), "taskItems");
        assert_eq!(upper_first("task"), "Task");
        assert_eq!(enum_value("in_progress"), "IN_PROGRESS");
        assert_eq!(enum_value("inProgress"), "IN_PROGRESS");
        assert_eq!(enum_value("in-progress"), "IN_PROGRESS");
        assert_eq!(enum_value("todo"), "TODO");
        assert_eq!(enum_value("2fa"), "_2FA");
        assert_eq!(
            enum_wire(&["todo", "in_progress"], "IN_PROGRESS"),
            Some("in_progress")
        );
        assert_eq!(enum_wire(&["todo"], "DONE"), None);
        assert!(
            is_name("project_id")
                && is_name("_etag")
                && !is_name("__x")
                && !is_name("1a")
                && !is_name("a-b")
        );
    }
}
