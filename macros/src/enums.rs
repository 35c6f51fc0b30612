//! `#[api_enum]` expansion: `impl ApiEnum`, `FieldValue` and serde by name.

use crate::krate;
use proc_macro2::TokenStream;
use quote::quote;
use resourceful_spec::parse::parse_enum;

pub fn expand(args: TokenStream, mut item: syn::ItemEnum) -> TokenStream {
    let parsed = parse_enum(args, &item);
    for v in item.variants.iter_mut() {
        v.attrs.retain(|a| !a.path().is_ident("api"));
    }
    let p = match parsed {
        Ok(p) => p,
        Err(e) => {
            let errors = e.write_errors();
            return quote!(#item #errors);
        }
    };
    let rt = krate::runtime();
    let m_ = quote!(#rt::__private);
    let ident = &p.ident;
    let (name, doc) = (p.model.name, p.model.doc);
    let wires: Vec<&str> = p.model.variants.to_vec();
    let vars = &p.variants;
    let expecting = format!("one of: {}", wires.join(", "));
    quote! {
        #item

        impl #rt::ApiEnum for #ident {
            const MODEL: &'static #m_::EnumModel = &#m_::EnumModel { name: #name, variants: &[#(#wires),*], doc: #doc };
            fn as_str(&self) -> &'static str {
                match self { #(#ident::#vars => #wires),* }
            }
            fn from_str(s: &str) -> ::core::option::Option<Self> {
                match s { #(#wires => ::core::option::Option::Some(#ident::#vars),)* _ => ::core::option::Option::None }
            }
        }

        impl #m_::FieldValue for #ident {
            fn from_value(v: #m_::Value) -> ::core::result::Result<Self, ::std::string::String> {
                #m_::enum_from_value(v)
            }
            fn to_value(&self) -> #m_::Value {
                #m_::Value::Text(::std::string::ToString::to_string(#rt::ApiEnum::as_str(self)))
            }
        }

        impl #m_::serde::Serialize for #ident {
            fn serialize<S: #m_::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(#rt::ApiEnum::as_str(self))
            }
        }

        impl<'de> #m_::serde::Deserialize<'de> for #ident {
            fn deserialize<D: #m_::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                let s = <::std::string::String as #m_::serde::Deserialize>::deserialize(d)?;
                <Self as #rt::ApiEnum>::from_str(&s).ok_or_else(|| {
                    <D::Error as #m_::serde::de::Error>::custom(::std::format!("unknown variant `{}`, expected {}", s, #expecting))
                })
            }
        }
    }
}
