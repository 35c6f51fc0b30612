//! `#[api_resource]` and `#[api_enum]`.
//!
//! Parsing lives in `resourceful-spec` (shared with the client generators);
//! this crate only turns the parsed model into declarations: a trait impl
//! carrying the model as a `const`, row mapping and companion input types.
//! Users depend on `resourceful`, which re-exports these macros.

mod enums;
mod krate;
mod model_tokens;
mod resource;

use proc_macro::TokenStream;

/// Declares an API resource. See the attribute reference in the README.
///
/// ```ignore
/// #[api_resource(path = "tasks", cache_ttl = "10m")]
/// pub struct Task {
///     #[api(id)] pub id: i64,
///     #[api(filter, sort, length(min = 1, max = 200))] pub title: String,
/// }
/// ```
#[proc_macro_attribute]
pub fn api_resource(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as syn::ItemStruct);
    resource::expand(args.into(), item).into()
}

/// Declares a unit-only enum sent and stored as strings (snake_case by
/// default; `rename_all = ".."` and per-variant `#[api(rename = "..")]`).
#[proc_macro_attribute]
pub fn api_enum(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = syn::parse_macro_input!(item as syn::ItemEnum);
    enums::expand(args.into(), item).into()
}
