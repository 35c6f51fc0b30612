//! `#[api_resource]` expansion: the struct, `impl Resource`, and the
//! companion `Create`/`Patch`/`Filter` types.

use crate::krate;
use crate::model_tokens::resource_model;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use resourceful_spec::parse::{parse_resource, ParsedResource};

pub fn expand(args: TokenStream, mut item: syn::ItemStruct) -> TokenStream {
    let parsed = parse_resource(args, &item);
    strip_field_attrs(&mut item);
    match parsed {
        // Emit the struct even on error so its uses do not add noise.
        Err(e) => {
            let errors = e.write_errors();
            quote!(#item #errors)
        }
        Ok(p) => {
            let rt = krate::runtime();
            let imp = impl_resource(&p, &rt);
            let companions = companions(&p, &rt);
            quote!(#item #imp #companions)
        }
    }
}

/// `#[api(..)]` is an inert helper of the attribute macro; remove it.
fn strip_field_attrs(item: &mut syn::ItemStruct) {
    for f in item.fields.iter_mut() {
        f.attrs.retain(|a| !a.path().is_ident("api"));
    }
}

fn impl_resource(p: &ParsedResource, rt: &TokenStream) -> TokenStream {
    let ident = &p.ident;
    let model = resource_model(p, rt);
    let m_ = quote!(#rt::__private);
    let from = p.model.fields.iter().zip(&p.fields).enumerate().map(|(i, (f, pf))| {
        let id = &pf.ident;
        let name = f.rust_name;
        let ty = &pf.ty;
        if f.skip {
            quote!(#id: ::core::default::Default::default())
        } else if f.ty_is_enum() {
            if f.optional {
                let inner = &pf.inner;
                quote!(#id: match ::core::mem::replace(&mut record[#i], #m_::Value::Null) {
                    #m_::Value::Null => ::core::option::Option::None,
                    v => ::core::option::Option::Some(#m_::enum_from_value::<#inner>(v)
                        .map_err(|message| #m_::FieldError { field: #name, message })?),
                })
            } else {
                quote!(#id: #m_::enum_from_value::<#ty>(::core::mem::replace(&mut record[#i], #m_::Value::Null))
                    .map_err(|message| #m_::FieldError { field: #name, message })?)
            }
        } else {
            quote!(#id: #m_::take::<#ty>(&mut record, #i, #name)?)
        }
    });
    let to = p.model.fields.iter().zip(&p.fields).map(|(f, pf)| {
        let id = &pf.ident;
        if f.skip {
            quote!(#m_::Value::Null)
        } else {
            quote!(#m_::FieldValue::to_value(&self.#id))
        }
    });
    quote! {
        impl #rt::Resource for #ident {
            const MODEL: &'static #m_::ResourceModel = #model;
            fn from_record(mut record: #m_::Record) -> ::core::result::Result<Self, #m_::FieldError> {
                ::core::result::Result::Ok(#ident { #(#from),* })
            }
            fn to_record(&self) -> #m_::Record {
                ::std::vec![#(#to),*]
            }
        }
    }
}

/// Typed request bodies for Rust callers (tests, Rust clients), with the
/// same wire names as the API.
fn companions(p: &ParsedResource, rt: &TokenStream) -> TokenStream {
    let vis = &p.vis;
    let ident = &p.ident;
    let serde_path = quote!(#rt::__private::serde).to_string();
    let create = format_ident!("{}Create", ident);
    let patch = format_ident!("{}Patch", ident);
    let filter = format_ident!("{}Filter", ident);
    let mut create_fields = Vec::new();
    let mut patch_fields = Vec::new();
    let mut filter_fields = Vec::new();
    for (f, pf) in p.model.fields.iter().zip(&p.fields) {
        let id = &pf.ident;
        let (ty, inner, wire) = (&pf.ty, &pf.inner, f.api_name);
        if f.is_client_writable() {
            let skip = if f.optional { quote!(#[serde(default, skip_serializing_if = "Option::is_none")]) } else { quote!() };
            create_fields.push(quote!(#[serde(rename = #wire)] #skip pub #id: #ty));
        }
        if f.is_client_updatable() {
            // `Some(None)` clears an optional field (merge patch `null`).
            let t = if f.optional { quote!(::core::option::Option<::core::option::Option<#inner>>) } else { quote!(::core::option::Option<#inner>) };
            patch_fields.push(quote!(#[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")] pub #id: #t));
        }
        if (f.filterable || f.id.is_some()) && !f.hidden && !f.skip {
            filter_fields.push(quote!(#[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")] pub #id: ::core::option::Option<#inner>));
        }
    }
    let doc_c = format!("Body of `POST` for [`{ident}`] (fields a client may set).");
    let doc_p = format!("Body of `PATCH` for [`{ident}`] (JSON merge patch).");
    let doc_f = format!("Equality filters for listing [`{ident}`], serializable as a query string.");
    quote! {
        #[doc = #doc_c]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
        #[serde(crate = #serde_path, deny_unknown_fields)]
        #vis struct #create { #(#create_fields),* }

        #[doc = #doc_p]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::default::Default, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
        #[serde(crate = #serde_path, deny_unknown_fields)]
        #vis struct #patch { #(#patch_fields),* }

        #[doc = #doc_f]
        #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::default::Default, #rt::__private::serde::Serialize)]
        #[serde(crate = #serde_path)]
        #vis struct #filter { #(#filter_fields),* }
    }
}

trait EnumCheck {
    fn ty_is_enum(&self) -> bool;
}
impl EnumCheck for resourceful_spec::FieldModel {
    fn ty_is_enum(&self) -> bool {
        matches!(self.ty, resourceful_spec::FieldType::Enum(_))
    }
}
