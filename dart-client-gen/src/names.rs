//! Dart identifiers from wire names: case conversion and escaping of
//! reserved words and of names the generated classes already use.

/// Dart reserved words, built-in identifiers and contextual keywords, plus
/// the lower-case type names the generated code refers to (a field named
/// `int` would shadow the type inside its class).
const DART_RESERVED: &[&str] = &[
    "abstract",
    "as",
    "assert",
    "async",
    "await",
    "base",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "covariant",
    "default",
    "deferred",
    "do",
    "dynamic",
    "else",
    "enum",
    "export",
    "extends",
    "extension",
    "external",
    "factory",
    "false",
    "final",
    "finally",
    "for",
    "Function",
    "get",
    "hide",
    "if",
    "implements",
    "import",
    "in",
    "interface",
    "is",
    "late",
    "library",
    "mixin",
    "new",
    "null",
    "of",
    "on",
    "operator",
    "part",
    "required",
    "rethrow",
    "return",
    "sealed",
    "set",
    "show",
    "static",
    "super",
    "switch",
    "sync",
    "this",
    "throw",
    "true",
    "try",
    "typedef",
    "var",
    "void",
    "when",
    "while",
    "with",
    "yield",
    // Types used unqualified in generated code.
    "int",
    "double",
    "bool",
    "num",
];

/// Members every generated class (or its runtime base) already has.
const MEMBER_RESERVED: &[&str] = &[
    "hashCode",
    "runtimeType",
    "toString",
    "noSuchMethod",
    "copyWith",
    "toJson",
    "fromJson",
    "fromModel",
    "extra",
    "filterConditions",
    "addFilterCondition",
    "isEmpty",
    "changes",
    "clearCache",
    "close",
    "core",
    "json",
];

/// `ApiClient` members besides the resources.
const CLIENT_RESERVED: &[&str] = &["cache", "maintenance", "graphql"];

/// Enum value names that clash with members of every Dart enum.
const ENUM_RESERVED: &[&str] = &[
    "values",
    "index",
    "name",
    "wire",
    "fromWire",
    "tryFromWire",
    "fromWireOrUnknown",
    "unknown",
    "isUnknown",
    "known",
];

/// Type names the runtime (and Dart core) define; a resource or enum with
/// one of these names gets a suffix.
pub const TYPE_RESERVED: &[&str] = &[
    "ApiClient",
    "ApiCore",
    "ApiException",
    "ApiRequest",
    "ApiResponse",
    "ApiTransport",
    "CacheEntry",
    "CachePolicy",
    "CacheStorage",
    "ChangeKind",
    "EqualityFilter",
    "FieldError",
    "Fetched",
    "FilterCondition",
    "GraphQLApi",
    "GraphQLError",
    "GraphQLException",
    "GraphQLLocation",
    "InvalidResponseException",
    "IoHttpTransport",
    "JsonInput",
    "MemoryCacheStorage",
    "NetworkException",
    "NoCacheStorage",
    "NullFilterOps",
    "NullableEqualityFilter",
    "NullableOrderedFilter",
    "NullableTextFilter",
    "Optional",
    "OrderedFilter",
    "ApiPage",
    "AnnouncedWindow",
    "MaintenanceApi",
    "MaintenanceException",
    "MaintenanceMode",
    "MaintenanceModeWire",
    "MaintenanceSchedule",
    "MaintenanceStatus",
    "MaintenanceStatusWire",
    "MaintenanceWindow",
    "ProblemType",
    "ResourceApi",
    "ResourceChange",
    "ResourceFilter",
    "ResourcefulException",
    "SortKey",
    "TextFilter",
    "Versioned",
    // dart:core and dart:async names used by generated code.
    "BigInt",
    "Comparable",
    "DateTime",
    "Duration",
    "Enum",
    "Error",
    "Exception",
    "Function",
    "Future",
    "FutureOr",
    "Iterable",
    "List",
    "Map",
    "Never",
    "Null",
    "Object",
    "Pattern",
    "Record",
    "RegExp",
    "Set",
    "Stream",
    "String",
    "Symbol",
    "Type",
    "Uri",
];

/// Names that `package:flutter/material.dart` also exports; a generated
/// type with one of these names is kept (renaming would surprise), and the
/// README tells how to import around the clash.
pub const FLUTTER_NAMES: &[&str] = &[
    "Action",
    "Actions",
    "AlertDialog",
    "Align",
    "Alignment",
    "Animation",
    "Autocomplete",
    "Axis",
    "Badge",
    "Banner",
    "Border",
    "Brightness",
    "Card",
    "Center",
    "Checkbox",
    "Chip",
    "Clip",
    "Color",
    "Colors",
    "Column",
    "Container",
    "Curve",
    "Decoration",
    "Dialog",
    "Divider",
    "Drawer",
    "Element",
    "Expanded",
    "Feedback",
    "Flex",
    "Flow",
    "Form",
    "Gradient",
    "Hero",
    "Icon",
    "Image",
    "Ink",
    "Intent",
    "Interval",
    "Key",
    "Listener",
    "Material",
    "Navigator",
    "Notification",
    "Offset",
    "Orientation",
    "Overlay",
    "Padding",
    "Page",
    "Placeholder",
    "Radius",
    "Rect",
    "Route",
    "Row",
    "Scaffold",
    "Scrollbar",
    "Semantics",
    "Shadow",
    "Size",
    "Slider",
    "SnackBar",
    "Spacer",
    "Stack",
    "State",
    "Step",
    "Stepper",
    "Switch",
    "Tab",
    "Table",
    "Text",
    "Theme",
    "Title",
    "Tooltip",
    "Visibility",
    "Widget",
    "Wrap",
];

/// Splits `in_progress`, `in-progress`, `inProgress`, `HTTPServer` into
/// lower-case words.
pub fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn capitalize(w: &str) -> String {
    let mut c = w.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// `estimate_hours` → `estimateHours`.
pub fn camel(s: &str) -> String {
    let w = words(s);
    let mut out = String::new();
    for (i, word) in w.iter().enumerate() {
        if i == 0 {
            out.push_str(word);
        } else {
            out.push_str(&capitalize(word));
        }
    }
    out
}

/// `task_status` → `TaskStatus`.
pub fn pascal(s: &str) -> String {
    words(s).iter().map(|w| capitalize(w)).collect()
}

/// `TaskStatus` → `taskStatus` (for top-level private names).
pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn fix_start(mut s: String, fallback: &str) -> String {
    if s.is_empty() {
        return fallback.to_string();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, fallback);
    }
    s
}

/// A member name (field, parameter, getter) for a wire name.
pub fn member(wire: &str) -> String {
    let s = fix_start(camel(wire), "field");
    if DART_RESERVED.contains(&s.as_str()) || MEMBER_RESERVED.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// The `ApiClient` member for a resource path.
pub fn client_member(path: &str) -> String {
    let s = member(path);
    if CLIENT_RESERVED.contains(&s.as_str()) {
        format!("{s}_")
    } else {
        s
    }
}

/// An enum value name for a wire value.
pub fn enum_value(wire: &str) -> String {
    let s = fix_start(camel(wire), "value");
    if DART_RESERVED.contains(&s.as_str())
        || ENUM_RESERVED.contains(&s.as_str())
        || MEMBER_RESERVED.contains(&s.as_str())
    {
        format!("{s}_")
    } else {
        s
    }
}

/// A type name (`Task`, `TaskStatus`); `suffix` is appended when the name
/// is taken by the runtime or Dart core.
pub fn type_name(name: &str, suffix: &str) -> String {
    let s = fix_start(pascal(name), "T");
    if TYPE_RESERVED.contains(&s.as_str()) || DART_RESERVED.contains(&s.as_str()) {
        format!("{s}{suffix}")
    } else {
        s
    }
}

/// Makes each name unique by appending 2, 3, … to later duplicates.
pub fn dedupe(names: &mut [String]) {
    let mut seen = std::collections::BTreeSet::new();
    for n in names.iter_mut() {
        if !seen.insert(n.clone()) {
            let mut i = 2;
            while seen.contains(&format!("{n}{i}")) {
                i += 1;
            }
            *n = format!("{n}{i}");
            seen.insert(n.clone());
        }
    }
}

/// A Dart single-quoted string literal.
pub fn string_lit(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A doc comment (`/// …` lines) with the given indentation, prose wrapped
/// at 80 columns (code blocks kept); empty docs give nothing.
pub fn doc(text: &str, indent: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let width = 80usize.saturating_sub(indent.len() + 4).max(20);
    let mut out = String::new();
    let mut in_code = false;
    for l in text.lines() {
        let l = l.trim_end();
        let l = l.strip_prefix(' ').unwrap_or(l);
        if l.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if l.is_empty() {
            out.push_str(&format!("{indent}///\n"));
        } else if in_code || l.starts_with(' ') || l.starts_with('|') || l.chars().count() <= width
        {
            out.push_str(&format!("{indent}/// {l}\n"));
        } else {
            let mut line = String::new();
            for word in l.split(' ') {
                if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
                    out.push_str(&format!("{indent}/// {line}\n"));
                    line.clear();
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
            }
            if !line.is_empty() {
                out.push_str(&format!("{indent}/// {line}\n"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(camel("estimate_hours"), "estimateHours");
        assert_eq!(camel("in-progress"), "inProgress");
        assert_eq!(camel("HTTPServer"), "httpServer");
        assert_eq!(pascal("task_status"), "TaskStatus");
        assert_eq!(pascal("TaskStatus"), "TaskStatus");
        assert_eq!(pascal("task-lists"), "TaskLists");
        assert_eq!(camel("v2_name"), "v2Name");
        assert_eq!(lower_first("TaskStatus"), "taskStatus");
    }

    #[test]
    fn escapes_reserved_and_taken_names() {
        assert_eq!(member("class"), "class_");
        assert_eq!(member("in"), "in_");
        assert_eq!(member("int"), "int_");
        assert_eq!(member("hash_code"), "hashCode_");
        assert_eq!(member("to_json"), "toJson_");
        assert_eq!(member("2fa"), "field2fa");
        assert_eq!(member("__x"), "x");
        assert_eq!(member("title"), "title");
        assert_eq!(client_member("maintenance"), "maintenance_");
        assert_eq!(client_member("cache"), "cache_");
        assert_eq!(member("maintenance"), "maintenance");
        assert_eq!(
            type_name("MaintenanceWindow", "Model"),
            "MaintenanceWindowModel"
        );
        assert_eq!(enum_value("values"), "values_");
        assert_eq!(enum_value("default"), "default_");
        assert_eq!(enum_value("1st"), "value1st");
        assert_eq!(type_name("ApiPage", "Model"), "ApiPageModel");
        assert_eq!(type_name("Task", "Model"), "Task");
    }

    #[test]
    fn dedupes() {
        let mut v = vec!["a".to_string(), "b".into(), "a".into(), "a".into()];
        dedupe(&mut v);
        assert_eq!(v, ["a", "b", "a2", "a3"]);
    }

    #[test]
    fn literals() {
        assert_eq!(string_lit("it's $5\n"), r"'it\'s \$5\n'");
        assert_eq!(
            doc("A task.\n\nMore.", "  "),
            "  /// A task.\n  ///\n  /// More.\n"
        );
        assert_eq!(doc("  ", ""), "");
        let long = "word ".repeat(30);
        let wrapped = doc(&long, "  ");
        assert!(wrapped.lines().all(|l| l.len() <= 80), "{wrapped}");
        assert_eq!(wrapped.matches("word").count(), 30);
    }
}
