//! Rewords darling's generic messages ("Unknown field: `x`", "Unexpected
//! type `bool` at filter") in the attributes' own terms, each with how the
//! option is written, and keeps the span darling found.

/// The options one attribute accepts and how each is written. Keep these
/// lists in step with the argument structs in `attrs.rs` (the tests below
/// check what they can).
pub(crate) struct Vocabulary {
    /// The attribute as shown in messages, e.g. `#[api(..)]`.
    pub attr: &'static str,
    /// `(option, how it is written)`; nested options as `outer/inner`.
    pub options: &'static [(&'static str, &'static str)],
}

const FLAG: &str = "";

pub(crate) const RESOURCE: Vocabulary = Vocabulary {
    attr: "#[api_resource(..)]",
    options: &[
        ("path", "`path = \"tasks\"`"),
        ("table", "`table = \"tasks\"`"),
        ("version", "`version = 2`"),
        ("cache_ttl", "`cache_ttl = \"10m\"`"),
        ("client_cache", "`client_cache = \"30s\"`"),
        ("page_size", "`page_size = 50`"),
        ("max_page_size", "`max_page_size = 500`"),
        (
            "rate_limit",
            "`rate_limit = \"100/s\"` or `rate_limit(read = \"1000/min\", write = \"60/min\", on_redis_failure = \"closed\")`",
        ),
        ("rate_limit/read", "`read = \"1000/min\"`"),
        ("rate_limit/write", "`write = \"60/min\"`"),
        ("rate_limit/on_redis_failure", "`on_redis_failure = \"open\"` or `\"closed\"`"),
        (
            "access",
            "`access(read = \"authenticated\", write = \"role:editor\")` (also `create`, `update`, `delete`)",
        ),
        ("access/read", "`read = \"authenticated\"`"),
        ("access/write", "`write = \"role:editor\"`"),
        ("access/create", "`create = \"authenticated\"`"),
        ("access/update", "`update = \"owner | role:admin\"`"),
        ("access/delete", "`delete = \"owner | role:admin\"`"),
        (
            "previous",
            "`previous(v1(deprecated = \"2026-12-01\", sunset = \"2027-06-30\"))`",
        ),
        ("previous/deprecated", "`deprecated = \"2026-12-01\"`"),
        ("previous/sunset", "`sunset = \"2027-06-30\"`"),
    ],
};

pub(crate) const FIELD: Vocabulary = Vocabulary {
    attr: "#[api(..)]",
    options: &[
        ("id", "`id` or `id = \"generated\"`, `id = \"uuid\"`, `id = \"client\"`"),
        ("read_only", FLAG),
        ("hidden", FLAG),
        ("skip", FLAG),
        ("rename", "`rename = \"wire_name\"`"),
        ("column", "`column = \"sql_name\"`"),
        ("renamed_from", "`renamed_from = \"old_column\"`"),
        ("default", "`default = 0`, `default = false` or `default = \"todo\"`"),
        ("added_in", "`added_in = 2`"),
        ("removed_in", "`removed_in = 2`"),
        ("name_in", "`name_in(v1 = \"old_name\")`"),
        ("filter", FLAG),
        ("sort", FLAG),
        ("unique", FLAG),
        ("created_at", FLAG),
        ("updated_at", FLAG),
        ("length", "`length(min = 1, max = 200)`"),
        ("length/min", "`min = 1`"),
        ("length/max", "`max = 200`"),
        ("range", "`range(min = 0, max = 100)`"),
        ("range/min", "`min = 0`"),
        ("range/max", "`max = 100`"),
        ("pattern", "`pattern = \"^[a-z]+$\"`"),
        (
            "relation",
            "`relation = \"projects\"` or `relation(resource = \"projects\", name = \"project\", inverse = \"tasks\", on_delete = \"cascade\")`",
        ),
        ("relation/resource", "`resource = \"projects\"`"),
        ("relation/name", "`name = \"project\"`"),
        ("relation/inverse", "`inverse = \"tasks\"`"),
        ("relation/on_delete", "`on_delete = \"restrict\"`, `\"cascade\"` or `\"set_null\"`"),
        ("owner", FLAG),
        ("access", "`access(read = \"role:admin\", write = \"role:admin\")`"),
        ("access/read", "`read = \"role:admin\"`"),
        ("access/write", "`write = \"role:admin\"`"),
    ],
};

pub(crate) const ENUM: Vocabulary = Vocabulary {
    attr: "#[api_enum(..)]",
    options: &[("rename_all", "`rename_all = \"kebab-case\"`")],
};

pub(crate) const VARIANT: Vocabulary = Vocabulary {
    attr: "#[api(..)] on a variant",
    options: &[("rename", "`rename = \"wire_name\"`")],
};

impl Vocabulary {
    fn usage(&self, option: &str) -> Option<&'static str> {
        self.options
            .iter()
            .find(|(name, _)| *name == option)
            .map(|(_, usage)| *usage)
    }

    fn top_level(&self) -> String {
        let names: Vec<String> = self
            .options
            .iter()
            .filter(|(n, _)| !n.contains('/'))
            .map(|(n, _)| format!("`{n}`"))
            .collect();
        names.join(", ")
    }

    /// `length` → "`length(..)`", `` → the attribute itself.
    fn place(&self, location: &str) -> String {
        if location.is_empty() {
            self.attr.to_string()
        } else {
            format!("`{}(..)`", location.rsplit('/').next().unwrap_or(location))
        }
    }
}

/// Rewrites every error in `err` that darling produced on its own; our
/// own messages pass through (minus darling's " at option" suffix).
pub(crate) fn reword(err: darling::Error, vocab: &Vocabulary) -> darling::Error {
    let errors: Vec<darling::Error> = err
        .flatten()
        .into_iter()
        .map(|one| {
            let span = one.explicit_span();
            let new = darling::Error::custom(reword_message(&one.to_string(), vocab));
            match span {
                Some(span) => new.with_span(&span),
                None => new,
            }
        })
        .collect();
    darling::Error::multiple(errors)
}

fn reword_message(msg: &str, vocab: &Vocabulary) -> String {
    // darling appends " at a/b" for errors inside nested options.
    let (body, location) = match msg.rsplit_once(" at ") {
        Some((body, loc)) if vocab.usage(loc).is_some() => (body, loc),
        _ => (msg, ""),
    };
    let written = |option: &str| -> String {
        match vocab.usage(option) {
            Some(FLAG) => format!(
                "`{}` takes no value; write just `{}`",
                leaf(option),
                leaf(option)
            ),
            Some(usage) => format!("write it as {usage}"),
            None => "see the attribute reference".to_string(),
        }
    };

    if let Some(rest) = body.strip_prefix("Unknown field: `") {
        let (name, rest) = rest.split_once('`').unwrap_or((rest, ""));
        let hint = if let Some(alt) = rest
            .strip_prefix(". Did you mean `")
            .and_then(|r| r.strip_suffix("`?"))
        {
            format!("did you mean `{alt}`?")
        } else if let Some(values) = rest.strip_prefix(". Available values: ") {
            format!("expected one of {values}")
        } else if location.is_empty() {
            format!("expected one of {}", vocab.top_level())
        } else {
            format!(
                "see {}",
                vocab.usage(location).unwrap_or("the attribute reference")
            )
        };
        return format!(
            "unknown option `{name}` in {}; {hint}",
            vocab.place(location)
        );
    }
    if let Some(rest) = body.strip_prefix("Duplicate field `") {
        let name = rest.trim_end_matches('`');
        return format!(
            "`{name}` is given more than once in {}; keep one",
            vocab.place(location)
        );
    }
    if let Some(rest) = body.strip_prefix("Missing field `") {
        let name = rest.trim_end_matches('`');
        let example = vocab
            .usage(location)
            .map(|u| format!(", e.g. {u}"))
            .unwrap_or_default();
        return format!("{} needs `{name}`{example}", vocab.place(location));
    }
    if body.starts_with("Unexpected ") {
        if location.is_empty() {
            return format!(
                "write the options in parentheses, e.g. `{}`",
                vocab.attr.replace("..", "filter")
            );
        }
        return format!("invalid `{}`: {}", leaf(location), written(location));
    }
    body.to_string()
}

fn leaf(option: &str) -> &str {
    option.rsplit('/').next().unwrap_or(option)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_options() {
        assert_eq!(
            reword_message("Unknown field: `fliter`. Did you mean `filter`?", &FIELD),
            "unknown option `fliter` in #[api(..)]; did you mean `filter`?"
        );
        assert!(reword_message("Unknown field: `foo`", &FIELD)
            .starts_with("unknown option `foo` in #[api(..)]; expected one of `id`, `read_only`"));
        assert_eq!(
            reword_message(
                "Unknown field: `mni`. Available values: `max`, `min` at length",
                &FIELD
            ),
            "unknown option `mni` in `length(..)`; expected one of `max`, `min`"
        );
    }

    #[test]
    fn wrong_forms() {
        assert_eq!(
            reword_message("Unexpected type `bool` at filter", &FIELD),
            "invalid `filter`: `filter` takes no value; write just `filter`"
        );
        assert_eq!(
            reword_message("Unexpected type `int` at rename", &FIELD),
            "invalid `rename`: write it as `rename = \"wire_name\"`"
        );
        assert_eq!(
            reword_message("Missing field `resource` at relation", &FIELD),
            "`relation(..)` needs `resource`, e.g. `relation = \"projects\"` or `relation(resource = \"projects\", name = \"project\", inverse = \"tasks\", on_delete = \"cascade\")`"
        );
        assert_eq!(
            reword_message("Duplicate field `filter`", &FIELD),
            "`filter` is given more than once in #[api(..)]; keep one"
        );
        assert_eq!(
            reword_message(
                "expected a number literal, e.g. `min = 0` at range/min",
                &FIELD
            ),
            "expected a number literal, e.g. `min = 0`"
        );
    }

    /// The fields of an argument struct in `attrs.rs`, sorted.
    fn struct_fields(name: &str) -> Vec<String> {
        let file = syn::parse_file(include_str!("attrs.rs")).unwrap();
        let mut names: Vec<String> = file
            .items
            .iter()
            .find_map(|i| match i {
                syn::Item::Struct(s) if s.ident == name => Some(s),
                _ => None,
            })
            .expect("argument struct")
            .fields
            .iter()
            .map(|f| f.ident.as_ref().unwrap().to_string())
            .collect();
        names.sort();
        names
    }

    /// Every option the darling structs accept is in the vocabulary (and
    /// nothing else), so "expected one of" lists stay true.
    #[test]
    fn vocabulary_matches_the_argument_structs() {
        use super::super::attrs::{EnumArgs, FieldArgs, ResourceArgs};
        use darling::{FromField, FromMeta};
        let known = |vocab: &Vocabulary, accepts: &dyn Fn(&str) -> bool| {
            for (name, _) in vocab.options.iter().filter(|(n, _)| !n.contains('/')) {
                assert!(accepts(name), "{} does not accept `{name}`", vocab.attr);
            }
            assert!(!accepts("no_such_option"));
        };
        let field_accepts = |opt: &str| {
            let fields: syn::FieldsNamed =
                syn::parse_str(&format!("{{ #[api({opt})] x: i64 }}")).unwrap();
            let err = FieldArgs::from_field(&fields.named[0]).err();
            !err.map(|e| e.to_string().starts_with("Unknown field"))
                .unwrap_or(false)
        };
        known(&FIELD, &field_accepts);
        let list_accepts = |parse: &dyn Fn(&[darling::ast::NestedMeta]) -> Option<String>,
                            opt: &str| {
            let list = darling::ast::NestedMeta::parse_meta_list(opt.parse().unwrap()).unwrap();
            !parse(&list)
                .map(|e| e.starts_with("Unknown field"))
                .unwrap_or(false)
        };
        let resource = |l: &[darling::ast::NestedMeta]| {
            ResourceArgs::from_list(l).err().map(|e| e.to_string())
        };
        let enum_ =
            |l: &[darling::ast::NestedMeta]| EnumArgs::from_list(l).err().map(|e| e.to_string());
        known(&RESOURCE, &|o| list_accepts(&resource, o));
        known(&ENUM, &|o| list_accepts(&enum_, o));

        // darling lists short vocabularies itself: the same names, no more.
        let darling_list = |parse: &dyn Fn(&[darling::ast::NestedMeta]) -> Option<String>| {
            let list = darling::ast::NestedMeta::parse_meta_list("no_such_option".parse().unwrap())
                .unwrap();
            let msg = parse(&list).unwrap();
            let (_, names) = msg
                .split_once("Available values: ")
                .expect("darling lists the options");
            let mut names: Vec<String> = names
                .split(", ")
                .map(|n| n.trim_matches('`').to_string())
                .collect();
            names.sort();
            names
        };
        let ours = |vocab: &Vocabulary| {
            let mut names: Vec<String> = vocab
                .options
                .iter()
                .filter(|(n, _)| !n.contains('/'))
                .map(|(n, _)| n.to_string())
                .collect();
            names.sort();
            names
        };
        // darling stops listing at ten options: read the struct instead.
        assert_eq!(struct_fields("ResourceArgs"), ours(&RESOURCE));
        assert_eq!(darling_list(&enum_), ours(&ENUM));
    }
}
