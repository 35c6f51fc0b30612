//! JSON Schemas (the 2020-12 dialect OpenAPI 3.1 uses) derived from the
//! model: one set per resource, one per enum, and the shared problem,
//! health and GraphQL envelopes.

use crate::model::{
    AutoValue, EnumModel, FieldModel, FieldType, IdStrategy, OnDelete, ResourceModel,
};
use crate::registry::Registry;
use crate::service::ResourceService;
use std::collections::BTreeSet;
use std::sync::Arc;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Ref, RefBuilder,
    Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::RefOr;

/// Component names not derived from a resource.
pub const PROBLEM: &str = "Problem";
pub const FIELD_PROBLEM: &str = "FieldProblem";
pub const HEALTH: &str = "Health";
pub const GRAPHQL_REQUEST: &str = "GraphQLRequest";
pub const GRAPHQL_RESPONSE: &str = "GraphQLResponse";
const FIXED: [&str; 5] = [
    PROBLEM,
    FIELD_PROBLEM,
    HEALTH,
    GRAPHQL_REQUEST,
    GRAPHQL_RESPONSE,
];

/// The component names of one resource's schemas.
pub struct Names {
    /// The representation returned by every read and write.
    pub object: String,
    pub create: String,
    pub replace: String,
    pub patch: String,
    pub page: String,
}

impl Names {
    pub fn of(m: &ResourceModel) -> Names {
        Names {
            object: m.name.to_string(),
            create: format!("{}Create", m.name),
            replace: format!("{}Replace", m.name),
            patch: format!("{}Patch", m.name),
            page: format!("{}Page", m.name),
        }
    }
    fn all(&self) -> [&str; 5] {
        [
            &self.object,
            &self.create,
            &self.replace,
            &self.patch,
            &self.page,
        ]
    }
}

pub fn reference(name: &str) -> RefOr<Schema> {
    Ref::from_schema_name(name).into()
}

/// Everything schema building needs: the registry (relation targets) and
/// the component name chosen for each enum.
pub struct Catalog<'a> {
    pub registry: &'a Registry,
    /// The resources the document describes (one version of each).
    pub services: Vec<&'a Arc<ResourceService>>,
    enums: Vec<(&'static EnumModel, String)>,
}

impl<'a> Catalog<'a> {
    pub fn new(registry: &'a Registry, services: Vec<&'a Arc<ResourceService>>) -> Self {
        let mut taken: BTreeSet<String> = FIXED.iter().map(|s| s.to_string()).collect();
        for svc in &services {
            taken.extend(Names::of(svc.model).all().iter().map(|s| s.to_string()));
        }
        let mut enums: Vec<(&'static EnumModel, String)> = Vec::new();
        for svc in &services {
            for (_, f) in svc.model.exposed() {
                let FieldType::Enum(e) = f.ty else { continue };
                // The same enum used by several fields (or resources) is one
                // component; compared by value because consts are copied.
                if enums.iter().any(|(k, _)| *k == e) {
                    continue;
                }
                // Enum names only clash with a resource's schema names or with
                // a different enum of the same name; suffixing keeps both.
                let mut name = e.name.to_string();
                let mut n = 1;
                while taken.contains(&name) {
                    name = if n == 1 {
                        format!("{}Enum", e.name)
                    } else {
                        format!("{}Enum{n}", e.name)
                    };
                    n += 1;
                }
                taken.insert(name.clone());
                enums.push((e, name));
            }
        }
        Catalog {
            registry,
            services,
            enums,
        }
    }

    fn enum_name(&self, e: &EnumModel) -> &str {
        self.enums
            .iter()
            .find(|(k, _)| *k == e)
            .map(|(_, n)| n.as_str())
            .expect("enums are collected from every exposed field")
    }

    /// Every component schema, in a stable order.
    pub fn components(&self) -> Vec<(String, RefOr<Schema>)> {
        let mut out = Vec::new();
        for svc in &self.services {
            out.extend(self.resource(svc.model));
        }
        for (e, name) in &self.enums {
            let schema = ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(e.variants.iter().copied()))
                .description(non_empty(e.doc));
            out.push((name.clone(), schema.into()));
        }
        out.extend(problem_schemas());
        out.extend(health_schema());
        out.extend(graphql_schemas());
        out
    }

    /// A bare value of `ty` (query and path parameters): type and format
    /// only, since filters may name values a write would refuse.
    pub fn value(&self, ty: &FieldType) -> RefOr<Schema> {
        match ty {
            FieldType::Enum(e) => reference(self.enum_name(e)),
            t => typed(t, false).into(),
        }
    }

    /// `Task`, `TaskCreate`, `TaskReplace`, `TaskPatch` and `TaskPage`.
    fn resource(&self, m: &'static ResourceModel) -> Vec<(String, RefOr<Schema>)> {
        let names = Names::of(m);
        let doc = non_empty(m.doc);

        // Every exposed field is present in responses (null when unset),
        // except one with a read rule: callers outside it get no such key.
        let mut object = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(doc.clone());
        for (_, f) in m.exposed() {
            object = object.property(f.api_name, self.field(m, f, true));
            if f.access.read.is_none() {
                object = object.required(f.api_name);
            }
        }

        // Unknown and server-set fields are refused with 422, hence
        // `additionalProperties: false` on every request body.
        let mut create = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(format!(
                "The body of a create request for {}.",
                m.path
            )))
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
        for (_, f) in m.writable() {
            create = create.property(f.api_name, self.field(m, f, false));
            if f.is_required_on_create() {
                create = create.required(f.api_name);
            }
        }

        let updatable = || m.exposed().filter(|(_, f)| f.is_client_updatable());
        // Updates accept the id when it is echoed back unchanged, so a body
        // built from a GET still validates.
        let id = m.id_field();
        let echoed_id = || -> RefOr<Schema> {
            let text =
                "The record's id, accepted only unchanged (a different value is refused with 422).";
            match id.ty {
                FieldType::Enum(_) => self.value(&id.ty),
                // Read-only: generated requests leave it out; a client
                // echoing it unchanged is still accepted.
                ty => typed(&ty, false)
                    .description(Some(text))
                    .read_only(Some(true))
                    .into(),
            }
        };
        let mut replace = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A full replacement (PUT): optional fields left out become null; server-set fields are refused.",
            ))
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .property(id.api_name, echoed_id());
        for (_, f) in updatable() {
            replace = replace.property(f.api_name, self.field(m, f, false));
            if !f.optional && f.default.is_none() {
                replace = replace.required(f.api_name);
            }
        }

        let mut patch = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A JSON merge patch (RFC 7396): only the fields present change; null clears an optional field.",
            ))
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .property(id.api_name, echoed_id());
        for (_, f) in updatable() {
            patch = patch.property(f.api_name, self.field(m, f, false));
        }

        let page = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(format!("One page of {}.", m.path)))
            .property("items", ArrayBuilder::new().items(reference(&names.object)))
            .required("items")
            .property(
                "next_cursor",
                ObjectBuilder::new()
                    .schema_type(nullable(Type::String, true))
                    .description(Some(
                        "Pass as `cursor` to get the next page; null on the last page.",
                    )),
            )
            .required("next_cursor")
            .property(
                "limit",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                    .minimum(Some(1))
                    .maximum(Some(m.max_page_size))
                    .description(Some("The page size that was applied.")),
            )
            .required("limit");

        vec![
            (names.object, object.into()),
            (names.create, create.into()),
            (names.replace, replace.into()),
            (names.patch, patch.into()),
            (names.page, page.into()),
        ]
    }

    /// One property. `output` marks server-set fields `readOnly` (they only
    /// appear in the representation, never in request bodies).
    fn field(&self, m: &ResourceModel, f: &FieldModel, output: bool) -> RefOr<Schema> {
        let description = self.describe(m, f);
        let read_only = output && !f.is_client_writable();
        if let FieldType::Enum(e) = f.ty {
            let target = Ref::from_schema_name(self.enum_name(e));
            if !f.optional && !read_only && (output || f.default.is_none()) {
                // 3.1 allows siblings next to `$ref`, so the field keeps its own text.
                return RefBuilder::new()
                    .ref_location(target.ref_location)
                    .description(description)
                    .into();
            }
            let mut one = OneOfBuilder::new().item(target).description(description);
            if let Some(d) = f.default.filter(|_| !output) {
                one = one.default(Some(default_json(d)));
            }
            if f.optional {
                one = one.item(ObjectBuilder::new().schema_type(Type::Null));
            }
            if read_only {
                // OneOf has no readOnly setter; the keyword is plain JSON Schema.
                one = one.extensions(Some(Extensions::from_iter([("readOnly", true)])));
            }
            return one.into();
        }
        let mut b = typed(&f.ty, f.optional)
            .description(description)
            .read_only(read_only.then_some(true))
            .default(f.default.filter(|_| !output).map(default_json));
        let v = &f.validation;
        if matches!(f.ty, FieldType::String) {
            b = b
                .min_length(v.min_length.map(|n| n as usize))
                .max_length(v.max_length.map(|n| n as usize))
                // The server matches the whole value; JSON Schema patterns
                // are unanchored, so anchor them to say the same thing.
                .pattern(Some(v.pattern.map_or_else(
                    || TEXT_PATTERN.to_string(),
                    |p| format!("^(?:{p})$"),
                )));
        }
        if f.ty.is_numeric() {
            // I16 already carries its type bounds; keep the tighter limit.
            if let Some(min) = v.min {
                b = b.minimum(Some(
                    f.ty.int_bounds().map_or(min, |(lo, _)| min.max(lo as f64)),
                ));
            }
            if let Some(max) = v.max {
                b = b.maximum(Some(
                    f.ty.int_bounds().map_or(max, |(_, hi)| max.min(hi as f64)),
                ));
            }
        }
        b.into()
    }

    /// The field's doc comment plus what the model says about it that a
    /// client needs to know (who sets it, uniqueness, relations).
    fn describe(&self, m: &ResourceModel, f: &FieldModel) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        if let Some(d) = non_empty(f.doc) {
            parts.push(d);
        }
        match f.id {
            Some(IdStrategy::Generated) => {
                parts.push(format!("The {} id, assigned by the server.", m.name))
            }
            Some(IdStrategy::Uuid) => parts.push(format!(
                "The {} id, a random UUID assigned by the server.",
                m.name
            )),
            Some(IdStrategy::Client) => parts.push(format!(
                "The {} id, chosen by the client on create; it cannot change afterwards.",
                m.name
            )),
            None => {}
        }
        match f.auto {
            Some(AutoValue::CreatedAt) => {
                parts.push("Set by the server when the record is created.".into())
            }
            Some(AutoValue::UpdatedAt) => {
                parts.push("Set by the server on create and on every update.".into())
            }
            None if f.read_only && f.id.is_none() => {
                parts.push("Set by the server; read-only.".into())
            }
            None => {}
        }
        if f.unique {
            parts.push("Unique: a value already in use is refused with 409 Conflict.".into());
        }
        if let Some(rel) = f.relation {
            let id = self
                .registry
                .by_path(rel.resource)
                .map_or("id", |t| t.model.id_field().api_name);
            let on_delete = match rel.on_delete {
                OnDelete::Restrict => {
                    "deleting the referenced record is refused (409) while this one refers to it"
                }
                OnDelete::Cascade => "deleting the referenced record deletes this one too",
                OnDelete::SetNull => "deleting the referenced record sets this field to null",
            };
            parts.push(format!("References {}.{id}; {on_delete}.", rel.resource));
        }
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// `"string"` or, in 3.1 style, `["string", "null"]`.
pub fn nullable(t: Type, optional: bool) -> SchemaType {
    if optional {
        SchemaType::from_iter([t, Type::Null])
    } else {
        SchemaType::new(t)
    }
}

/// Type and format of a non-enum scalar.
/// Text without U+0000, which neither database is given (both refuse it).
pub const TEXT_PATTERN: &str = "^[^\\u0000]*$";

fn typed(ty: &FieldType, optional: bool) -> ObjectBuilder {
    let (t, format) = match ty {
        FieldType::I16 | FieldType::I32 => (Type::Integer, Some(KnownFormat::Int32)),
        FieldType::I64 => (Type::Integer, Some(KnownFormat::Int64)),
        FieldType::F32 => (Type::Number, Some(KnownFormat::Float)),
        FieldType::F64 => (Type::Number, Some(KnownFormat::Double)),
        FieldType::Bool => (Type::Boolean, None),
        FieldType::String => (Type::String, None),
        FieldType::DateTime => (Type::String, Some(KnownFormat::DateTime)),
        FieldType::Date => (Type::String, Some(KnownFormat::Date)),
        // `uuid` is a registered format; utoipa only names it behind a feature.
        FieldType::Uuid | FieldType::Enum(_) => (Type::String, None),
    };
    let format = match ty {
        FieldType::Uuid => Some(SchemaFormat::Custom("uuid".into())),
        _ => format.map(SchemaFormat::KnownFormat),
    };
    let b = ObjectBuilder::new()
        .schema_type(nullable(t, optional))
        .format(format);
    match ty {
        // There is no int16 format in the registry; the bounds say it instead.
        FieldType::I16 => b
            .minimum(Some(i16::MIN as isize))
            .maximum(Some(i16::MAX as isize)),
        FieldType::String => b.pattern(Some(TEXT_PATTERN)),
        _ => b,
    }
}

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// RFC 9457 problem details, as `ApiError::body` writes them.
fn problem_schemas() -> Vec<(String, RefOr<Schema>)> {
    let field_problem = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("One problem with one input field or query parameter."))
        .property("field", string("The field's API name (empty for the body as a whole)."))
        .required("field")
        .property(
            "pointer",
            string("A JSON Pointer into the request body (`/title`, `/3/title` in a bulk create), or the query parameter name."),
        )
        .required("pointer")
        .property(
            "code",
            string(
                "Machine-readable reason: `required`, `type`, `null`, `unknown`, `read_only`, `length`, `range`, `pattern`, \
                 `enum`, `operator`, `syntax`, `not_filterable`, `not_sortable`, `duplicate`, `conflict`, `cursor`.",
            ),
        )
        .required("code")
        .property("message", string("A human-readable explanation."))
        .required("message");
    let problem = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "An RFC 9457 problem document. Branch on `type`, a stable URN such as \
             `urn:resourceful:problem:validation`; `title` and `detail` are for people.",
        ))
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::Custom("uri".into())))
                .description(Some("A URN identifying the kind of problem.")),
        )
        .required("type")
        .property("title", string("A short summary of the kind of problem."))
        .required("title")
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
                .minimum(Some(400))
                .maximum(Some(599))
                .description(Some("The HTTP status code.")),
        )
        .required("status")
        .property("detail", string("What went wrong with this request."))
        .required("detail")
        .property(
            "instance",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::Custom("uri-reference".into())))
                .description(Some("The request this problem occurred in, when known.")),
        )
        .property(
            "errors",
            ArrayBuilder::new()
                .items(reference(FIELD_PROBLEM))
                .description(Some(
                    "Every invalid field or query parameter (validation and query problems).",
                )),
        );
    vec![
        (PROBLEM.into(), problem.into()),
        (FIELD_PROBLEM.into(), field_problem.into()),
    ]
}

fn health_schema() -> Vec<(String, RefOr<Schema>)> {
    let component = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("name", string("The dependency, e.g. `database`."))
        .required("name")
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["up", "down"])),
        )
        .required("status")
        .property(
            "required",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some(
                "Whether the service is down without it; an optional dependency only degrades it.",
            )),
        )
        .required("required")
        .property(
            "latency_ms",
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
                .description(Some("How long the check took.")),
        )
        .required("latency_ms")
        .property("error", string("Why the check failed."));
    let health = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "Service health. Readiness also lists the dependencies it checked.",
        ))
        .property(
            "status",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["up", "degraded", "down"]))
                .description(Some(
                    "`degraded`: an optional dependency is down; `down`: a required one is.",
                )),
        )
        .required("status")
        .property("components", ArrayBuilder::new().items(component));
    vec![(HEALTH.into(), health.into())]
}

fn graphql_schemas() -> Vec<(String, RefOr<Schema>)> {
    let request = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("A GraphQL request (GraphQL over HTTP)."))
        .property(
            "query",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .description(Some("The GraphQL document.")),
        )
        .required("query")
        .property(
            "operationName",
            ObjectBuilder::new()
                .schema_type(nullable(Type::String, true))
                .description(Some("Which operation of the document to run.")),
        )
        .property(
            "variables",
            ObjectBuilder::new()
                .schema_type(nullable(Type::Object, true))
                .description(Some("Values for the operation's variables.")),
        );
    let extensions = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "For refused requests: `code`, the HTTP `status` and the problem `type` URN.",
        ))
        .property("code", ObjectBuilder::new().schema_type(Type::String))
        .property("status", ObjectBuilder::new().schema_type(Type::Integer))
        .property("type", ObjectBuilder::new().schema_type(Type::String));
    let error = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("message", string("What went wrong."))
        .required("message")
        .property(
            "path",
            ArrayBuilder::new().items(ObjectBuilder::new().schema_type(SchemaType::any())),
        )
        .property("extensions", extensions);
    let response = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("A GraphQL response: `data`, `errors` or both."))
        .property(
            "data",
            ObjectBuilder::new().schema_type(nullable(Type::Object, true)),
        )
        .property("errors", ArrayBuilder::new().items(error));
    vec![
        (GRAPHQL_REQUEST.into(), request.into()),
        (GRAPHQL_RESPONSE.into(), response.into()),
    ]
}

/// A declared default as the JSON a client would send.
fn default_json(d: crate::model::DefaultValue) -> serde_json::Value {
    crate::value::Value::from_default(d).to_json()
}
