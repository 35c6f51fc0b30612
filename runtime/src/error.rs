//! Errors on the wire: `application/problem+json` (RFC 9457).
//!
//! Every failure the runtime can produce is an [`ApiError`] with a stable
//! `type` URN, so clients can branch on it without parsing prose.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One problem with one input field.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldProblem {
    /// The field's API name (empty for the body as a whole).
    pub field: String,
    /// JSON Pointer into the request body (or the query parameter name).
    pub pointer: String,
    /// Machine-readable code: `required`, `type`, `unknown`, `read_only`,
    /// `length`, `range`, `pattern`, `enum`, `null`.
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MalformedJson,
    BadQuery,
    Unauthorized,
    Forbidden,
    Validation,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PreconditionFailed,
    PreconditionRequired,
    UnsupportedMediaType,
    PayloadTooLarge,
    NotAcceptable,
    RateLimited,
    Unavailable,
    /// Refused by an active maintenance window (503, `Retry-After` to its end).
    Maintenance,
    Internal,
    /// A refusal of the application's own (from a hook): its status,
    /// problem type URI and title.
    Custom {
        status: u16,
        type_uri: &'static str,
        title: &'static str,
    },
}

impl Kind {
    pub fn status(self) -> StatusCode {
        match self {
            Kind::MalformedJson | Kind::BadQuery => StatusCode::BAD_REQUEST,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::Conflict => StatusCode::CONFLICT,
            Kind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Kind::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Kind::Unavailable | Kind::Maintenance => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::Custom { status, .. } => {
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }
    /// The stable `type` member.
    pub fn type_uri(self) -> &'static str {
        match self {
            Kind::MalformedJson => "urn:resourceful:problem:malformed-json",
            Kind::BadQuery => "urn:resourceful:problem:bad-query",
            Kind::Unauthorized => "urn:resourceful:problem:unauthorized",
            Kind::Forbidden => "urn:resourceful:problem:forbidden",
            Kind::Validation => "urn:resourceful:problem:validation",
            Kind::NotFound => "urn:resourceful:problem:not-found",
            Kind::MethodNotAllowed => "urn:resourceful:problem:method-not-allowed",
            Kind::Conflict => "urn:resourceful:problem:conflict",
            Kind::PreconditionFailed => "urn:resourceful:problem:precondition-failed",
            Kind::PreconditionRequired => "urn:resourceful:problem:precondition-required",
            Kind::UnsupportedMediaType => "urn:resourceful:problem:unsupported-media-type",
            Kind::PayloadTooLarge => "urn:resourceful:problem:payload-too-large",
            Kind::NotAcceptable => "urn:resourceful:problem:not-acceptable",
            Kind::RateLimited => "urn:resourceful:problem:rate-limited",
            Kind::Unavailable => "urn:resourceful:problem:unavailable",
            Kind::Maintenance => "urn:resourceful:problem:maintenance",
            Kind::Internal => "urn:resourceful:problem:internal",
            Kind::Custom { type_uri, .. } => type_uri,
        }
    }
    pub fn title(self) -> &'static str {
        match self {
            Kind::MalformedJson => "Malformed JSON",
            Kind::BadQuery => "Invalid query parameters",
            Kind::Unauthorized => "Unauthorized",
            Kind::Forbidden => "Forbidden",
            Kind::Validation => "Validation failed",
            Kind::NotFound => "Not found",
            Kind::MethodNotAllowed => "Method not allowed",
            Kind::Conflict => "Conflict",
            Kind::PreconditionFailed => "Precondition failed",
            Kind::PreconditionRequired => "Precondition required",
            Kind::UnsupportedMediaType => "Unsupported media type",
            Kind::PayloadTooLarge => "Payload too large",
            Kind::NotAcceptable => "Not acceptable",
            Kind::RateLimited => "Too many requests",
            Kind::Unavailable => "Service unavailable",
            Kind::Maintenance => "Under maintenance",
            Kind::Internal => "Internal server error",
            Kind::Custom { title, .. } => title,
        }
    }
    /// Every kind the runtime itself produces.
    pub const ALL: [Kind; 17] = [
        Kind::MalformedJson,
        Kind::BadQuery,
        Kind::Unauthorized,
        Kind::Forbidden,
        Kind::Validation,
        Kind::NotFound,
        Kind::MethodNotAllowed,
        Kind::Conflict,
        Kind::PreconditionFailed,
        Kind::PreconditionRequired,
        Kind::UnsupportedMediaType,
        Kind::PayloadTooLarge,
        Kind::NotAcceptable,
        Kind::RateLimited,
        Kind::Unavailable,
        Kind::Maintenance,
        Kind::Internal,
    ];
}

/// A problem to report to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub kind: Kind,
    pub detail: String,
    pub errors: Vec<FieldProblem>,
    /// Extra response headers (`Allow`, `Retry-After`, …).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
    /// Extension members of the problem document (RFC 9457 §3.2), e.g.
    /// the window that refused a request.
    pub extensions: Vec<(&'static str, serde_json::Value)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        ApiError {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
            extensions: Vec::new(),
        }
    }
    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = match errors.len() {
            1 => format!("{}: {}", errors[0].pointer, errors[0].message),
            n => format!("{n} fields are invalid"),
        };
        ApiError {
            kind: Kind::Validation,
            detail,
            errors,
            headers: Vec::new(),
            extensions: Vec::new(),
        }
    }
    pub fn bad_query(errors: Vec<FieldProblem>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.pointer, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        ApiError {
            kind: Kind::BadQuery,
            detail,
            errors,
            headers: Vec::new(),
            extensions: Vec::new(),
        }
    }
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(Kind::NotFound, detail)
    }
    /// 422 naming one field (its API name): `ApiError::field("status",
    /// "consistency", "a done task must have status done")`.
    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldProblem {
            field: field.to_string(),
            pointer: format!("/{field}"),
            code,
            message: message.into(),
        }])
    }
    /// 403: the caller may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(Kind::Forbidden, detail)
    }
    /// 401: no credential, or one that does not prove who the caller is
    /// (RFC 6750 `invalid_token`). `detail` is also the challenge's
    /// `error_description`, so it must never quote the token.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let challenge = format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            challenge_text(&detail)
        );
        Self::new(Kind::Unauthorized, detail).with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge)
                .unwrap_or(HeaderValue::from_static("Bearer error=\"invalid_token\"")),
        )
    }
    /// 403 for a caller whose roles or scopes do not cover the request
    /// (RFC 6750 `insufficient_scope`, naming the scopes that would).
    pub fn insufficient(detail: impl Into<String>, scopes: &[&str]) -> Self {
        let detail = detail.into();
        let mut challenge = format!(
            "Bearer error=\"insufficient_scope\", error_description=\"{}\"",
            challenge_text(&detail)
        );
        if !scopes.is_empty() {
            challenge.push_str(&format!(
                ", scope=\"{}\"",
                challenge_text(&scopes.join(" "))
            ));
        }
        Self::new(Kind::Forbidden, detail).with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static(
                "Bearer error=\"insufficient_scope\"",
            )),
        )
    }
    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(Kind::Conflict, detail)
    }
    /// A refusal with a status, problem type and title of the
    /// application's choosing.
    pub fn refuse(
        status: StatusCode,
        type_uri: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(
            Kind::Custom {
                status: status.as_u16(),
                type_uri,
                title,
            },
            detail,
        )
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        // The cause is logged, never sent: it may reveal internals.
        tracing::error!(error = %detail, "internal error");
        Self::new(Kind::Internal, "the server could not complete the request")
    }
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
    /// Adds an extension member to the problem document.
    pub fn with_extension(mut self, name: &'static str, value: serde_json::Value) -> Self {
        self.extensions.push((name, value));
        self
    }
    pub fn status(&self) -> StatusCode {
        self.kind.status()
    }
    /// The problem document.
    pub fn body(&self, instance: Option<&str>) -> serde_json::Value {
        let mut body = serde_json::json!({
            "type": self.kind.type_uri(),
            "title": self.kind.title(),
            "status": self.kind.status().as_u16(),
            "detail": self.detail,
        });
        if let Some(i) = instance {
            body["instance"] = i.into();
        }
        if !self.errors.is_empty() {
            body["errors"] = serde_json::to_value(&self.errors).expect("serializable");
        }
        for (name, value) in &self.extensions {
            body[*name] = value.clone();
        }
        body
    }
}

/// Text safe inside a quoted challenge parameter (RFC 6750 §3: printable
/// ASCII without `"` and `\\`).
fn challenge_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' | '\\' => '\'',
            c if (' '..='~').contains(&c) => c,
            _ => '?',
        })
        .collect()
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.title(), self.detail)
    }
}

impl std::error::Error for ApiError {}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body(None)).expect("serializable");
        let mut res = (self.kind.status(), body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        for (k, v) in self.headers {
            res.headers_mut().insert(k, v);
        }
        res
    }
}

/// What a database error code (a PostgreSQL SQLSTATE, a SQLite result
/// code) means for the request.
enum Sqlstate {
    /// The server is going away, restarting, out of connections, or the
    /// transaction lost a conflict: nothing was committed, try again.
    Transient,
    /// A text value the database cannot store.
    BadText,
    Other,
}

fn sqlstate(code: &str) -> Sqlstate {
    match code {
        // 08: connection exception; 57: operator intervention (admin or
        // crash shutdown, cannot connect now); 53: insufficient resources;
        // 40001 / 40P01: serialization failure, deadlock.
        c if c.starts_with("08") || c.starts_with("57") || c.starts_with("53") => {
            Sqlstate::Transient
        }
        "40001" | "40P01" => Sqlstate::Transient,
        // SQLite: busy and locked (also their extended codes): another
        // writer held the database longer than the busy timeout.
        "5" | "6" | "261" | "262" | "517" => Sqlstate::Transient,
        // character not in repertoire; untranslatable character.
        "22021" | "22P05" => Sqlstate::BadText,
        _ => Sqlstate::Other,
    }
}

/// A dependency failure: 503 with `Retry-After`, never a 500.
fn unavailable(e: &sqlx::Error) -> ApiError {
    tracing::warn!(error = %e, "database unavailable");
    ApiError::new(
        Kind::Unavailable,
        "the database is unavailable, try again shortly",
    )
    .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
}

/// Storage errors mapped onto client-facing problems: constraint violations
/// are the client's (409/422), everything else is ours (500/503).
impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match &e {
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation => ApiError::new(
                    Kind::Conflict,
                    "a record with the same unique value already exists",
                ),
                ErrorKind::ForeignKeyViolation => ApiError::new(
                    Kind::Conflict,
                    "the change would break a relation: a referenced record does not exist, or other records still refer to this one",
                ),
                // SQLite reports a RESTRICT violation as a trigger constraint
                // (extended code 1811) with the foreign-key message.
                _ if db.message().contains("FOREIGN KEY constraint failed") => ApiError::new(
                    Kind::Conflict,
                    "the change would break a relation: a referenced record does not exist, or other records still refer to this one",
                ),
                ErrorKind::NotNullViolation | ErrorKind::CheckViolation => {
                    ApiError::new(Kind::Validation, format!("the database refused the values: {}", db.message()))
                }
                _ => match db.code().as_deref().map(sqlstate) {
                    Some(Sqlstate::Transient) => unavailable(&e),
                    // Input checks refuse these first; a value that slips
                    // past them is still the client's, not a 500.
                    Some(Sqlstate::BadText) => ApiError::new(
                        Kind::Validation,
                        "a text value contains a character the database cannot store (such as U+0000)",
                    ),
                    _ => ApiError::internal(&e),
                },
            },
            sqlx::Error::PoolTimedOut
            | sqlx::Error::Io(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => unavailable(&e),
            _ => ApiError::internal(&e),
        }
    }
}
