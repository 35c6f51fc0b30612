//! Who may do what with a resource: the permission rules declared with
//! `access(..)`, in the model so the runtime, the OpenAPI document and the
//! clients read the same rules.
//!
//! A rule is a list of grants, any one of which admits the caller:
//! `"public"`, `"authenticated"`, `"owner"` (the row's owner field holds
//! the caller's subject), `"role:editor"`, `"scope:tasks:write"`, joined
//! with `|`, e.g. `"owner | role:admin"`.

/// One permission rule: the caller is admitted when any grant holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessRule {
    /// Everyone, without credentials.
    pub public: bool,
    /// Any authenticated caller.
    pub authenticated: bool,
    /// The owner of the row (the resource's `owner` field).
    pub owner: bool,
    /// Callers holding one of these roles.
    pub roles: &'static [&'static str],
    /// Callers holding one of these scopes.
    pub scopes: &'static [&'static str],
}

impl AccessRule {
    /// Everyone, the rule of a resource that declares none.
    pub const PUBLIC: AccessRule = AccessRule {
        public: true,
        authenticated: false,
        owner: false,
        roles: &[],
        scopes: &[],
    };

    /// Whether a caller needs credentials at all.
    pub fn needs_caller(&self) -> bool {
        !self.public
    }

    /// The rule as written: `owner | role:admin`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.public {
            parts.push("public".into());
        }
        if self.authenticated {
            parts.push("authenticated".into());
        }
        if self.owner {
            parts.push("owner".into());
        }
        parts.extend(self.roles.iter().map(|r| format!("role:{r}")));
        parts.extend(self.scopes.iter().map(|s| format!("scope:{s}")));
        parts.join(" | ")
    }
}

/// The rules of one resource, one per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessModel {
    /// Get, list, GraphQL queries and relations.
    pub read: AccessRule,
    pub create: AccessRule,
    pub update: AccessRule,
    pub delete: AccessRule,
}

impl AccessModel {
    pub const PUBLIC: AccessModel = AccessModel {
        read: AccessRule::PUBLIC,
        create: AccessRule::PUBLIC,
        update: AccessRule::PUBLIC,
        delete: AccessRule::PUBLIC,
    };

    /// Whether every action is open to everyone.
    pub fn is_public(&self) -> bool {
        [self.read, self.create, self.update, self.delete]
            .iter()
            .all(|r| r.public)
    }
}

/// Who may read or write one field; `None` parts follow the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAccess {
    /// Callers outside it get responses without the field.
    pub read: Option<AccessRule>,
    /// Callers outside it are refused (403, pointing at the field) when
    /// they send it.
    pub write: Option<AccessRule>,
}

impl FieldAccess {
    pub const NONE: FieldAccess = FieldAccess {
        read: None,
        write: None,
    };
}

/// A rule as parsed from text, before it is moved into the `'static` model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleText {
    pub public: bool,
    pub authenticated: bool,
    pub owner: bool,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
}

/// Parses `"owner | role:admin"`; the error says how to write a rule.
pub fn parse_rule(text: &str) -> Result<RuleText, String> {
    let mut rule = RuleText::default();
    let how = "write grants joined by `|`: `public`, `authenticated`, `owner`, `role:<name>` or `scope:<name>`, e.g. \"owner | role:admin\"";
    for part in text.split('|').map(str::trim) {
        match part.split_once(':') {
            _ if part.is_empty() => return Err(format!("an empty grant in {text:?}; {how}")),
            None if part == "public" => rule.public = true,
            None if part == "authenticated" => rule.authenticated = true,
            None if part == "owner" => rule.owner = true,
            Some(("role", name)) if is_grant_name(name) => push_once(&mut rule.roles, name),
            Some(("scope", name)) if is_grant_name(name) => push_once(&mut rule.scopes, name),
            Some(("role" | "scope", name)) => {
                return Err(format!(
                    "{name:?} is not a role or scope name (letters, digits and `_ - . : /`)"
                ))
            }
            _ => return Err(format!("unknown grant `{part}`; {how}")),
        }
    }
    if rule.public
        && rule
            != (RuleText {
                public: true,
                ..Default::default()
            })
    {
        return Err(format!(
            "{text:?}: `public` already admits everyone; remove the other grants or `public`"
        ));
    }
    Ok(rule)
}

fn push_once(list: &mut Vec<String>, name: &str) {
    if !list.iter().any(|n| n == name) {
        list.push(name.to_string());
    }
}

/// Names as identity providers write them: `editor`, `tasks:write`,
/// `api://x/read`.
fn is_grant_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_read_as_written() {
        let r = parse_rule("owner | role:admin | scope:tasks:write").unwrap();
        assert!(r.owner && !r.public && !r.authenticated);
        assert_eq!(r.roles, ["admin"]);
        assert_eq!(r.scopes, ["tasks:write"]);
        assert!(parse_rule("public").unwrap().public);
        assert!(parse_rule(" authenticated ").unwrap().authenticated);
    }

    #[test]
    fn malformed_rules_say_how_to_write_them() {
        for bad in [
            "",
            "owner |",
            "admin",
            "role:",
            "role:a b",
            "public | owner",
        ] {
            let e = parse_rule(bad).unwrap_err();
            assert!(!e.is_empty(), "{bad:?}");
        }
        assert!(parse_rule("admin").unwrap_err().contains("role:<name>"));
    }

    #[test]
    fn a_rule_is_described_as_it_is_written() {
        let r = AccessRule {
            public: false,
            authenticated: false,
            owner: true,
            roles: &["admin"],
            scopes: &[],
        };
        assert_eq!(r.describe(), "owner | role:admin");
        assert!(AccessModel::PUBLIC.is_public());
    }
}
