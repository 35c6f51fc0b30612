//! Maps Rust field types onto the model's scalar kinds.

use crate::FieldType;

/// What a field's Rust type means to the model.
pub struct Classified {
    pub kind: Kind,
    /// The type was `Option<T>`.
    pub optional: bool,
    /// `T` without the `Option`.
    pub inner: syn::Type,
}

pub enum Kind {
    Scalar(FieldType),
    /// A path to a type that must be declared with `#[api_enum]`.
    Enum(syn::Path),
}

const SUPPORTED: &str = "supported field types: i16, i32, i64, f32, f64, bool, String, \
uuid::Uuid, chrono::DateTime<Utc>, chrono::NaiveDate, an #[api_enum] enum, or Option<T> of these";

pub fn classify(ty: &syn::Type) -> Result<Classified, darling::Error> {
    if let Some(inner) = option_inner(ty) {
        if option_inner(inner).is_some() {
            return Err(darling::Error::custom(
                "nested `Option<Option<T>>` is not supported; use a single `Option<T>`",
            )
            .with_span(ty));
        }
        let kind = scalar(inner)?;
        return Ok(Classified {
            kind,
            optional: true,
            inner: inner.clone(),
        });
    }
    Ok(Classified {
        kind: scalar(ty)?,
        optional: false,
        inner: ty.clone(),
    })
}

fn option_inner(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

fn scalar(ty: &syn::Type) -> Result<Kind, darling::Error> {
    // A message with its own advice; the list of supported types is added
    // only where there is nothing more specific to say.
    let advice = |msg: &str| darling::Error::custom(msg).with_span(ty);
    let unsupported =
        |why: &str| darling::Error::custom(format!("{why}; {SUPPORTED}")).with_span(ty);
    let p = match ty {
        syn::Type::Path(p) => p,
        // Point at the referenced type: that is what to replace.
        syn::Type::Reference(r) => {
            return Err(darling::Error::custom(
                "references are not supported (a resource owns its data); use an owned type such as `String`",
            )
            .with_span(&r.elem))
        }
        syn::Type::Tuple(t) if t.elems.is_empty() => return Err(unsupported("`()` is not a field type")),
        syn::Type::Tuple(_) => return Err(advice("tuples are not supported; declare one field per value")),
        syn::Type::Array(_) | syn::Type::Slice(_) => {
            return Err(advice("arrays are not supported; model a collection as a separate resource with a relation"))
        }
        syn::Type::Paren(p) => return scalar(&p.elem),
        syn::Type::Group(g) => return scalar(&g.elem),
        _ => return Err(unsupported("unsupported field type")),
    };
    if p.qself.is_some() {
        return Err(unsupported("qualified types are not supported"));
    }
    let last = p.path.segments.last().expect("non-empty path");
    let name = last.ident.to_string();
    let has_args = !matches!(last.arguments, syn::PathArguments::None);
    let plain = |ft: FieldType| -> Result<Kind, darling::Error> {
        if has_args {
            Err(unsupported(&format!("`{name}` takes no generic arguments")))
        } else {
            Ok(Kind::Scalar(ft))
        }
    };
    match name.as_str() {
        "i16" => plain(FieldType::I16),
        "i32" => plain(FieldType::I32),
        "i64" => plain(FieldType::I64),
        "f32" => plain(FieldType::F32),
        "f64" => plain(FieldType::F64),
        "bool" => plain(FieldType::Bool),
        "String" => plain(FieldType::String),
        "Uuid" => plain(FieldType::Uuid),
        "NaiveDate" => plain(FieldType::Date),
        "DateTime" => {
            let arg = match &last.arguments {
                syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => a.args.first(),
                _ => None,
            };
            match arg {
                Some(syn::GenericArgument::Type(syn::Type::Path(tp)))
                    if tp.path.segments.last().map(|s| s.ident == "Utc").unwrap_or(false) =>
                {
                    Ok(Kind::Scalar(FieldType::DateTime))
                }
                // Point at the time zone when there is one: that is what to change.
                Some(arg) => Err(darling::Error::custom(
                    "only `DateTime<Utc>` is supported; store times in UTC (`DateTime<Utc>`) and convert at the edges",
                )
                .with_span(arg)),
                None => Err(darling::Error::custom("write `DateTime<Utc>`; only UTC date-times are supported")
                    .with_span(ty)),
            }
        }
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i128" | "isize" => Err(advice(&format!(
            "`{name}` is not supported (SQL databases have no portable type for it); use `i16`, `i32` or `i64`"
        ))),
        "char" | "str" => Err(advice(&format!("`{name}` is not supported; use `String`"))),
        "Vec" | "VecDeque" | "HashMap" | "BTreeMap" | "HashSet" | "BTreeSet" => Err(advice(&format!(
            "`{name}` is not supported; model a collection as a separate resource with a relation"
        ))),
        "Box" | "Rc" | "Arc" | "Cow" | "Cell" | "RefCell" | "Mutex" => {
            Err(advice(&format!("`{name}` is not supported; use the value type itself, e.g. `String`")))
        }
        _ if has_args => Err(unsupported(&format!("generic type `{name}<..>` is not supported"))),
        _ => Ok(Kind::Enum(p.path.clone())),
    }
}

/// `Option < chrono :: DateTime < Utc > >` → `Option<chrono::DateTime<Utc>>`,
/// for showing a type in a message.
pub fn type_string(ty: &syn::Type) -> String {
    use quote::ToTokens;
    let raw = ty.to_token_stream().to_string();
    let mut out = raw
        .replace(" :: ", "::")
        .replace(":: ", "::")
        .replace(" < ", "<")
        .replace(" <", "<");
    out = out
        .replace("< ", "<")
        .replace(" > ", ">")
        .replace(" >", ">")
        .replace(" ,", ",");
    out
}
