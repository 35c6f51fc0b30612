//! Who is calling: the [`Principal`] of a request, and the
//! [`Authenticate`] seam through which middleware establishes it.
//!
//! The gate asks the app's authenticator (if any) before the rate limiter
//! decides, so limits, the GraphQL response cache, hooks, typed access and
//! logs all see the same caller. This module validates nothing itself: an
//! OAuth 2.0 validator, an API-key table or a test double implements
//! [`Authenticate`].

use crate::error::ApiError;
use axum::extract::Request;
use futures::future::BoxFuture;
use std::sync::Arc;

/// An authenticated caller: a stable subject, its roles and scopes, and the
/// remaining claims of whatever credential proved it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Principal {
    pub subject: String,
    pub roles: Vec<String>,
    pub scopes: Vec<String>,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl Principal {
    pub fn new(subject: impl Into<String>) -> Self {
        Principal {
            subject: subject.into(),
            ..Default::default()
        }
    }

    pub fn with_roles<S: Into<String>>(mut self, roles: impl IntoIterator<Item = S>) -> Self {
        self.roles.extend(roles.into_iter().map(Into::into));
        self
    }

    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    pub fn with_claim(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.claims.insert(name.into(), value);
        self
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    pub fn claim(&self, name: &str) -> Option<&serde_json::Value> {
        self.claims.get(name)
    }
}

/// The outcome of authenticating one request.
pub type AuthResult = Result<Option<Arc<Principal>>, ApiError>;

/// What [`Authenticate::authenticate`] answers: at once (a header check, a
/// cached token) or later (a key fetch). `Ok(None)` is an anonymous
/// request; `Err` refuses it with that problem (401, 403, 503, …).
pub enum Authentication {
    Ready(AuthResult),
    Pending(BoxFuture<'static, AuthResult>),
}

impl From<AuthResult> for Authentication {
    fn from(r: AuthResult) -> Self {
        Authentication::Ready(r)
    }
}

/// Establishes the caller of a request; installed with
/// [`App::authenticate`](crate::App::authenticate). Runs in the gate for
/// every request, before rate limiting, so answer synchronously whenever
/// possible.
pub trait Authenticate: Send + Sync + 'static {
    fn authenticate(&self, req: &Request) -> Authentication;
}

/// Any `Fn(&Request) -> AuthResult` authenticates synchronously.
impl<F> Authenticate for F
where
    F: Fn(&Request) -> AuthResult + Send + Sync + 'static,
{
    fn authenticate(&self, req: &Request) -> Authentication {
        Authentication::Ready(self(req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_is_built_and_asked_about_its_grants() {
        let p = Principal::new("user-1")
            .with_roles(["editor"])
            .with_scopes(["tasks:read", "tasks:write"])
            .with_claim("tenant", serde_json::json!("acme"));
        assert!(p.has_role("editor") && !p.has_role("admin"));
        assert!(p.has_scope("tasks:write") && !p.has_scope("tasks:admin"));
        assert_eq!(p.claim("tenant"), Some(&serde_json::json!("acme")));
        assert_eq!(p.claim("email"), None);
    }
}
