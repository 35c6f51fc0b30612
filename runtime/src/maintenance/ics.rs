//! `/v1/maintenance.ics`: the schedule as an iCalendar feed (RFC 5545)
//! that people subscribe to. Each window is one event with a stable UID;
//! a change raises its SEQUENCE, a cancellation keeps it with
//! STATUS:CANCELLED so subscribed calendars drop it.

use super::window::{Mode, Window};
use chrono::{TimeZone, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

fn at(ms: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// The feed for `windows`, titled with the service's name.
pub fn feed(service: &str, windows: &[Window]) -> String {
    let mut cal = Calendar::new();
    cal.name(&format!("{service} maintenance"));
    // Subscribed calendars refresh about this often (RFC 7986).
    cal.append_property(Property::new("REFRESH-INTERVAL;VALUE=DURATION", "PT1H"));
    cal.append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));
    for w in windows {
        cal.push(event(service, w));
    }
    cal.done().to_string()
}

fn event(service: &str, w: &Window) -> Event {
    let kind = match w.mode {
        Mode::ReadOnly => "read-only",
        Mode::Full => "unavailable",
    };
    let affected = if w.resources.is_empty() {
        "every resource".to_string()
    } else {
        w.resources.join(", ")
    };
    let mut description = format!("{}\n\nAffects: {affected} ({kind}).", w.message);
    if let Some(link) = &w.link {
        description.push_str(&format!("\n{link}"));
    }
    let mut e = Event::new();
    e.uid(&format!("{}@maintenance.resourceful", w.id))
        .summary(&format!("{service}: maintenance ({kind})"))
        .description(&description)
        .starts(at(w.starts_at))
        .ends(at(w.ends_at))
        .timestamp(at(w.updated_at))
        .sequence(w.revision.clamp(0, u32::MAX as i64) as u32)
        .status(if w.cancelled_at.is_some() {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    if let Some(link) = &w.link {
        e.append_property(Property::new("URL", link));
    }
    e.done()
}
