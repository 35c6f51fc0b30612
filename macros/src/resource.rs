//! `#[api_resource]` expansion: the struct, `impl Resource`, and the
//! companion `Create`/`Patch`/`Filter` types.

use crate::krate;
use crate::model_tokens::resource_model;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use resourceful_spec::parse::{parse_resource, ParsedField, ParsedResource, TypeRef};

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
            let checks = enum_checks(&p, &rt);
            let imp = impl_resource(&p, &rt);
            let companions = companions(&p, &rt);
            quote!(#item #checks #imp #companions)
        }
    }
}

/// `#[api(..)]` is an inert helper of the attribute macro; remove it.
fn strip_field_attrs(item: &mut syn::ItemStruct) {
    for f in item.fields.iter_mut() {
        f.attrs.retain(|a| !a.path().is_ident("api"));
    }
}

/// The paths of the `#[api_enum]` types among `fields`, once each.
fn enum_paths<'a>(fields: impl IntoIterator<Item = &'a ParsedField>) -> Vec<&'a syn::Path> {
    let mut seen: Vec<(String, &syn::Path)> = Vec::new();
    for f in fields {
        if let TypeRef::Enum(path) = &f.type_ref {
            let key = quote!(#path).to_string();
            if !seen.iter().any(|(k, _)| *k == key) {
                seen.push((key, path));
            }
        }
    }
    seen.into_iter().map(|(_, p)| p).collect()
}

/// A field type that is not a scalar must be an `#[api_enum]`. The macro
/// cannot know whether it is, so it asks rustc once per field, at the
/// field's type: `ApiEnum`'s `on_unimplemented` message then explains the
/// fix. Everything else that needs the enum is bounded on it with a
/// `for<'__rf>` where-clause (not a trivial bound, so rustc does not check
/// it eagerly): when the check fails, that single error is all the user
/// sees instead of a cascade of `Serialize`/`Debug`/`FieldValue` errors.
fn enum_checks(p: &ParsedResource, rt: &TokenStream) -> TokenStream {
    let checks = p.fields.iter().filter_map(|f| match &f.type_ref {
        TypeRef::Enum(path) => Some(quote!(let _ = <#path as #rt::ApiEnum>::MODEL;)),
        TypeRef::Scalar => None,
    });
    quote!(const _: () = { #(#checks)* };)
}

/// `where for<'__rf> E: Bound, ..` for each enum path (empty without enums).
fn enum_bounds(paths: &[&syn::Path], bound: TokenStream) -> TokenStream {
    if paths.is_empty() {
        return quote!();
    }
    quote!(where #(for<'__rf> #paths: #bound,)*)
}

fn impl_resource(p: &ParsedResource, rt: &TokenStream) -> TokenStream {
    let ident = &p.ident;
    let model = resource_model(p, rt);
    let m_ = quote!(#rt::__private);
    // `Serialize` too: the companion types (`type Create`, …) are
    // serializable exactly when their enums are.
    let bounds = enum_bounds(
        &enum_paths(&p.fields),
        quote!(#rt::ApiEnum + #m_::FieldValue + #m_::serde::Serialize),
    );
    let from = p
        .model
        .fields
        .iter()
        .zip(&p.fields)
        .enumerate()
        .map(|(i, (f, pf))| {
            let id = &pf.ident;
            let name = f.rust_name;
            let ty = &pf.ty;
            if f.skip {
                quote!(#id: ::core::default::Default::default())
            } else {
                // `#[api_enum]` implements `FieldValue`, so enums take the same path.
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
    let (create, patch, filter) = companion_idents(ident);
    quote! {
        impl #rt::Resource for #ident #bounds {
            const MODEL: &'static #m_::ResourceModel = #model;
            type Create = #create;
            type Patch = #patch;
            type Filter = #filter;
            fn from_record(mut record: #m_::Record) -> ::core::result::Result<Self, #m_::FieldError> {
                ::core::result::Result::Ok(#ident { #(#from),* })
            }
            fn to_record(&self) -> #m_::Record {
                ::std::vec![#(#to),*]
            }
        }
    }
}

/// `TaskCreate`, `TaskPatch`, `TaskFilter` for `Task`.
fn companion_idents(ident: &syn::Ident) -> (syn::Ident, syn::Ident, syn::Ident) {
    (
        format_ident!("{}Create", ident),
        format_ident!("{}Patch", ident),
        format_ident!("{}Filter", ident),
    )
}

/// Typed request bodies for Rust callers (typed access, hooks, tests), with
/// the same wire names as the API.
fn companions(p: &ParsedResource, rt: &TokenStream) -> TokenStream {
    let vis = &p.vis;
    let ident = &p.ident;
    let serde = quote!(#rt::__private::serde);
    let (create, patch, filter) = companion_idents(ident);
    let mut create = Companion::new(create);
    let mut patch = Companion::new(patch);
    let mut filter = Companion::new(filter);
    let mut create_fields = Vec::new();
    for (i, (f, pf)) in p.model.fields.iter().zip(&p.fields).enumerate() {
        let id = &pf.ident;
        let (ty, inner, wire) = (&pf.ty, &pf.inner, f.api_name);
        if f.is_client_writable() {
            let skip = if f.optional {
                quote!(#[serde(default, skip_serializing_if = "Option::is_none")])
            } else {
                quote!()
            };
            create.push(pf, quote!(#[serde(rename = #wire)] #skip pub #id: #ty));
            create_fields.push((i, pf));
        }
        if f.is_client_updatable() {
            // `Some(None)` clears an optional field (merge patch `null`).
            let t = if f.optional {
                quote!(::core::option::Option<::core::option::Option<#inner>>)
            } else {
                quote!(::core::option::Option<#inner>)
            };
            patch.push(pf, quote!(#[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")] pub #id: #t));
        }
        if (f.filterable || f.id.is_some()) && !f.hidden && !f.skip {
            filter.push(pf, quote!(#[serde(rename = #wire, default, skip_serializing_if = "Option::is_none")] pub #id: ::core::option::Option<#inner>));
        }
    }
    let doc_c = format!("Body of `POST` for [`{ident}`] (fields a client may set).");
    let doc_p = format!("Body of `PATCH` for [`{ident}`] (JSON merge patch).");
    let doc_f =
        format!("Equality filters for listing [`{ident}`], serializable as a query string.");
    let create_input = create_input(&create, &create_fields, rt);
    let create = create.declare(vis, &doc_c, &serde, true, false);
    let patch = patch.declare(vis, &doc_p, &serde, true, true);
    let filter = filter.declare(vis, &doc_f, &serde, false, true);
    quote!(#create #create_input #patch #filter)
}

/// `impl CreateInput for TaskCreate`: the writable fields to and from the
/// row being created (hooks see and change it typed).
fn create_input(
    c: &Companion<'_>,
    fields: &[(usize, &ParsedField)],
    rt: &TokenStream,
) -> TokenStream {
    let m_ = quote!(#rt::__private);
    let ident = &c.ident;
    let bounds = enum_bounds(
        &enum_paths(c.parsed.iter().copied()),
        quote!(#rt::ApiEnum + #m_::FieldValue + #m_::serde::Serialize),
    );
    let from = fields.iter().map(|(i, pf)| {
        let (id, ty) = (&pf.ident, &pf.ty);
        let name = id.to_string();
        let name = name.trim_start_matches("r#");
        quote!(#id: #m_::get::<#ty>(record, #i, #name)?)
    });
    let write = fields.iter().map(|(i, pf)| {
        let id = &pf.ident;
        quote!(record[#i] = #m_::FieldValue::to_value(&self.#id);)
    });
    quote! {
        impl #m_::CreateInput for #ident #bounds {
            fn from_record(record: &#m_::Record) -> ::core::result::Result<Self, #m_::FieldError> {
                ::core::result::Result::Ok(#ident { #(#from),* })
            }
            fn write_record(&self, record: &mut #m_::Record) {
                #(#write)*
            }
        }
    }
}

/// One companion struct: its fields and the enum types they mention.
struct Companion<'a> {
    ident: syn::Ident,
    fields: Vec<TokenStream>,
    idents: Vec<&'a syn::Ident>,
    parsed: Vec<&'a ParsedField>,
}

impl<'a> Companion<'a> {
    fn new(ident: syn::Ident) -> Self {
        Companion {
            ident,
            fields: Vec::new(),
            idents: Vec::new(),
            parsed: Vec::new(),
        }
    }

    fn push(&mut self, pf: &'a ParsedField, field: TokenStream) {
        self.fields.push(field);
        self.idents.push(&pf.ident);
        self.parsed.push(pf);
    }

    /// The struct with serde derives, and `Debug`/`Clone` written out so
    /// they can carry the enum bounds (see [`enum_checks`]).
    fn declare(
        &self,
        vis: &syn::Visibility,
        doc: &str,
        serde: &TokenStream,
        deserialize: bool,
        default: bool,
    ) -> TokenStream {
        let Companion {
            ident,
            fields,
            idents,
            ..
        } = self;
        let enums = enum_paths(self.parsed.iter().copied());
        let serde_path = serde.to_string();
        let ser_bound = enums
            .iter()
            .map(|e| quote!(for<'__rf> #e: #serde::Serialize).to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let de_bound = enums
            .iter()
            .map(|e| quote!(#e: #serde::Deserialize<'de>).to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let bound = match (enums.is_empty(), deserialize) {
            (true, _) => quote!(),
            (false, true) => {
                quote!(#[serde(bound(serialize = #ser_bound, deserialize = #de_bound))])
            }
            (false, false) => quote!(#[serde(bound(serialize = #ser_bound))]),
        };
        let derive_de = if deserialize {
            quote!(#serde::Deserialize,)
        } else {
            quote!()
        };
        let deny = if deserialize {
            quote!(, deny_unknown_fields)
        } else {
            quote!()
        };
        let derive_default = if default {
            quote!(::core::default::Default,)
        } else {
            quote!()
        };
        let debug_bounds = enum_bounds(&enums, quote!(::core::fmt::Debug));
        let clone_bounds = enum_bounds(&enums, quote!(::core::clone::Clone));
        let name = ident.to_string();
        let names = idents
            .iter()
            .map(|i| i.to_string().trim_start_matches("r#").to_string());
        quote! {
            #[doc = #doc]
            #[derive(#derive_default #serde::Serialize, #derive_de)]
            #[serde(crate = #serde_path #deny)]
            #bound
            #vis struct #ident { #(#fields),* }

            impl ::core::fmt::Debug for #ident #debug_bounds {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(#name) #(.field(#names, &self.#idents))* .finish()
                }
            }

            impl ::core::clone::Clone for #ident #clone_bounds {
                fn clone(&self) -> Self {
                    #ident { #(#idents: ::core::clone::Clone::clone(&self.#idents)),* }
                }
            }
        }
    }
}
