//! The context an operation runs in: which request it serves (its id) and
//! who asked (the [`Principal`]). REST and GraphQL take it from the
//! request; typed access from Rust carries one explicitly
//! ([`Context::system`] when no caller is involved). Hooks, read scopes and
//! logs read it.

use crate::identity::Principal;
use axum::http::HeaderValue;
use std::sync::Arc;

/// The default is an anonymous caller: the resources' access rules apply.
#[derive(Debug, Clone, Default)]
pub struct Context {
    request_id: Option<HeaderValue>,
    principal: Option<Arc<Principal>>,
    /// The application itself, not a caller: access rules do not apply.
    trusted: bool,
}

impl Context {
    /// The application itself, with no caller (background tasks, seeding,
    /// tests): access rules do not apply; hooks and read scopes still do.
    pub fn system() -> Self {
        Context {
            trusted: true,
            ..Default::default()
        }
    }

    /// The context of one HTTP request (made by the gate).
    pub fn for_request(request_id: HeaderValue, principal: Option<Arc<Principal>>) -> Self {
        Context {
            request_id: Some(request_id),
            principal,
            trusted: false,
        }
    }

    /// The same context acting for `principal`: from now on its access
    /// rules apply, even to a system context.
    pub fn with_principal(mut self, principal: impl Into<Arc<Principal>>) -> Self {
        self.principal = Some(principal.into());
        self.trusted = false;
        self
    }

    /// Whether this is the application itself ([`Context::system`]).
    pub fn is_trusted(&self) -> bool {
        self.trusted
    }

    /// The `X-Request-Id` the response carries.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_ref().and_then(|v| v.to_str().ok())
    }

    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_deref()
    }

    /// Who the caller is for caches of whole responses: the subject with
    /// its roles and scopes (a scope that depends on roles must not replay
    /// a response made for other roles).
    pub fn identity_key(&self) -> Option<String> {
        let p = self.principal()?;
        Some(format!(
            "{}\u{1f}{}\u{1f}{}",
            p.subject,
            p.roles.join(","),
            p.scopes.join(",")
        ))
    }

    /// The caller's subject, if authenticated.
    pub fn subject(&self) -> Option<&str> {
        self.principal().map(|p| p.subject.as_str())
    }
}

/// Handlers take the context the gate attached to the request (an empty
/// one when it attached none).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Context {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Context>()
            .cloned()
            .unwrap_or_default())
    }
}
