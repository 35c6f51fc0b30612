//! `syn` items → the resource model, collecting every error with its span.
//!
//! Used by the proc macro (one item at a time) and by build scripts that
//! read whole source files ([`parse_file`]) to generate clients.
//!
//! A resource is parsed in layers, after serde_derive: `attrs` reads the
//! attribute syntax, `options` and `field` build the model from it, `check`
//! holds the rules between options and between fields, and `ctxt` collects
//! every error on the way; `resource` sequences them.

mod access;
mod attrs;
mod check;
mod ctxt;
mod enums;
mod field;
mod file;
mod messages;
mod options;
mod resource;
mod types;
mod versions;

pub use enums::{parse_enum, ParsedEnum};
pub use file::{parse_file, parse_source, Declarations};
pub use resource::{parse_resource, ParsedField, ParsedResource, TypeRef};

/// Moves a `String` into the `'static` model (build-time only, a few bytes).
pub(crate) fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

pub(crate) fn leak_slice<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

/// `[A-Za-z_][A-Za-z0-9_]*`: valid in JSON keys, GraphQL names and SQL.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `snake_case` → `PascalCase` etc., for enum variant names.
pub(crate) fn rename_case(ident: &str, rule: &str) -> Option<String> {
    let words = split_words(ident);
    Some(match rule {
        "snake_case" => words.join("_"),
        "kebab-case" => words.join("-"),
        "SCREAMING_SNAKE_CASE" => words.join("_").to_uppercase(),
        "lowercase" => words.concat(),
        "UPPERCASE" => words.concat().to_uppercase(),
        "camelCase" => {
            let mut out = String::new();
            for (i, w) in words.iter().enumerate() {
                if i == 0 {
                    out.push_str(w);
                } else {
                    out.push_str(&capitalize(w));
                }
            }
            out
        }
        "PascalCase" => words.iter().map(|w| capitalize(w)).collect(),
        _ => return None,
    })
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `InProgress` / `in_progress` → `["in", "progress"]`.
fn split_words(ident: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = ident.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && !cur.is_empty()
            && (chars[i - 1].is_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).map(|n| n.is_lowercase()).unwrap_or(false));
        if boundary {
            words.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(
            rename_case("InProgress", "snake_case").unwrap(),
            "in_progress"
        );
        assert_eq!(
            rename_case("InProgress", "kebab-case").unwrap(),
            "in-progress"
        );
        assert_eq!(
            rename_case("HTTPServer", "snake_case").unwrap(),
            "http_server"
        );
        assert_eq!(
            rename_case("in_progress", "camelCase").unwrap(),
            "inProgress"
        );
        assert_eq!(rename_case("Done", "SCREAMING_SNAKE_CASE").unwrap(), "DONE");
        assert!(rename_case("Done", "Title Case").is_none());
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("project_id"));
        assert!(is_identifier("_x1"));
        assert!(!is_identifier("1x"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier(""));
    }
}
