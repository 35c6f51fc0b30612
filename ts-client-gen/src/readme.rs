//! `README.md`: usage, written against the first resource that shows the
//! most (a boolean to toggle, a text field to show). Every ```ts / ```tsx
//! block is a complete module; the first line names its file.

use crate::models::{filter_fields, sort_fields};
use crate::names::{prop, screaming, string};
use crate::types::{may_be_absent, ops_for, ts_type};
use crate::{Api, Res};
use resourceful_spec::{AutoValue, FieldModel, FieldType};
use std::fmt::Write;

const GUIDE: &str = include_str!("../templates/README.guide.md");

/// The resource the examples use, and the fields they touch.
struct Example<'a> {
    r: &'a Res,
    /// A text field every caller gets (falls back to the id).
    label: &'static FieldModel,
    /// A non-optional, updatable boolean every caller gets, for the
    /// optimistic toggle.
    toggle: Option<&'static FieldModel>,
}

fn pick<'a>(api: &'a Api<'_>) -> Option<Example<'a>> {
    let toggle_of = |r: &Res| {
        r.model.exposed().map(|(_, f)| f).find(|f| {
            matches!(f.ty, FieldType::Bool)
                && !f.optional
                && !may_be_absent(f)
                && f.is_client_updatable()
        })
    };
    let r = api
        .resources
        .iter()
        .find(|r| toggle_of(r).is_some())
        .or(api.resources.first())?;
    let label = r
        .model
        .exposed()
        .map(|(_, f)| f)
        .find(|f| {
            matches!(f.ty, FieldType::String) && !f.optional && !may_be_absent(f) && f.id.is_none()
        })
        .unwrap_or(r.model.id_field());
    Some(Example {
        r,
        label,
        toggle: toggle_of(r),
    })
}

/// A plausible literal for a field in examples.
fn sample(f: &FieldModel) -> String {
    let v = &f.validation;
    match &f.ty {
        FieldType::I16 | FieldType::I32 | FieldType::I64 => {
            format!("{}", v.min.map(|m| m.max(1.0) as i64).unwrap_or(1))
        }
        FieldType::F32 | FieldType::F64 => format!("{}", v.min.map(|m| m.max(1.5)).unwrap_or(1.5)),
        FieldType::Bool => "false".into(),
        FieldType::String => {
            if f.validation.pattern.is_some() {
                string("ABC")
            } else {
                string(&format!("Example {}", f.api_name.replace('_', " ")))
            }
        }
        FieldType::Uuid => string("123e4567-e89b-12d3-a456-426614174000"),
        FieldType::DateTime => string("2030-01-31T12:00:00Z"),
        FieldType::Date => string("2030-01-31"),
        FieldType::Enum(e) => string(e.variants.first().copied().unwrap_or("")),
    }
}

/// `{ title: "Example title", status: "todo", ... }` with the required fields.
fn create_literal(r: &Res) -> String {
    let parts: Vec<String> = r
        .model
        .writable()
        .map(|(_, f)| f)
        .filter(|f| f.is_required_on_create())
        .map(|f| format!("{}: {}", prop(f.api_name), sample(f)))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

/// A filter object showing several operators the resource supports.
fn filter_literal(r: &Res) -> String {
    let mut parts = Vec::new();
    let fields: Vec<&FieldModel> = filter_fields(r).filter(|f| f.id.is_none()).collect();
    if let Some(f) = fields.iter().find(|f| matches!(f.ty, FieldType::String)) {
        parts.push(format!("{}: {{ contains: \"report\" }}", prop(f.api_name)));
    }
    if let Some(f) = fields
        .iter()
        .find(|f| matches!(f.ty, FieldType::Enum(e) if e.variants.len() >= 2))
    {
        if let FieldType::Enum(e) = f.ty {
            parts.push(format!(
                "{}: {{ in: [{}, {}] }}",
                prop(f.api_name),
                string(e.variants[0]),
                string(e.variants[1])
            ));
        }
    }
    if let Some(f) = fields
        .iter()
        .find(|f| f.ty.is_numeric() && ops_for(&f.ty, f.optional).contains(&"gte"))
    {
        parts.push(format!("{}: {{ gte: {} }}", prop(f.api_name), sample(f)));
    }
    if let Some(f) = fields.iter().find(|f| matches!(f.ty, FieldType::Bool)) {
        parts.push(format!("{}: false", prop(f.api_name)));
    }
    if let Some(f) = fields.iter().find(|f| f.optional) {
        parts.push(format!("{}: null", prop(f.api_name)));
    }
    if parts.is_empty() {
        let id = r.model.id_field();
        parts.push(format!("{}: {}", prop(id.api_name), sample(id)));
    }
    format!("{{\n      {},\n    }}", parts.join(",\n      "))
}

fn sort_literal(r: &Res) -> String {
    let keys: Vec<String> = sort_fields(r)
        .filter(|f| f.id.is_none())
        .take(2)
        .enumerate()
        .map(|(i, f)| string(&format!("{}{}", if i == 0 { "-" } else { "" }, f.api_name)))
        .collect();
    if keys.is_empty() {
        format!("[{}]", string(&format!("-{}", r.model.id_field().api_name)))
    } else {
        format!("[{}]", keys.join(", "))
    }
}

/// A patch literal: the toggle, else the label field.
fn patch_literal(ex: &Example) -> String {
    match ex.toggle {
        Some(t) => format!("{{ {}: true }}", prop(t.api_name)),
        None if ex.label.id.is_none() => {
            format!("{{ {}: {} }}", prop(ex.label.api_name), string("Renamed"))
        }
        None => "{}".into(),
    }
}

fn resources_table(api: &Api) -> String {
    let mut out =
        String::from("| resource | client | route | hooks (`/react`) |\n|---|---|---|---|\n");
    for r in &api.resources {
        writeln!(
            out,
            "| `{}` | `client.{}` | `{}` | `{}`, `{}`, `{}`, `{}`, `{}`, `{}`, `{}`; keys `{}` |",
            r.ty,
            r.prop,
            r.model.route(),
            r.hook("", ""),
            r.hook("", "List"),
            r.hook("", "Infinite"),
            r.hook("Create", ""),
            r.hook("Update", ""),
            r.hook("Replace", ""),
            r.hook("Delete", ""),
            r.keys()
        )
        .unwrap();
    }
    out
}

/// A rule's grants in backticks: `` `role:admin` or `scope:x` ``.
fn rule_text(rule: &resourceful_spec::AccessRule) -> String {
    rule.describe()
        .split(" | ")
        .map(|g| format!("`{g}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Who may read, create, update and delete, per resource.
fn access_table(api: &Api) -> String {
    use crate::access::{sentence, Action};
    let mut out =
        String::from("| resource | read | create | update | delete |\n|---|---|---|---|---|\n");
    for r in &api.resources {
        let cells: Vec<String> = Action::ALL.iter().map(|a| sentence(&r.model, *a)).collect();
        writeln!(out, "| `client.{}` | {} |", r.prop, cells.join(" | ")).unwrap();
    }
    out
}

/// `project_id` → `Project`; `comments` ← `Comment.task_id`
fn relations_line(api: &Api, r: &Res) -> String {
    let mut parts = Vec::new();
    for (_, f) in r.model.exposed() {
        if let Some(rel) = &f.relation {
            let target = api
                .model_by_path(rel.resource)
                .map(|t| t.ty.clone())
                .unwrap_or_else(|| rel.resource.to_string());
            parts.push(format!("`{}` → `{target}`", f.api_name));
        }
    }
    for other in &api.resources {
        for (_, f) in other.model.exposed() {
            if let Some(rel) = &f.relation {
                if rel.resource == r.model.path {
                    if let Some(inverse) = rel.inverse {
                        parts.push(format!("`{inverse}` ← `{}.{}`", other.ty, f.api_name));
                    }
                }
            }
        }
    }
    parts.join("; ")
}

fn fields_section(api: &Api) -> String {
    let mut out = String::new();
    for r in &api.resources {
        writeln!(out, "### `{}` (`{}`)\n", r.ty, r.model.route()).unwrap();
        let d = crate::names::clean_doc(r.model.doc);
        if !d.is_empty() {
            writeln!(out, "{d}\n").unwrap();
        }
        out.push_str(
            "| field | type | on create | filter operators | sort |\n|---|---|---|---|---|\n",
        );
        for (_, f) in r.model.exposed() {
            let ty = if f.optional {
                format!("{} \\| null", ts_type(&f.ty))
            } else {
                ts_type(&f.ty)
            };
            let create = if f.is_required_on_create() {
                "required"
            } else if f.is_client_writable() {
                "optional"
            } else {
                "server-set"
            };
            let ops = if f.filterable || f.id.is_some() {
                ops_for(&f.ty, f.optional).join(" ")
            } else {
                String::new()
            };
            let sort = if f.sortable || f.id.is_some() {
                "yes"
            } else {
                ""
            };
            writeln!(
                out,
                "| `{}` | `{ty}` | {create} | {ops} | {sort} |",
                f.api_name
            )
            .unwrap();
        }
        out.push('\n');
        let restricted: Vec<String> = r
            .model
            .exposed()
            .map(|(_, f)| f)
            .filter_map(|f| {
                let rule = f.access.read.as_ref()?;
                Some(format!("`{}` ({})", f.api_name, rule_text(rule)))
            })
            .collect();
        if !restricted.is_empty() {
            writeln!(
                out,
                "Read rules: {}. Other callers' responses lack the key, so `{}` declares {} optional (`?:`).\n",
                restricted.join(", "),
                r.ty,
                if restricted.len() == 1 { "it" } else { "them" }
            )
            .unwrap();
        }
        let relations = relations_line(api, r);
        if !relations.is_empty() {
            writeln!(out, "Relations: {relations}.\n").unwrap();
        }
    }
    for e in &api.enums {
        writeln!(
            out,
            "`{}`: {} (all of them: `{}_VALUES`, guard: `is{}(value)`).\n",
            e.name,
            e.variants
                .iter()
                .map(|v| format!("`\"{v}\"`"))
                .collect::<Vec<_>>()
                .join(", "),
            screaming(e.name),
            e.name
        )
        .unwrap();
    }
    out
}

pub fn render(api: &Api) -> String {
    let pkg = &api.opts.package;
    let mut vars: Vec<(&str, String)> = vec![
        ("PACKAGE", pkg.clone()),
        ("VERSION", api.opts.version.clone()),
        ("RESOURCES_TABLE", resources_table(api)),
        ("FIELDS", fields_section(api)),
        ("ACCESS", access_table(api)),
    ];
    let Some(ex) = pick(api) else {
        return fill(GUIDE_EMPTY, &vars);
    };
    let r = ex.r;
    let label = ex.label.api_name;
    vars.extend([
        ("Type", r.ty.clone()),
        ("prop", r.prop.clone()),
        ("route", r.model.route()),
        ("keys", r.keys()),
        ("useOne", r.hook("", "")),
        ("useList", r.hook("", "List")),
        ("useInfinite", r.hook("", "Infinite")),
        ("useCreate", r.hook("Create", "")),
        ("useUpdate", r.hook("Update", "")),
        ("useReplace", r.hook("Replace", "")),
        ("useDelete", r.hook("Delete", "")),
        ("id_field", r.model.id_field().api_name.to_string()),
        ("id_sample", sample(r.model.id_field())),
        ("label", label.to_string()),
        (
            "label_expr",
            if ex.label.id.is_some() {
                format!("String(item.{})", prop(label))
            } else {
                format!("item.{}", prop(label))
            },
        ),
        ("create_literal", create_literal(r)),
        ("filter_literal", filter_literal(r)),
        ("sort_literal", sort_literal(r)),
        ("patch_literal", patch_literal(&ex)),
        ("screen", screen(&ex, pkg)),
    ]);
    vars.extend(graphql_vars(&ex));
    fill(GUIDE, &vars)
}

/// The GraphQL example: the root fields of the resource (as the server
/// names them: lower camel of the name and of the path) and a selection of
/// its id and label (GraphQL IDs are strings).
fn graphql_vars(ex: &Example) -> Vec<(&'static str, String)> {
    let r = ex.r;
    let (one, many) = resourceful_spec::graphql::query_names(&r.model);
    let id = r.model.id_field().api_name;
    let label = ex.label.api_name;
    let (fields, shape) = if ex.label.id.is_some() {
        (id.to_string(), format!("{}: string", prop(id)))
    } else {
        (
            format!("{id} {label}"),
            format!("{}: string; {}: string", prop(id), prop(label)),
        )
    };
    vec![
        ("gql_one", one),
        ("gql_many", many),
        ("gql_fields", fields),
        ("gql_shape", shape),
        ("gql_label", prop(label)),
        ("GQL_QUERY", format!("{}_BY_ID", screaming(r.model.name))),
    ]
}

/// Replaces `{{NAME}}` placeholders.
fn fill(template: &str, vars: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    debug_assert!(
        placeholder(&out).is_none(),
        "unfilled placeholder {:?}",
        placeholder(&out)
    );
    out
}

/// The first `{{NAME}}` left in `s`, if any.
pub(crate) fn placeholder(s: &str) -> Option<&str> {
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let after = &rest[i + 2..];
        let n = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .count();
        if n > 0 && after[n..].starts_with("}}") {
            return Some(&after[..n]);
        }
        rest = &rest[i + 2..];
    }
    None
}

const GUIDE_EMPTY: &str =
    "# {{PACKAGE}}\n\nGenerated by Resourceful; the API declares no resources yet.\n";

/// The React Native screen: infinite list, pull-to-refresh, optimistic toggle.
fn screen(ex: &Example, pkg: &str) -> String {
    let r = ex.r;
    let (ty, id) = (&r.ty, prop(r.model.id_field().api_name));
    let label = if ex.label.id.is_some() {
        format!("String(item.{})", prop(ex.label.api_name))
    } else {
        format!("item.{}", prop(ex.label.api_name))
    };
    let mut s = String::new();
    let hooks = if ex.toggle.is_some() {
        format!(
            "flattenPages, {}, {}",
            r.hook("", "Infinite"),
            r.hook("Update", "")
        )
    } else {
        format!("flattenPages, {}", r.hook("", "Infinite"))
    };
    writeln!(s, "// {ty}ListScreen.tsx").unwrap();
    writeln!(s, "import {{ useCallback }} from \"react\";").unwrap();
    let rn = if ex.toggle.is_some() {
        "ActivityIndicator, FlatList, Pressable, RefreshControl, Text"
    } else {
        "ActivityIndicator, FlatList, RefreshControl, Text, View"
    };
    writeln!(s, "import {{ {rn} }} from \"react-native\";").unwrap();
    writeln!(s, "import type {{ {ty} }} from \"{pkg}\";").unwrap();
    writeln!(s, "import {{ {hooks} }} from \"{pkg}/react\";\n").unwrap();
    writeln!(s, "export function {ty}ListScreen() {{").unwrap();
    writeln!(s, "  const {{ data, error, fetchNextPage, hasNextPage, isFetchingNextPage, isPending, isRefetching, refetch }} =").unwrap();
    let newest = r
        .model
        .exposed()
        .map(|(_, f)| f)
        .find(|f| f.auto == Some(AutoValue::CreatedAt) && f.sortable);
    let sort = match newest {
        Some(f) => string(&format!("-{}", f.api_name)),
        None => sort_literal(r),
    };
    writeln!(
        s,
        "    {}({{ sort: {sort}, limit: 20 }});",
        r.hook("", "Infinite")
    )
    .unwrap();
    if ex.toggle.is_some() {
        writeln!(
            s,
            "  // Optimistic: the row flips at once and flips back if the server refuses."
        )
        .unwrap();
        writeln!(
            s,
            "  const {{ mutate: update }} = {}();",
            r.hook("Update", "")
        )
        .unwrap();
    }
    writeln!(s, "  const items = flattenPages(data);\n").unwrap();
    writeln!(s, "  const renderItem = useCallback(").unwrap();
    writeln!(s, "    ({{ item }}: {{ item: {ty} }}) => (").unwrap();
    if let Some(t) = ex.toggle {
        let tp = prop(t.api_name);
        writeln!(s, "      <Pressable").unwrap();
        writeln!(s, "        accessibilityRole=\"checkbox\"").unwrap();
        writeln!(s, "        accessibilityState={{{{ checked: item.{tp} }}}}").unwrap();
        writeln!(
            s,
            "        onPress={{() => update({{ id: item.{id}, patch: {{ {tp}: !item.{tp} }} }})}}"
        )
        .unwrap();
        writeln!(
            s,
            "        style={{{{ flexDirection: \"row\", padding: 12 }}}}"
        )
        .unwrap();
        writeln!(s, "      >").unwrap();
        writeln!(s, "        <Text>{{item.{tp} ? \"☑\" : \"☐\"}}</Text>").unwrap();
        writeln!(
            s,
            "        <Text style={{{{ marginLeft: 8 }}}}>{{{label}}}</Text>"
        )
        .unwrap();
        writeln!(s, "      </Pressable>").unwrap();
        writeln!(s, "    ),").unwrap();
        writeln!(s, "    [update],").unwrap();
    } else {
        writeln!(s, "      <View style={{{{ padding: 12 }}}}>").unwrap();
        writeln!(s, "        <Text>{{{label}}}</Text>").unwrap();
        writeln!(s, "      </View>").unwrap();
        writeln!(s, "    ),").unwrap();
        writeln!(s, "    [],").unwrap();
    }
    writeln!(s, "  );\n").unwrap();
    writeln!(s, "  if (isPending) return <ActivityIndicator />;").unwrap();
    writeln!(s, "  if (error) return <Text>{{error.message}}</Text>;").unwrap();
    writeln!(s, "  return (").unwrap();
    writeln!(s, "    <FlatList").unwrap();
    writeln!(s, "      data={{items}}").unwrap();
    writeln!(s, "      keyExtractor={{(item) => String(item.{id})}}").unwrap();
    writeln!(s, "      renderItem={{renderItem}}").unwrap();
    writeln!(s, "      onEndReached={{() => {{").unwrap();
    writeln!(
        s,
        "        if (hasNextPage && !isFetchingNextPage) void fetchNextPage();"
    )
    .unwrap();
    writeln!(s, "      }}}}").unwrap();
    writeln!(s, "      onEndReachedThreshold={{0.5}}").unwrap();
    writeln!(s, "      refreshControl={{").unwrap();
    writeln!(s, "        <RefreshControl refreshing={{isRefetching && !isFetchingNextPage}} onRefresh={{() => void refetch()}} />").unwrap();
    writeln!(s, "      }}").unwrap();
    writeln!(
        s,
        "      ListFooterComponent={{isFetchingNextPage ? <ActivityIndicator /> : null}}"
    )
    .unwrap();
    writeln!(s, "    />").unwrap();
    writeln!(s, "  );").unwrap();
    write!(s, "}}").unwrap();
    s
}
