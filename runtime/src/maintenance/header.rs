//! The `Maintenance` response field: announced windows as an HTTP
//! structured field (RFC 9651), since no standard field exists.
//!
//! A List with one member per window that is active or starts within the
//! horizon, soonest first. Each member is a String (the window's id) with
//! parameters:
//!
//! - `start`, `end`: Dates (`@` and seconds since the epoch, UTC);
//! - `mode`: Token, `read_only` or `full`;
//! - `active`: Boolean, present (true) while the window is on;
//! - `resources`: String, space-separated resource paths; absent when the
//!   window affects every resource.
//!
//! ```text
//! Maintenance: "3f0c…";start=@1767304800;end=@1767308400;mode=read_only;resources="tasks"
//! ```
//!
//! The message is not in the field (it can be long and is not ASCII):
//! clients read it from `GET /v1/maintenance`.

use super::window::Window;
use axum::http::{HeaderName, HeaderValue};

pub static MAINTENANCE: HeaderName = HeaderName::from_static("maintenance");

/// The field for `windows` (already filtered), or `None` when empty.
pub fn field(windows: &[&Window], now: i64) -> Option<HeaderValue> {
    if windows.is_empty() {
        return None;
    }
    let members: Vec<String> = windows.iter().map(|w| member(w, now)).collect();
    // Ids are UUIDs and resource paths are identifiers: always visible ASCII.
    HeaderValue::from_str(&members.join(", ")).ok()
}

fn member(w: &Window, now: i64) -> String {
    // The announced span covers the window: start rounded down, end up.
    let start = w.starts_at.div_euclid(1000);
    let end = (w.ends_at + 999).div_euclid(1000);
    let mut m = format!(
        "\"{}\";start=@{start};end=@{end};mode={}",
        sf_string(&w.id),
        w.mode.as_str()
    );
    if w.is_active(now) {
        m.push_str(";active");
    }
    if !w.resources.is_empty() {
        m.push_str(&format!(
            ";resources=\"{}\"",
            sf_string(&w.resources.join(" "))
        ));
    }
    m
}

/// An sf-string's content: printable ASCII, `"` and `\` escaped.
fn sf_string(s: &str) -> String {
    s.chars()
        .filter(|c| (' '..='~').contains(c))
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maintenance::window::Mode;

    fn window(start: i64, end: i64, resources: &[&str]) -> Window {
        Window {
            id: "w-1".into(),
            starts_at: start,
            ends_at: end,
            mode: Mode::ReadOnly,
            message: "m".into(),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            link: None,
            created_at: 0,
            updated_at: 0,
            cancelled_at: None,
            revision: 0,
        }
    }

    #[test]
    fn members_carry_dates_mode_and_activity() {
        let w = window(1_000_500, 2_000_001, &[]);
        let v = field(&[&w], 0).unwrap();
        assert_eq!(v, "\"w-1\";start=@1000;end=@2001;mode=read_only");
        let both = window(1_000_000, 2_000_000, &["tasks", "projects"]);
        let v = field(&[&both, &w], 1_500_000).unwrap();
        assert_eq!(
            v,
            "\"w-1\";start=@1000;end=@2000;mode=read_only;active;resources=\"tasks projects\", \
             \"w-1\";start=@1000;end=@2001;mode=read_only;active"
        );
        assert!(field(&[], 0).is_none());
    }
}
