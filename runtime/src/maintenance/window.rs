//! A maintenance window: what it is, how it reads on the wire, and the
//! checks a new or changed one must pass (422 with pointers otherwise).

use crate::error::{ApiError, FieldProblem};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::{json, Map, Value};

/// What a window refuses while it is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Writes to the affected resources answer 503; reads keep working.
    ReadOnly,
    /// Everything but health, metrics and the maintenance endpoints answers 503.
    Full,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadOnly => "read_only",
            Mode::Full => "full",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "read_only" => Some(Mode::ReadOnly),
            "full" => Some(Mode::Full),
            _ => None,
        }
    }
}

/// Where a window stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Upcoming,
    Active,
    Ended,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Upcoming => "upcoming",
            Status::Active => "active",
            Status::Ended => "ended",
            Status::Cancelled => "cancelled",
        }
    }
}

/// One scheduled window. Times are milliseconds since the epoch, UTC.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub id: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub mode: Mode,
    pub message: String,
    /// Resource paths (`tasks`); empty: every resource.
    pub resources: Vec<String>,
    pub link: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub cancelled_at: Option<i64>,
    /// Counts changes (0 when scheduled): calendars and webhooks tell
    /// versions of one window apart by it.
    pub revision: i64,
}

impl Window {
    pub fn status(&self, now: i64) -> Status {
        if self.cancelled_at.is_some() {
            Status::Cancelled
        } else if now < self.starts_at {
            Status::Upcoming
        } else if now < self.ends_at {
            Status::Active
        } else {
            Status::Ended
        }
    }

    pub fn is_active(&self, now: i64) -> bool {
        self.status(now) == Status::Active
    }

    /// Whether writes to `resource` fall under the window.
    pub fn affects(&self, resource: &str) -> bool {
        self.resources.is_empty() || self.resources.iter().any(|r| r == resource)
    }

    /// Whole seconds from `now` to the end, at least 1 (`Retry-After`).
    pub fn seconds_left(&self, now: i64) -> u64 {
        ((self.ends_at - now).max(1) as u64).div_ceil(1000)
    }

    /// The window as clients see it.
    pub fn to_json(&self, now: i64) -> Value {
        json!({
            "id": self.id,
            "starts_at": rfc3339(self.starts_at),
            "ends_at": rfc3339(self.ends_at),
            "mode": self.mode.as_str(),
            "status": self.status(now).as_str(),
            "message": self.message,
            "resources": self.resources,
            "link": self.link,
            "revision": self.revision,
            "created_at": rfc3339(self.created_at),
            "updated_at": rfc3339(self.updated_at),
        })
    }

    fn overlaps(&self, starts_at: i64, ends_at: i64) -> bool {
        self.cancelled_at.is_none() && self.starts_at < ends_at && starts_at < self.ends_at
    }
}

pub fn rfc3339(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The longest window accepted: a mistake in a date should not close a
/// service for a year.
pub const MAX_LENGTH_MS: i64 = 7 * 24 * 3600 * 1000;
/// How far in the past a start may lie (clock skew between the operator
/// and the service): "now" is a valid start.
pub const START_SLACK_MS: i64 = 60_000;
const MAX_MESSAGE: usize = 1000;

/// What an operator sends: a full window on create, some fields on change.
pub struct Input<'a> {
    body: &'a Map<String, Value>,
    problems: Vec<FieldProblem>,
}

impl<'a> Input<'a> {
    pub fn new(body: &'a Value) -> Result<Self, ApiError> {
        let body = body
            .as_object()
            .ok_or_else(|| ApiError::validation(vec![problem("", "type", "send a JSON object")]))?;
        let mut problems = Vec::new();
        for k in body.keys() {
            if !FIELDS.contains(&k.as_str()) {
                problems.push(problem(
                    k,
                    "unknown",
                    &format!("unknown field; the fields are {}", FIELDS.join(", ")),
                ));
            }
        }
        Ok(Input { body, problems })
    }

    fn time(&mut self, name: &str) -> Option<i64> {
        let v = self.body.get(name)?;
        match v.as_str().map(DateTime::parse_from_rfc3339) {
            Some(Ok(t)) => Some(t.timestamp_millis()),
            _ => {
                self.problems.push(problem(
                    name,
                    "type",
                    "an RFC 3339 date-time with an offset, e.g. 2027-01-09T22:00:00Z",
                ));
                None
            }
        }
    }

    fn mode(&mut self) -> Option<Mode> {
        let v = self.body.get("mode")?;
        let m = v.as_str().and_then(Mode::parse);
        if m.is_none() {
            self.problems
                .push(problem("mode", "enum", "one of read_only, full"));
        }
        m
    }

    fn message(&mut self) -> Option<String> {
        let v = self.body.get("message")?;
        match v.as_str().map(str::trim) {
            Some(s) if !s.is_empty() && s.chars().count() <= MAX_MESSAGE && !s.contains('\0') => {
                Some(s.to_string())
            }
            _ => {
                self.problems.push(problem(
                    "message",
                    "length",
                    &format!("a text of 1 to {MAX_MESSAGE} characters"),
                ));
                None
            }
        }
    }

    fn resources(&mut self, known: &[&str]) -> Option<Vec<String>> {
        let v = self.body.get("resources")?;
        let Some(items) = v.as_array() else {
            self.problems.push(problem(
                "resources",
                "type",
                "a list of resource paths; leave it out (or empty) for every resource",
            ));
            return None;
        };
        let mut out = Vec::new();
        for (n, item) in items.iter().enumerate() {
            match item.as_str().filter(|s| known.contains(s)) {
                Some(s) if !out.iter().any(|o| o == s) => out.push(s.to_string()),
                Some(_) => {}
                None => self.problems.push(FieldProblem {
                    field: "resources".into(),
                    pointer: format!("/resources/{n}"),
                    code: "enum",
                    message: format!("not a resource; one of {}", known.join(", ")),
                }),
            }
        }
        Some(out)
    }

    /// `Some(None)` clears the link.
    fn link(&mut self) -> Option<Option<String>> {
        let v = self.body.get("link")?;
        if v.is_null() {
            return Some(None);
        }
        let ok = v.as_str().filter(|s| {
            (s.starts_with("https://") || s.starts_with("http://"))
                && s.len() <= 2000
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        });
        if ok.is_none() {
            self.problems.push(problem(
                "link",
                "pattern",
                "an absolute http(s) URL without spaces",
            ));
        }
        Some(ok.map(String::from))
    }

    fn finish(mut self, checks: impl FnOnce(&mut Vec<FieldProblem>)) -> Result<(), ApiError> {
        checks(&mut self.problems);
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.problems))
        }
    }
}

const FIELDS: [&str; 6] = [
    "starts_at",
    "ends_at",
    "mode",
    "message",
    "resources",
    "link",
];

fn problem(field: &str, code: &'static str, message: &str) -> FieldProblem {
    FieldProblem {
        field: field.to_string(),
        pointer: if field.is_empty() {
            String::new()
        } else {
            format!("/{field}")
        },
        code,
        message: message.to_string(),
    }
}

/// A new window from `body`, checked against the others.
pub fn create(
    body: &Value,
    known: &[&str],
    others: &[Window],
    now: i64,
) -> Result<Window, ApiError> {
    let mut input = Input::new(body)?;
    let starts_at = input.time("starts_at");
    let ends_at = input.time("ends_at");
    let mode = input.mode();
    let message = input.message();
    let resources = input.resources(known).unwrap_or_default();
    let link = input.link().flatten();
    let mut window = None;
    input.finish(|p| {
        for (name, missing) in [
            ("starts_at", starts_at.is_none()),
            ("ends_at", ends_at.is_none()),
            ("mode", mode.is_none()),
            ("message", message.is_none()),
        ] {
            if missing && !p.iter().any(|x| x.field == name) {
                p.push(problem(name, "required", "required"));
            }
        }
        let (Some(s), Some(e), Some(mode), Some(message)) = (starts_at, ends_at, mode, message)
        else {
            return;
        };
        let w = Window {
            id: uuid::Uuid::new_v4().to_string(),
            starts_at: s,
            ends_at: e,
            mode,
            message,
            resources,
            link,
            created_at: now,
            updated_at: now,
            cancelled_at: None,
            revision: 0,
        };
        check_times(&w, true, others, now, p);
        window = Some(w);
    })?;
    Ok(window.expect("checked"))
}

/// `window` changed by the fields in `body`.
pub fn change(
    window: &Window,
    body: &Value,
    known: &[&str],
    others: &[Window],
    now: i64,
) -> Result<Window, ApiError> {
    let mut input = Input::new(body)?;
    let mut w = window.clone();
    let starts_at = input.time("starts_at");
    if let Some(s) = starts_at {
        w.starts_at = s;
    }
    if let Some(e) = input.time("ends_at") {
        w.ends_at = e;
    }
    if let Some(m) = input.mode() {
        w.mode = m;
    }
    if let Some(m) = input.message() {
        w.message = m;
    }
    if let Some(r) = input.resources(known) {
        w.resources = r;
    }
    if let Some(l) = input.link() {
        w.link = l;
    }
    w.updated_at = now;
    w.revision += 1;
    input.finish(|p| {
        if window.is_active(now) && starts_at.is_some_and(|s| s != window.starts_at) {
            p.push(problem(
                "starts_at",
                "range",
                "the window has started; change its end, or cancel it",
            ));
        }
        let others: Vec<Window> = others.iter().filter(|o| o.id != w.id).cloned().collect();
        check_times(&w, starts_at.is_some(), &others, now, p);
    })?;
    Ok(w)
}

/// End after start, not in the past, not too long, no overlap.
fn check_times(
    w: &Window,
    new_start: bool,
    others: &[Window],
    now: i64,
    p: &mut Vec<FieldProblem>,
) {
    if w.ends_at <= w.starts_at {
        p.push(problem(
            "ends_at",
            "range",
            "ends_at must be after starts_at",
        ));
        return;
    }
    if w.ends_at <= now {
        p.push(problem(
            "ends_at",
            "range",
            "the window would be over already",
        ));
    } else if new_start && w.starts_at < now - START_SLACK_MS {
        p.push(problem(
            "starts_at",
            "range",
            "starts_at is in the past; to start now, send the current time",
        ));
    }
    if w.ends_at - w.starts_at > MAX_LENGTH_MS {
        p.push(problem("ends_at", "range", "a window lasts at most 7 days"));
    }
    if let Some(o) = others.iter().find(|o| o.overlaps(w.starts_at, w.ends_at)) {
        p.push(problem(
            "starts_at",
            "conflict",
            &format!(
                "overlaps window {} ({} to {}); change or cancel that one",
                o.id,
                rfc3339(o.starts_at),
                rfc3339(o.ends_at)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 2] = ["tasks", "projects"];
    const NOW: i64 = 1_800_000_000_000;

    fn body(s: i64, e: i64) -> Value {
        json!({"starts_at": rfc3339(s), "ends_at": rfc3339(e), "mode": "read_only", "message": "upgrade"})
    }

    fn pointers(e: ApiError) -> Vec<String> {
        e.errors.into_iter().map(|p| p.pointer).collect()
    }

    #[test]
    fn a_window_is_created_with_its_fields() {
        let mut b = body(NOW + 60_000, NOW + 120_000);
        b["resources"] = json!(["tasks"]);
        b["link"] = json!("https://status.example.com/1");
        let w = create(&b, &KNOWN, &[], NOW).unwrap();
        assert_eq!(
            (w.mode, w.resources.clone()),
            (Mode::ReadOnly, vec!["tasks".into()])
        );
        assert!(w.affects("tasks") && !w.affects("projects"));
        assert_eq!(w.status(NOW), Status::Upcoming);
        assert_eq!(w.status(NOW + 60_000), Status::Active);
        assert_eq!(w.status(NOW + 120_000), Status::Ended);
        assert_eq!(w.seconds_left(NOW + 60_001), 60);
    }

    #[test]
    fn bad_windows_name_their_fields() {
        let e = create(&body(NOW + 2000, NOW + 1000), &KNOWN, &[], NOW).unwrap_err();
        assert_eq!(pointers(e), ["/ends_at"]);
        let e = create(&body(NOW - 3_600_000, NOW + 1000), &KNOWN, &[], NOW).unwrap_err();
        assert_eq!(pointers(e), ["/starts_at"]);
        let e = create(&body(NOW - 7_200_000, NOW - 3_600_000), &KNOWN, &[], NOW).unwrap_err();
        assert_eq!(pointers(e), ["/ends_at"]);
        let e = create(
            &json!({"starts_at": "tomorrow", "mode": "closed", "resources": ["nope"], "extra": 1}),
            &KNOWN,
            &[],
            NOW,
        )
        .unwrap_err();
        let mut p = pointers(e);
        p.sort();
        assert_eq!(
            p,
            [
                "/ends_at",
                "/extra",
                "/message",
                "/mode",
                "/resources/0",
                "/starts_at"
            ]
        );
    }

    #[test]
    fn overlapping_windows_are_refused_and_cancelled_ones_do_not_count() {
        let first = create(&body(NOW + 1000, NOW + 10_000), &KNOWN, &[], NOW).unwrap();
        let e = create(
            &body(NOW + 5000, NOW + 20_000),
            &KNOWN,
            &[first.clone()],
            NOW,
        )
        .unwrap_err();
        assert!(e.errors[0].message.contains(&first.id));
        let mut cancelled = first;
        cancelled.cancelled_at = Some(NOW);
        assert!(create(&body(NOW + 5000, NOW + 20_000), &KNOWN, &[cancelled], NOW).is_ok());
    }

    #[test]
    fn a_change_counts_a_revision_and_an_active_window_keeps_its_start() {
        let w = create(&body(NOW + 1000, NOW + 10_000), &KNOWN, &[], NOW).unwrap();
        let later = change(
            &w,
            &json!({"ends_at": rfc3339(NOW + 20_000)}),
            &KNOWN,
            &[w.clone()],
            NOW,
        )
        .unwrap();
        assert_eq!((later.ends_at, later.revision), (NOW + 20_000, 1));
        let e = change(
            &w,
            &json!({"starts_at": rfc3339(NOW + 3000)}),
            &KNOWN,
            &[],
            NOW + 2000,
        )
        .unwrap_err();
        assert_eq!(pointers(e), ["/starts_at"]);
    }
}
