//! Resourceful: declare an API resource once, as a struct with
//! `#[api_resource]`, and get REST routes, GraphQL, an OpenAPI document and
//! the rest from this runtime.
//!
//! The macro only describes (a `const` model and row mapping); every
//! behaviour lives here, written and tested once.

pub mod access;
pub mod admin;
#[cfg(feature = "mimalloc")]
pub mod alloc;
pub mod analytics;
pub mod app;
pub mod audit;
mod audit_routes;
pub mod auth;
pub mod cache;
pub mod config;
pub mod context;
pub mod error;
pub mod graphql;
pub mod health;
mod http;
pub mod identity;
pub mod input;
pub mod limits;
pub mod maintenance;
pub mod migrate;
pub mod observe;
pub mod openapi;
pub mod permissions;
pub mod query;
pub mod redis_conn;
pub mod registry;
pub mod representation;
pub mod resource;
mod rest;
pub mod service;
pub mod store;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod value;

/// The resource model (shared with the macro and client generators).
pub use resourceful_spec as model;

pub use access::{Api, HookContext, Hooks, Tx, Written};
pub use app::{App, Server};
pub use config::Config;
pub use context::Context;
pub use error::{ApiError, ApiResult};
pub use identity::{Authenticate, Authentication, Principal};
pub use query::Scope;
pub use resource::{ApiEnum, FieldValue, Resource};
pub use resourceful_macros::{api_enum, api_resource};
pub use value::{Record, Value};

/// Everything a resource declaration (and its hooks) needs in scope.
pub mod prelude {
    pub use crate::{
        api_enum, api_resource, Api, ApiEnum, ApiError, ApiResult, Context, HookContext, Hooks,
        Resource, Scope, Tx, Written,
    };
}

/// For documenting routes of one's own (`#[utoipa::path]`, `#[derive(OpenApi)]`).
pub use utoipa;

/// Used by generated code only; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::*;
    pub use crate::resource::{enum_from_value, get, take, CreateInput, FieldError, FieldValue};
    pub use crate::value::{Record, Value};
    pub use serde;
}
