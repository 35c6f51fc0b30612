//! Resources declared through the runtime renamed to `rf`; nothing here
//! names `resourceful`, so this only compiles if the generated code does not.

use rf::{api_enum, api_resource};

/// How urgent a ticket is.
#[api_enum(rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Low,
    RightNow,
}

/// A support ticket.
#[api_resource(path = "tickets", cache_ttl = "1m")]
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, length(min = 1, max = 80))]
    pub subject: String,
    #[api(filter)]
    pub urgency: Urgency,
    pub note: Option<String>,
    #[api(relation = "queues", filter)]
    pub queue_id: Option<i64>,
}
