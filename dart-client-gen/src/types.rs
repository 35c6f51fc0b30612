//! Field types → Dart types, JSON decoding and encoding expressions, and
//! the filter operators each type accepts.

use resourceful_spec::FieldType;

/// How a field's type appears in Dart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Int,
    Double,
    Bool,
    String,
    Uuid,
    DateTime,
    Date,
    /// The Dart enum's name.
    Enum(String),
}

impl Kind {
    /// `enum_name` maps an enum's declared name to its Dart name.
    pub fn of(ty: &FieldType, enum_name: &dyn Fn(&str) -> String) -> Kind {
        match ty {
            FieldType::I16 | FieldType::I32 | FieldType::I64 => Kind::Int,
            FieldType::F32 | FieldType::F64 => Kind::Double,
            FieldType::Bool => Kind::Bool,
            FieldType::String => Kind::String,
            FieldType::Uuid => Kind::Uuid,
            FieldType::DateTime => Kind::DateTime,
            FieldType::Date => Kind::Date,
            FieldType::Enum(e) => Kind::Enum(enum_name(e.name)),
        }
    }

    /// The non-nullable Dart type.
    pub fn dart(&self) -> String {
        match self {
            Kind::Int => "int".into(),
            Kind::Double => "double".into(),
            Kind::Bool => "bool".into(),
            Kind::String | Kind::Uuid => "String".into(),
            Kind::DateTime | Kind::Date => "DateTime".into(),
            Kind::Enum(n) => n.clone(),
        }
    }

    /// The Dart type, nullable when `optional`.
    pub fn dart_opt(&self, optional: bool) -> String {
        if optional {
            format!("{}?", self.dart())
        } else {
            self.dart()
        }
    }

    /// Reads field `wire` from the map `json`.
    pub fn read(&self, wire_lit: &str, optional: bool) -> String {
        let or_null = if optional { "OrNull" } else { "" };
        match self {
            Kind::Int => format!("_rt.readInt{or_null}(json, {wire_lit})"),
            Kind::Double => format!("_rt.readDouble{or_null}(json, {wire_lit})"),
            Kind::Bool => format!("_rt.readBool{or_null}(json, {wire_lit})"),
            Kind::String | Kind::Uuid => format!("_rt.readString{or_null}(json, {wire_lit})"),
            Kind::DateTime => format!("_rt.readDateTime{or_null}(json, {wire_lit})"),
            Kind::Date => format!("_rt.readDate{or_null}(json, {wire_lit})"),
            Kind::Enum(n) => {
                format!("_rt.readEnum{or_null}<{n}>(json, {wire_lit}, {n}Wire.fromWireOrUnknown)")
            }
        }
    }

    /// The JSON value of `expr` (of the nullable type when `optional`).
    pub fn to_json(&self, expr: &str, optional: bool) -> String {
        let or_null = if optional { "OrNull" } else { "" };
        match self {
            Kind::DateTime => format!("_rt.formatDateTime{or_null}({expr})"),
            Kind::Date => format!("_rt.formatDate{or_null}({expr})"),
            Kind::Enum(_) if optional => format!("{expr}?.wire"),
            Kind::Enum(_) => format!("{expr}.wire"),
            _ => expr.to_string(),
        }
    }

    /// A function that turns a value into its query-string text.
    pub fn encoder(&self) -> String {
        match self {
            Kind::Int => "_rt.encodeInt".into(),
            Kind::Double => "_rt.encodeDouble".into(),
            Kind::Bool => "_rt.encodeBool".into(),
            Kind::String | Kind::Uuid => "_rt.encodeString".into(),
            Kind::DateTime => "_rt.formatDateTime".into(),
            Kind::Date => "_rt.formatDate".into(),
            Kind::Enum(n) => format!("({n} v) => v.wire"),
        }
    }
}

/// The REST filter operators accepted for a field of this type, in the
/// server's order. Mirrors the runtime's `Op::applies_to`.
pub fn ops_for(ty: &FieldType, optional: bool) -> Vec<&'static str> {
    let mut ops = vec!["eq", "ne"];
    let ordered = ty.is_ordered() && !matches!(ty, FieldType::Enum(_));
    if ordered {
        ops.extend(["lt", "lte", "gt", "gte"]);
    }
    ops.extend(["in", "nin"]);
    if ty.is_text() {
        ops.extend(["contains", "starts_with", "ends_with"]);
    }
    if optional {
        ops.push("is_null");
    }
    ops
}

/// The runtime filter class offering exactly `ops`, and whether it takes
/// the value type as a second type argument.
pub fn filter_class(ops: &[&str]) -> (&'static str, bool) {
    let nullable = ops.contains(&"is_null");
    match (ops.contains(&"contains"), ops.contains(&"lt"), nullable) {
        (true, _, false) => ("TextFilter", false),
        (true, _, true) => ("NullableTextFilter", false),
        (false, true, false) => ("OrderedFilter", true),
        (false, true, true) => ("NullableOrderedFilter", true),
        (false, false, false) => ("EqualityFilter", true),
        (false, false, true) => ("NullableEqualityFilter", true),
    }
}

/// The REST operators each runtime filter class exposes (its Dart methods:
/// `eq ne isIn notIn`, `lt lte gt gte`, `contains startsWith endsWith`,
/// `isNull`).
#[cfg(test)]
pub fn class_ops(class: &str) -> Vec<&'static str> {
    let mut ops = vec!["eq", "ne"];
    if class.contains("Ordered") || class.contains("Text") {
        ops.extend(["lt", "lte", "gt", "gte"]);
    }
    ops.extend(["in", "nin"]);
    if class.contains("Text") {
        ops.extend(["contains", "starts_with", "ends_with"]);
    }
    if class.starts_with("Nullable") {
        ops.push("is_null");
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use resourceful_spec::EnumModel;

    static E: EnumModel = EnumModel {
        name: "Status",
        variants: &["a"],
        doc: "",
    };

    fn all_types() -> Vec<FieldType> {
        vec![
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
            FieldType::Enum(&E),
        ]
    }

    /// The generator's operator table must match the server's.
    #[test]
    fn operators_match_the_runtime() {
        use resourceful::query::Op;
        for ty in all_types() {
            for optional in [false, true] {
                let server: Vec<&str> = Op::for_field(&ty, optional).map(|o| o.name()).collect();
                let mut ours = ops_for(&ty, optional);
                let mut sorted_server = server.clone();
                ours.sort();
                sorted_server.sort();
                assert_eq!(ours, sorted_server, "{ty:?} optional={optional}");
            }
        }
    }

    /// Each field gets a filter class whose methods are exactly its
    /// operators.
    #[test]
    fn filter_classes_offer_exactly_the_operators() {
        for ty in all_types() {
            for optional in [false, true] {
                let mut ops = ops_for(&ty, optional);
                let (class, _) = filter_class(&ops);
                let mut offered = class_ops(class);
                ops.sort();
                offered.sort();
                assert_eq!(ops, offered, "{ty:?} optional={optional} → {class}");
            }
        }
    }

    #[test]
    fn dart_types() {
        let name = |n: &str| n.to_string();
        assert_eq!(Kind::of(&FieldType::I64, &name).dart_opt(true), "int?");
        assert_eq!(Kind::of(&FieldType::Uuid, &name).dart(), "String");
        assert_eq!(Kind::of(&FieldType::Date, &name).dart(), "DateTime");
        assert_eq!(Kind::of(&FieldType::Enum(&E), &name).dart(), "Status");
        assert_eq!(
            Kind::Enum("Status".into()).read("'s'", true),
            "_rt.readEnumOrNull<Status>(json, 's', StatusWire.fromWireOrUnknown)"
        );
        assert_eq!(
            Kind::DateTime.to_json("dueAt", true),
            "_rt.formatDateTimeOrNull(dueAt)"
        );
        assert_eq!(Kind::Enum("S".into()).to_json("s", false), "s.wire");
    }
}
