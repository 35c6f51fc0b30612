//! How the GraphQL schema names a resource's root fields, in one place for
//! the server's schema and the clients' documentation.

use crate::ResourceModel;

/// `Task` → `task`; `task-items` / `task_items` → `taskItems`.
pub fn lower_camel(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut upper_next = false;
    for c in s.chars() {
        if c == '-' || c == '_' {
            upper_next = !out.is_empty();
        } else if out.is_empty() {
            out.extend(c.to_lowercase());
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The root query fields of one row and of a list: `task` and `tasks`
/// (`taskList` if the path's camel case is the same word as the name's).
pub fn query_names(model: &ResourceModel) -> (String, String) {
    let one = lower_camel(model.name);
    let mut many = lower_camel(model.path);
    if many == one {
        many = format!("{one}List");
    }
    (one, many)
}
