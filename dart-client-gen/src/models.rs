//! Enums, and per resource: the model class, the create and patch inputs,
//! the filter builder and the sort keys.

use crate::names::{doc, lower_first, string_lit};
use crate::types::{filter_class, ops_for};
use crate::{Ctx, FieldCtx, ResCtx, HEADER};
use std::fmt::Write;

/// `lib/src/models/enums.dart`
pub fn enums(ctx: &Ctx) -> String {
    let mut o = String::from(HEADER);
    o.push('\n');
    if ctx.enums.is_empty() {
        o.push_str("// The API declares no enums.\n");
        return o;
    }
    for (i, e) in ctx.enums.iter().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        let n = &e.dart;
        let table = format!("_{}Wire", lower_first(n));
        o.push_str(&doc(e.model.doc, ""));
        let _ = writeln!(o, "enum {n} {{");
        for (wire, value) in &e.values {
            let _ = writeln!(o, "  /// `{wire}`\n  {value},");
        }
        // The fallback for values added to the API after this client was
        // generated (the value names never clash with it, see names.rs).
        o.push_str(
            "  /// A value this client does not know (added to the API later). Never\n\
             \x20 /// sent: models keep the wire value they read and send that back.\n\
             \x20 unknown,\n",
        );
        o.push_str("}\n\n");
        let _ = writeln!(o, "/// Wire values of [{n}].");
        let _ = writeln!(o, "extension {n}Wire on {n} {{");
        let known: Vec<String> = e.values.iter().map(|(_, v)| format!("{n}.{v}")).collect();
        o.push_str("  /// The values this client knows (every value but [unknown]).\n");
        let _ = writeln!(
            o,
            "  static const List<{n}> known = <{n}>[{}];\n",
            known.join(", ")
        );
        let _ = writeln!(
            o,
            "  /// Whether this is [{n}.unknown], a value this client does not know."
        );
        let _ = writeln!(o, "  bool get isUnknown => this == {n}.unknown;\n");
        o.push_str("  /// The value as sent on the wire (`unknown` for [unknown]).\n");
        let _ = writeln!(
            o,
            "  String get wire => index < {table}.length ? {table}[index] : 'unknown';\n"
        );
        o.push_str(
            "  /// The value for a wire string; throws [FormatException] for an unknown one.\n",
        );
        let _ = writeln!(o, "  static {n} fromWire(String wire) {{");
        let _ = writeln!(o, "    final i = {table}.indexOf(wire);");
        let _ = writeln!(
            o,
            "    if (i < 0) throw FormatException({}, wire);",
            string_lit(&format!("unknown {n} value"))
        );
        let _ = writeln!(o, "    return {n}.values[i];\n  }}\n");
        o.push_str("  /// The value for a wire string, or null for an unknown one.\n");
        let _ = writeln!(o, "  static {n}? tryFromWire(String wire) {{");
        let _ = writeln!(o, "    final i = {table}.indexOf(wire);");
        let _ = writeln!(o, "    return i < 0 ? null : {n}.values[i];\n  }}\n");
        let _ = writeln!(
            o,
            "  /// The value for a wire string, or [{n}.unknown] for an unknown one\n  /// (how models read it)."
        );
        let _ = writeln!(o, "  static {n} fromWireOrUnknown(String wire) {{");
        let _ = writeln!(o, "    final i = {table}.indexOf(wire);");
        let _ = writeln!(
            o,
            "    return i < 0 ? {n}.unknown : {n}.values[i];\n  }}\n}}\n"
        );
        let wires: Vec<String> = e.values.iter().map(|(w, _)| string_lit(w)).collect();
        let _ = writeln!(
            o,
            "const List<String> {table} = <String>[{}];",
            wires.join(", ")
        );
    }
    o
}

/// `lib/src/models/<resource>.dart`
pub fn resource(ctx: &Ctx, r: &ResCtx) -> String {
    let mut o = String::from(HEADER);
    o.push('\n');
    o.push_str("import '../runtime/changes.dart';\n");
    o.push_str("import '../runtime/json.dart' as _rt;\n");
    o.push_str("import '../runtime/optional.dart';\n");
    o.push_str("import '../runtime/query.dart';\n");
    if r.uses_enums() {
        o.push_str("import 'enums.dart';\n");
    }
    o.push('\n');
    model(&mut o, r);
    o.push('\n');
    create(&mut o, ctx, r);
    o.push('\n');
    patch(&mut o, ctx, r);
    o.push('\n');
    filter(&mut o, ctx, r);
    o.push('\n');
    sort(&mut o, ctx, r);
    o
}

/// The field's doc comment; `model` for the model class (what a read
/// returns), where a field with a read rule may be missing.
fn field_doc(o: &mut String, f: &FieldCtx, model: bool) {
    let mut text = f.model.doc.trim().to_string();
    let mut notes = Vec::new();
    if f.wire() != f.name {
        notes.push(format!("Wire name `{}`.", f.wire()));
    }
    if f.model.id.is_some() {
        notes.push("The id.".to_string());
    }
    if (f.model.auto.is_some() || f.model.read_only) && !f.model.owner {
        notes.push("Set by the server.".to_string());
    }
    notes.extend(crate::access::field_notes(&f.model, true));
    if model && f.read_restricted() {
        notes.push(if f.optional() {
            "Null when it is not set, or not visible to this caller.".to_string()
        } else {
            "Null only when it is not visible to this caller (always set otherwise).".to_string()
        });
    }
    let v = &f.model.validation;
    match (v.min_length, v.max_length) {
        (Some(a), Some(b)) => notes.push(format!("{a} to {b} characters.")),
        (Some(a), None) => notes.push(format!("At least {a} characters.")),
        (None, Some(b)) => notes.push(format!("At most {b} characters.")),
        _ => {}
    }
    match (v.min, v.max) {
        (Some(a), Some(b)) => notes.push(format!("From {a} to {b}.")),
        (Some(a), None) => notes.push(format!("At least {a}.")),
        (None, Some(b)) => notes.push(format!("At most {b}.")),
        _ => {}
    }
    if let Some(p) = v.pattern {
        notes.push(format!("Matches `{p}`."));
    }
    if let Some(rel) = f.model.relation {
        notes.push(format!("Refers to `{}`.", rel.resource));
    }
    if !notes.is_empty() {
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str(&notes.join(" "));
    }
    o.push_str(&doc(&text, "  "));
}

/// The enum (name) of a field holding one.
fn enum_of(f: &FieldCtx) -> Option<&str> {
    match &f.kind {
        crate::types::Kind::Enum(n) => Some(n),
        _ => None,
    }
}

/// The wire value an enum field sends: the raw one read when the value
/// was unknown, else the value's.
fn enum_json(f: &FieldCtx, expr: &str, optional: bool) -> String {
    let q = if optional { "?" } else { "" };
    format!("{}Raw ?? {expr}{q}.wire", f.name)
}

fn raw_doc(o: &mut String, f: &FieldCtx, e: &str) {
    let _ = writeln!(
        o,
        "  /// The wire value of [{n}] when it is one this client does not know\n  \
         /// ([{e}.unknown]); null otherwise. Sent back unchanged by `toJson`.",
        n = f.name
    );
    let _ = writeln!(o, "  final String? {}Raw;\n", f.name);
}

fn model(o: &mut String, r: &ResCtx) {
    let c = &r.class;
    o.push_str(&doc(r.model.doc, ""));
    let _ = writeln!(o, "class {c} {{");
    // Constructor.
    let _ = writeln!(o, "  const {c}({{");
    for f in &r.fields {
        let req = if f.nullable() { "" } else { "required " };
        let _ = writeln!(o, "    {req}this.{},", f.name);
        if enum_of(f).is_some() {
            let _ = writeln!(o, "    this.{}Raw,", f.name);
        }
    }
    o.push_str("    this.extra = const <String, dynamic>{},\n");
    o.push_str("  });\n\n");
    // fromJson.
    o.push_str(
        "  /// Reads a record as the server sends it; throws [FormatException] on a\n  \
         /// mismatch. An enum value this client does not know reads as `unknown`\n  \
         /// (its wire value kept in the field's `…Raw`); unknown fields go to [extra].\n",
    );
    if r.has_read_restricted() {
        o.push_str(
            "  /// A field with a read rule may be missing (left out for callers outside\n  \
             /// the rule): it reads as null.\n",
        );
    }
    let _ = writeln!(
        o,
        "  factory {c}.fromJson(Map<String, dynamic> json) => {c}("
    );
    for f in &r.fields {
        let _ = writeln!(
            o,
            "        {}: {},",
            f.name,
            f.kind.read(&f.wire_lit(), f.nullable())
        );
        if let Some(e) = enum_of(f) {
            let _ = writeln!(
                o,
                "        {}Raw: _rt.unknownWire(json, {}, {e}Wire.tryFromWire),",
                f.name,
                f.wire_lit()
            );
        }
    }
    let wires: Vec<String> = r.fields.iter().map(|f| f.wire_lit()).collect();
    let _ = writeln!(
        o,
        "        extra: _rt.extraFields(json, const <String>{{{}}}),",
        wires.join(", ")
    );
    o.push_str("      );\n\n");
    // Fields.
    for f in &r.fields {
        field_doc(o, f, true);
        let _ = writeln!(o, "  final {} {};\n", f.model_type(), f.name);
        if let Some(e) = enum_of(f) {
            raw_doc(o, f, e);
        }
    }
    o.push_str(
        "  /// Fields the server sent that this client does not know (added to the\n  \
         /// API later), as read; [toJson] includes them.\n",
    );
    o.push_str("  final Map<String, dynamic> extra;\n\n");
    // toJson.
    o.push_str("  /// The record as JSON (as the server sends it).\n");
    if r.has_read_restricted() {
        o.push_str(
            "  /// A field with a read rule is left out when null, as the server leaves\n  \
             /// it out for callers outside the rule.\n",
        );
    }
    o.push_str("  Map<String, dynamic> toJson() => <String, dynamic>{\n        ...extra,\n");
    for f in &r.fields {
        if f.read_restricted() {
            // Present only when set: `x!` (fields do not promote).
            let n = format!("{}!", f.name);
            let v = if enum_of(f).is_some() {
                enum_json(f, &n, false)
            } else {
                f.kind.to_json(&n, false)
            };
            let _ = writeln!(o, "        if ({} != null) {}: {v},", f.name, f.wire_lit());
            continue;
        }
        let v = if enum_of(f).is_some() {
            enum_json(f, &f.name, f.optional())
        } else {
            f.kind.to_json(&f.name, f.optional())
        };
        let _ = writeln!(o, "        {}: {v},", f.wire_lit());
    }
    o.push_str("      };\n\n");
    // copyWith.
    o.push_str("  /// A copy with the given fields changed; nullable fields take an\n");
    o.push_str("  /// [Optional], so `Optional(null)` clears them.\n");
    if r.fields.is_empty() {
        let _ = writeln!(o, "  {c} copyWith() => {c}(extra: extra);\n");
    } else {
        let _ = writeln!(o, "  {c} copyWith({{");
        for f in &r.fields {
            if f.nullable() {
                let _ = writeln!(o, "    Optional<{}>? {},", f.model_type(), f.name);
            } else {
                let _ = writeln!(o, "    {}? {},", f.model_type(), f.name);
            }
        }
        let _ = writeln!(o, "  }}) =>\n      {c}(");
        for f in &r.fields {
            let n = &f.name;
            if f.nullable() {
                let _ = writeln!(o, "        {n}: {n} == null ? this.{n} : {n}.value,");
            } else {
                let _ = writeln!(o, "        {n}: {n} ?? this.{n},");
            }
            if enum_of(f).is_some() {
                let _ = writeln!(o, "        {n}Raw: {n} == null ? {n}Raw : null,");
            }
        }
        o.push_str("        extra: extra,\n      );\n\n");
    }
    equality(o, c, &r.fields.iter().collect::<Vec<_>>(), true, true);
    o.push_str("}\n");
}

/// `==`, `hashCode` and `toString` over `fields` and their enums' raw
/// values (and, for a [model], `extra`).
fn equality(o: &mut String, class: &str, fields: &[&FieldCtx], raws: bool, model: bool) {
    let mut names: Vec<String> = Vec::new();
    for f in fields {
        names.push(f.name.clone());
        if raws && enum_of(f).is_some() {
            names.push(format!("{}Raw", f.name));
        }
    }
    o.push_str("  @override\n  bool operator ==(Object other) =>\n");
    let _ = write!(o, "      identical(this, other) ||\n      other is {class}");
    for n in &names {
        let _ = write!(o, " &&\n          other.{n} == this.{n}");
    }
    if model {
        o.push_str(" &&\n          _rt.jsonEquals(other.extra, extra)");
    }
    o.push_str(";\n\n");
    o.push_str("  @override\n");
    if names.is_empty() {
        let _ = writeln!(
            o,
            "  int get hashCode => {};\n",
            string_lit(class) + ".hashCode"
        );
    } else {
        let _ = writeln!(
            o,
            "  int get hashCode => Object.hashAll(<Object?>[{}]);\n",
            names.join(", ")
        );
    }
    o.push_str("  @override\n");
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("{n}: ${n}", n = f.name))
        .collect();
    let _ = writeln!(o, "  String toString() => '{class}({})';", parts.join(", "));
}

fn create(o: &mut String, ctx: &Ctx, r: &ResCtx) {
    let _ = ctx;
    let c = r.named("Create");
    let m = &r.member;
    let fields: Vec<&FieldCtx> = r.writable().collect();
    let _ = writeln!(
        o,
        "/// The body of `client.{m}.create` and `replace`: every field a client may"
    );
    o.push_str("/// write. Optional fields left null are not sent on create (and are\n");
    o.push_str("/// cleared by a replace).\n");
    let _ = writeln!(o, "class {c} implements JsonInput {{");
    if fields.is_empty() {
        let _ = writeln!(o, "  const {c}();\n");
    } else {
        let _ = writeln!(o, "  const {c}({{");
        for f in &fields {
            let req = if f.optional() { "" } else { "required " };
            let _ = writeln!(o, "    {req}this.{},", f.name);
            if enum_of(f).is_some() {
                let _ = writeln!(o, "    this.{}Raw,", f.name);
            }
        }
        o.push_str("  });\n\n");
    }
    // Required fields the model may lack (not visible to whoever read it).
    let missing: Vec<String> = fields
        .iter()
        .filter(|f| f.read_restricted() && !f.optional())
        .map(|f| format!("[{}]", f.name))
        .collect();
    if missing.is_empty() {
        let _ = writeln!(
            o,
            "  /// The writable fields of [model], e.g. to edit them for a replace."
        );
    } else {
        let text = format!(
            "The writable fields of [model], e.g. to edit them for a replace. \
             Throws [StateError] when a required field with a read rule ({}) is \
             null in [model]: not visible to the caller who read it.",
            missing.join(", ")
        );
        o.push_str(&doc(&text, "  "));
    }
    if fields.is_empty() {
        let _ =
            writeln!(o, "  // ignore: avoid_unused_constructor_parameters\n  factory {c}.fromModel({} model) => const {c}();\n", r.class);
    } else {
        let _ = writeln!(o, "  factory {c}.fromModel({} model) => {c}(", r.class);
        for f in &fields {
            if f.read_restricted() && !f.optional() {
                let msg = format!(
                    "{}.fromModel: `{}` is not visible to this caller (read rule)",
                    c,
                    f.wire()
                );
                let _ = writeln!(
                    o,
                    "        {n}: model.{n} ?? (throw StateError({})),",
                    string_lit(&msg),
                    n = f.name
                );
            } else {
                let _ = writeln!(o, "        {n}: model.{n},", n = f.name);
            }
            if enum_of(f).is_some() {
                let _ = writeln!(o, "        {n}Raw: model.{n}Raw,", n = f.name);
            }
        }
        o.push_str("      );\n\n");
    }
    for f in &fields {
        field_doc(o, f, false);
        let _ = writeln!(o, "  final {} {};\n", f.dart_type(), f.name);
        if let Some(e) = enum_of(f) {
            raw_doc(o, f, e);
        }
    }
    o.push_str("  @override\n  Map<String, dynamic> toJson() => <String, dynamic>{\n");
    for f in &fields {
        if f.optional() {
            let _ = writeln!(
                o,
                "        if ({n} != null) {}: {},",
                f.wire_lit(),
                if enum_of(f).is_some() {
                    enum_json(f, &format!("{}!", f.name), false)
                } else {
                    f.kind.to_json(&format!("{}!", f.name), false)
                },
                n = f.name
            );
        } else {
            let _ = writeln!(
                o,
                "        {}: {},",
                f.wire_lit(),
                if enum_of(f).is_some() {
                    enum_json(f, &f.name, false)
                } else {
                    f.kind.to_json(&f.name, false)
                }
            );
        }
    }
    o.push_str("      };\n\n");
    equality(o, &c, &fields, true, false);
    o.push_str("}\n");
}

fn patch(o: &mut String, ctx: &Ctx, r: &ResCtx) {
    let _ = ctx;
    let c = r.named("Patch");
    let fields: Vec<&FieldCtx> = r.updatable().collect();
    let _ = writeln!(
        o,
        "/// The body of `client.{}.update` (a JSON merge patch): only the fields given",
        r.member
    );
    o.push_str("/// change. Nullable fields take an [Optional]: `Optional(null)` clears the\n");
    o.push_str("/// field, leaving it out keeps it.\n");
    let _ = writeln!(o, "class {c} implements JsonInput {{");
    if fields.is_empty() {
        let _ = writeln!(o, "  const {c}();\n");
    } else {
        let _ = writeln!(o, "  const {c}({{");
        for f in &fields {
            let _ = writeln!(o, "    this.{},", f.name);
        }
        o.push_str("  });\n\n");
    }
    for f in &fields {
        field_doc(o, f, false);
        if f.optional() {
            let _ = writeln!(o, "  final Optional<{}>? {};\n", f.dart_type(), f.name);
        } else {
            let _ = writeln!(o, "  final {}? {};\n", f.dart_type(), f.name);
        }
    }
    o.push_str("  /// Whether no field is set.\n");
    if fields.is_empty() {
        o.push_str("  bool get isEmpty => true;\n\n");
    } else {
        let conds: Vec<String> = fields
            .iter()
            .map(|f| format!("{} == null", f.name))
            .collect();
        let _ = writeln!(o, "  bool get isEmpty => {};\n", conds.join(" && "));
    }
    o.push_str("  @override\n  Map<String, dynamic> toJson() => <String, dynamic>{\n");
    for f in &fields {
        let n = &f.name;
        let value = if f.optional() {
            f.kind.to_json(&format!("{n}!.value"), true)
        } else {
            f.kind.to_json(&format!("{n}!"), false)
        };
        let _ = writeln!(o, "        if ({n} != null) {}: {value},", f.wire_lit());
    }
    o.push_str("      };\n\n");
    equality(o, &c, &fields, false, false);
    o.push_str("}\n");
}

fn filter(o: &mut String, ctx: &Ctx, r: &ResCtx) {
    let _ = ctx;
    let c = r.named("Filter");
    let fields: Vec<&FieldCtx> = r.filterable().collect();
    let _ = writeln!(
        o,
        "/// Conditions for `client.{}.list` and `watchList`; all must hold. Each",
        r.member
    );
    o.push_str("/// filterable field offers the operators its type supports, and each\n");
    o.push_str("/// operator returns the filter, so conditions chain:\n///\n/// ```dart\n");
    let mut example_fields: Vec<&&FieldCtx> = fields
        .iter()
        .filter(|f| f.model.id.is_none())
        .take(2)
        .collect();
    if example_fields.is_empty() {
        example_fields = fields.iter().take(1).collect();
    }
    let example = format!(
        "{c}(){}",
        example_fields
            .iter()
            .map(|f| format!(".{}.{}", f.name, example_op(ctx, f)))
            .collect::<String>()
    );
    let _ = writeln!(o, "/// {example}");
    o.push_str("/// ```\n");
    let _ = writeln!(o, "class {c} extends ResourceFilter {{");
    for f in &fields {
        let ops = ops_for(&f.model.ty, f.optional());
        let (class, typed) = filter_class(&ops);
        let ty = if typed {
            format!("{class}<{c}, {}>", f.kind.dart())
        } else {
            format!("{class}<{c}>")
        };
        let args = if typed {
            format!("this, {}, {}", f.wire_lit(), f.kind.encoder())
        } else {
            format!("this, {}", f.wire_lit())
        };
        let _ = writeln!(o, "  /// `{}`: {}.", f.wire(), ops.join(", "));
        let _ = writeln!(o, "  late final {ty} {} = {ty}({args});\n", f.name);
    }
    if o.ends_with("\n\n") {
        o.pop();
    }
    o.push_str("}\n");
}

fn example_op(ctx: &Ctx, f: &FieldCtx) -> String {
    use crate::types::Kind;
    match &f.kind {
        Kind::String => "contains('a')".into(),
        Kind::Int => "gte(1)".into(),
        Kind::Double => "gte(1.0)".into(),
        Kind::Bool => "eq(true)".into(),
        Kind::Uuid => "eq('00000000-0000-0000-0000-000000000000')".into(),
        Kind::DateTime | Kind::Date => "gte(DateTime.utc(2025))".into(),
        Kind::Enum(n) => match ctx
            .enums
            .iter()
            .find(|e| &e.dart == n)
            .and_then(|e| e.values.first())
        {
            Some((_, v)) => format!("eq({n}.{v})"),
            None => format!("isIn({n}.values)"),
        },
    }
}

fn sort(o: &mut String, ctx: &Ctx, r: &ResCtx) {
    let _ = ctx;
    let c = r.named("Sort");
    let fields: Vec<&FieldCtx> = r.sortable().collect();
    let first = fields
        .iter()
        .find(|f| f.model.id.is_none())
        .unwrap_or(&fields[0]);
    let _ = writeln!(
        o,
        "/// Sort keys for `client.{}.list` and `watchList`; `.desc` for descending:",
        r.member
    );
    let _ = writeln!(
        o,
        "/// `sort: [{c}.{}.desc, {c}.{}]`. Nulls sort last; the id breaks ties.",
        first.name,
        r.id().name
    );
    let _ = writeln!(o, "class {c} {{\n  {c}._();\n");
    for f in &fields {
        let _ = writeln!(
            o,
            "  static const SortKey<{cl}> {} = SortKey<{cl}>({});",
            f.name,
            f.wire_lit(),
            cl = r.class
        );
    }
    o.push_str("}\n");
}
