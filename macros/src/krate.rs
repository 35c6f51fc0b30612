//! Resolves the path of the runtime crate, so a renamed dependency
//! (`rf = { package = "resourceful" }`) still works.

use proc_macro2::{Span, TokenStream};
use proc_macro_crate::{crate_name, FoundCrate};
use quote::quote;

pub fn runtime() -> TokenStream {
    match crate_name("resourceful") {
        // `Itself` also covers the runtime's own tests and examples, which
        // are separate crates and must use the external path.
        Ok(FoundCrate::Itself)
            if std::env::var("CARGO_CRATE_NAME").as_deref() == Ok("resourceful") =>
        {
            quote!(crate)
        }
        Ok(FoundCrate::Itself) => quote!(::resourceful),
        Ok(FoundCrate::Name(name)) => {
            let ident = syn::Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        // Not a direct dependency (e.g. used through a re-export): assume
        // the conventional name and let rustc report it if wrong.
        Err(_) => quote!(::resourceful),
    }
}
