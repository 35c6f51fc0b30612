//! The resource model shared by every part of Resourceful.
//!
//! The proc macro, the runtime and the client generators all read a resource
//! through these types, so a declaration is understood in exactly one place.
//! With the `parse` feature, [`parse`] turns `syn` items into the model.

mod access;
pub mod access_text;
pub mod graphql;
mod model;
pub use access::*;
pub use model::*;

#[cfg(feature = "parse")]
pub mod parse;
