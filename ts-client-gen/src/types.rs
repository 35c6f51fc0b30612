//! Field types → TypeScript types, filter operators and documentation.

use resourceful_spec::{AutoValue, FieldModel, FieldType, IdStrategy, OnDelete, ResourceModel};

/// The TypeScript type of a field's (non-null) value.
pub fn ts_type(ty: &FieldType) -> String {
    match ty {
        FieldType::I16 | FieldType::I32 | FieldType::I64 | FieldType::F32 | FieldType::F64 => {
            "number".into()
        }
        FieldType::Bool => "boolean".into(),
        FieldType::String | FieldType::Uuid | FieldType::DateTime | FieldType::Date => {
            "string".into()
        }
        FieldType::Enum(e) => e.name.to_string(),
    }
}

/// The type of a field in a response: `T`, or `T | null` when optional.
/// An enum also admits values this client does not know yet (a newer
/// server may add variants): `Status | (string & {})` keeps the known
/// values' completion and never rejects the raw string.
pub fn output_type(f: &FieldModel) -> String {
    let t = match &f.ty {
        FieldType::Enum(e) => format!("{} | (string & {{}})", e.name),
        other => ts_type(other),
    };
    nullable(t, f.optional)
}

/// Whether a response may lack the field's key: one with a read rule is
/// left out of the responses of callers outside the rule (the runtime drops
/// the key; the OpenAPI document does not list it as required), so its
/// property is optional (`flag?: string | null`). The value's own type,
/// null included, is unchanged.
pub fn may_be_absent(f: &FieldModel) -> bool {
    f.access.read.is_some()
}

pub fn nullable(t: String, optional: bool) -> String {
    if optional {
        format!("{t} | null")
    } else {
        t
    }
}

/// The type of a filter operand: date-times also accept a `Date`.
pub fn filter_value_type(ty: &FieldType) -> String {
    match ty {
        FieldType::DateTime => "DateTimeValue".into(),
        other => ts_type(other),
    }
}

/// Filter operators in their REST spelling, in the runtime's order.
pub const OPS: [&str; 12] = [
    "eq",
    "ne",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "nin",
    "contains",
    "starts_with",
    "ends_with",
    "is_null",
];

/// Whether operator `op` applies to a field of kind `ty`; the same rule as
/// the runtime's `Op::applies_to`.
pub fn op_applies(op: &str, ty: &FieldType, optional: bool) -> bool {
    match op {
        "eq" | "ne" | "in" | "nin" => true,
        "lt" | "lte" | "gt" | "gte" => ty.is_ordered() && !matches!(ty, FieldType::Enum(_)),
        "contains" | "starts_with" | "ends_with" => ty.is_text(),
        "is_null" => optional,
        _ => false,
    }
}

/// The operators available on a field.
pub fn ops_for(ty: &FieldType, optional: bool) -> Vec<&'static str> {
    OPS.into_iter()
        .filter(|op| op_applies(op, ty, optional))
        .collect()
}

/// One sentence on how values of this kind are written.
pub fn kind_note(ty: &FieldType) -> Option<&'static str> {
    match ty {
        FieldType::Uuid => Some("UUID string, e.g. `123e4567-e89b-12d3-a456-426614174000`."),
        FieldType::DateTime => Some("RFC 3339 date-time, sent in UTC as `2025-01-31T12:00:00.000000Z`; any offset is accepted on input."),
        FieldType::Date => Some("Calendar date `YYYY-MM-DD`, e.g. `2025-01-31`."),
        FieldType::I16 | FieldType::I32 | FieldType::I64 => Some("Integer."),
        _ => None,
    }
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Declared validation rules in words.
pub fn rules_note(f: &FieldModel) -> Option<String> {
    let v = &f.validation;
    let mut parts = Vec::new();
    match (v.min_length, v.max_length) {
        (Some(a), Some(b)) => parts.push(format!("{a} to {b} characters.")),
        (Some(a), None) => parts.push(format!(
            "At least {a} character{}.",
            if a == 1 { "" } else { "s" }
        )),
        (None, Some(b)) => parts.push(format!("At most {b} characters.")),
        (None, None) => {}
    }
    match (v.min, v.max) {
        (Some(a), Some(b)) => parts.push(format!("From {} to {}.", num(a), num(b))),
        (Some(a), None) => parts.push(format!("At least {}.", num(a))),
        (None, Some(b)) => parts.push(format!("At most {}.", num(b))),
        (None, None) => {}
    }
    if let Some(p) = v.pattern {
        parts.push(format!("Matches `{p}` (the whole value)."));
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" "))
    }
}

/// The facts documented on a field of a resource interface or input type.
pub fn field_doc(
    all: &[ResourceModel],
    r: &ResourceModel,
    f: &FieldModel,
    output: bool,
) -> Vec<String> {
    let mut paras = vec![crate::names::clean_doc(f.doc)];
    let mut facts: Vec<String> = Vec::new();
    match f.id {
        Some(IdStrategy::Generated) => facts.push("The id, assigned by the server.".into()),
        Some(IdStrategy::Uuid) => facts.push("The id, generated by the server.".into()),
        Some(IdStrategy::Client) => facts.push("The id, chosen by the client on create.".into()),
        None => {}
    }
    if let Some(n) = kind_note(&f.ty) {
        facts.push(n.to_string());
    }
    if output {
        match f.auto {
            Some(AutoValue::CreatedAt) => facts.push("Set by the server on create.".into()),
            Some(AutoValue::UpdatedAt) => facts.push("Set by the server on every write.".into()),
            None if f.read_only => facts.push("Read-only: set by the server.".into()),
            None => {}
        }
    }
    if let Some(n) = rules_note(f) {
        facts.push(n);
    }
    facts.extend(crate::access::field_notes(f, output));
    if f.unique {
        facts.push(format!(
            "Unique among {} (a duplicate is rejected with 409).",
            r.path
        ));
    }
    if let Some(rel) = &f.relation {
        let target = all.iter().find(|t| t.path == rel.resource);
        let what = match target {
            Some(t) => format!("References a {{@link {}}} by id (`{}`)", t.name, t.route()),
            None => format!("References an item of `{}` by id", rel.resource),
        };
        let on_delete = match rel.on_delete {
            OnDelete::Cascade => "deleting it deletes this item too",
            OnDelete::SetNull => "deleting it sets this field to null",
            OnDelete::Restrict => "it cannot be deleted while this item refers to it (409)",
        };
        facts.push(format!("{what}; {on_delete}."));
    }
    if output {
        let mut caps = Vec::new();
        if f.filterable || f.id.is_some() {
            caps.push("filterable");
        }
        if f.sortable || f.id.is_some() {
            caps.push("sortable");
        }
        if !caps.is_empty() {
            let s = caps.join(", ");
            facts.push(format!("{}{}.", s[..1].to_uppercase(), &s[1..]));
        }
    }
    paras.push(facts.join(" "));
    paras
}

#[cfg(test)]
mod tests {
    use super::*;
    use resourceful_spec::EnumModel;

    static STATUS: EnumModel = EnumModel {
        name: "TaskStatus",
        variants: &["todo", "done"],
        doc: "",
    };

    #[test]
    fn maps_every_kind() {
        assert_eq!(ts_type(&FieldType::I16), "number");
        assert_eq!(ts_type(&FieldType::I64), "number");
        assert_eq!(ts_type(&FieldType::F32), "number");
        assert_eq!(ts_type(&FieldType::Bool), "boolean");
        assert_eq!(ts_type(&FieldType::String), "string");
        assert_eq!(ts_type(&FieldType::Uuid), "string");
        assert_eq!(ts_type(&FieldType::DateTime), "string");
        assert_eq!(ts_type(&FieldType::Date), "string");
        assert_eq!(ts_type(&FieldType::Enum(&STATUS)), "TaskStatus");
        assert_eq!(filter_value_type(&FieldType::DateTime), "DateTimeValue");
        assert_eq!(filter_value_type(&FieldType::Date), "string");
        assert_eq!(nullable("number".into(), true), "number | null");
    }

    #[test]
    fn operators_per_kind() {
        assert_eq!(ops_for(&FieldType::Bool, false), ["eq", "ne", "in", "nin"]);
        assert_eq!(
            ops_for(&FieldType::Enum(&STATUS), true),
            ["eq", "ne", "in", "nin", "is_null"]
        );
        assert_eq!(
            ops_for(&FieldType::I32, false),
            ["eq", "ne", "lt", "lte", "gt", "gte", "in", "nin"]
        );
        assert_eq!(
            ops_for(&FieldType::String, true),
            [
                "eq",
                "ne",
                "lt",
                "lte",
                "gt",
                "gte",
                "in",
                "nin",
                "contains",
                "starts_with",
                "ends_with",
                "is_null"
            ]
        );
        assert_eq!(
            ops_for(&FieldType::DateTime, false),
            ["eq", "ne", "lt", "lte", "gt", "gte", "in", "nin"]
        );
    }

    /// The generator's table is the runtime's: every kind, nullable or not.
    #[test]
    fn operators_match_the_runtime() {
        use resourceful::query::Op;
        let kinds = [
            FieldType::I16,
            FieldType::I32,
            FieldType::I64,
            FieldType::F32,
            FieldType::F64,
            FieldType::Bool,
            FieldType::String,
            FieldType::Uuid,
            FieldType::DateTime,
            FieldType::Date,
            FieldType::Enum(&STATUS),
        ];
        assert_eq!(Op::ALL.map(|o| o.name()), OPS);
        for ty in kinds {
            for optional in [false, true] {
                let runtime: Vec<&str> = Op::for_field(&ty, optional).map(|o| o.name()).collect();
                assert_eq!(
                    ops_for(&ty, optional),
                    runtime,
                    "{ty:?} optional={optional}"
                );
            }
        }
    }

    #[test]
    fn rules_in_words() {
        let mut f = FieldModel {
            rust_name: "title",
            api_name: "title",
            column: "title",
            ty: FieldType::String,
            optional: false,
            id: None,
            read_only: false,
            hidden: false,
            skip: false,
            filterable: false,
            sortable: false,
            unique: false,
            auto: None,
            validation: resourceful_spec::Validation::NONE,
            relation: None,
            owner: false,
            access: resourceful_spec::FieldAccess::NONE,
            doc: "",
            renamed_from: None,
            default: None,
            added_in: None,
            removed_in: None,
            old_names: &[],
        };
        assert_eq!(rules_note(&f), None);
        f.validation.min_length = Some(1);
        f.validation.max_length = Some(200);
        assert_eq!(rules_note(&f).unwrap(), "1 to 200 characters.");
        f.validation = resourceful_spec::Validation {
            min: Some(0.0),
            max: Some(2.5),
            ..resourceful_spec::Validation::NONE
        };
        assert_eq!(rules_note(&f).unwrap(), "From 0 to 2.5.");
    }
}
