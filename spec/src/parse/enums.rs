//! `#[api_enum] enum ..` → [`EnumModel`].

use super::attrs::{doc_string, EnumArgs, VariantArgs};
use super::messages::{reword, ENUM, VARIANT};
use super::{leak, leak_slice, rename_case};
use crate::EnumModel;
use darling::ast::NestedMeta;
use darling::{FromMeta, FromVariant};

pub struct ParsedEnum {
    pub model: EnumModel,
    pub ident: syn::Ident,
    /// Rust variant identifiers, parallel to `model.variants`.
    pub variants: Vec<syn::Ident>,
}

pub fn parse_enum(
    args: proc_macro2::TokenStream,
    item: &syn::ItemEnum,
) -> Result<ParsedEnum, darling::Error> {
    let mut errors = darling::Error::accumulator();
    let args = match NestedMeta::parse_meta_list(args) {
        Ok(list) => errors
            .handle(EnumArgs::from_list(&list).map_err(|e| reword(e, &ENUM)))
            .unwrap_or_default(),
        Err(e) => {
            errors.push(e.into());
            EnumArgs::default()
        }
    };
    let rule = match &args.rename_all {
        Some(r) if rename_case("A", &r.value()).is_some() => r.value(),
        Some(r) => {
            errors.push(
                darling::Error::custom(
                    "`rename_all` must be one of \"snake_case\", \"kebab-case\", \"SCREAMING_SNAKE_CASE\", \"lowercase\", \"UPPERCASE\", \"camelCase\", \"PascalCase\"",
                )
                .with_span(r),
            );
            "snake_case".to_string()
        }
        None => "snake_case".to_string(),
    };
    if !item.generics.params.is_empty() {
        errors.push(
            darling::Error::custom("an #[api_enum] cannot be generic").with_span(&item.generics),
        );
    }
    if item.variants.is_empty() {
        errors.push(
            darling::Error::custom("an #[api_enum] needs at least one variant")
                .with_span(&item.ident),
        );
    }
    let mut names: Vec<String> = Vec::new();
    // The Rust variant behind each entry of `names`.
    let mut owners: Vec<String> = Vec::new();
    let mut idents = Vec::new();
    for v in &item.variants {
        let Some(va) = errors.handle(VariantArgs::from_variant(v).map_err(|e| reword(e, &VARIANT)))
        else {
            continue;
        };
        if !va.fields.is_empty() || !matches!(v.fields, syn::Fields::Unit) {
            errors.push(
                darling::Error::custom(
                    "#[api_enum] variants carry no data (they are sent as strings); model data as fields of the resource",
                )
                .with_span(&v.fields),
            );
            continue;
        }
        let wire = match &va.rename {
            Some(r) => {
                if r.value().is_empty() || r.value().chars().any(|c| c.is_whitespace()) {
                    errors.push(
                        darling::Error::custom(
                            "a variant's `rename` must be a non-empty string without spaces",
                        )
                        .with_span(r),
                    );
                }
                r.value()
            }
            None => rename_case(&va.ident.to_string(), &rule).expect("checked rule"),
        };
        if let Some(i) = names.iter().position(|n| *n == wire) {
            let msg = format!(
                "`{}` is sent as \"{wire}\", which `{}` already uses; give one of them a different `rename`",
                va.ident, owners[i]
            );
            let e = darling::Error::custom(msg);
            errors.push(match &va.rename {
                Some(r) => e.with_span(r),
                None => e.with_span(&va.ident),
            });
        }
        owners.push(va.ident.to_string());
        names.push(wire);
        idents.push(va.ident.clone());
    }
    errors.finish()?;
    Ok(ParsedEnum {
        model: EnumModel {
            name: leak(item.ident.to_string()),
            variants: leak_slice(names.into_iter().map(leak).collect()),
            doc: leak(doc_string(&item.attrs)),
        },
        ident: item.ident.clone(),
        variants: idents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_snake_case_by_default() {
        let item: syn::ItemEnum =
            syn::parse_str("enum Status { Todo, InProgress, #[api(rename = \"finished\")] Done }")
                .unwrap();
        let e = parse_enum(Default::default(), &item).unwrap();
        assert_eq!(e.model.variants, &["todo", "in_progress", "finished"]);
    }

    #[test]
    fn data_variants_are_refused() {
        let item: syn::ItemEnum = syn::parse_str("enum S { A(i32), B }").unwrap();
        assert!(parse_enum(Default::default(), &item).is_err());
    }
}
