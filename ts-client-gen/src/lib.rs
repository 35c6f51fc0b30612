//! Resource model → a TypeScript (React Native) client package.
//!
//! The package has a fetch-only core (models, input/filter/sort types, one
//! API object per resource, problem+json errors, an ETag cache,
//! `client.graphql` with automatic persisted queries) and a
//! separate `react` entry point with TanStack Query hooks. The static parts
//! live in `templates/` as plain TypeScript; the modules here write the
//! resource-specific parts.

use resourceful_spec::access_text as access;
mod client;
mod hooks;
mod models;
mod names;
mod package;
mod readme;
mod templates;
mod types;

use resourceful_spec::parse::Declarations;
use resourceful_spec::{EnumModel, ResourceModel};

/// One generated file: a path relative to the package root, and its text.
pub type File = (String, String);

/// Options for the generated package.
#[derive(Debug, Clone)]
pub struct Options {
    /// npm package name.
    pub package: String,
    pub version: String,
}

/// Generates the whole package. Output is deterministic: resources and
/// enums are sorted by name, files by path, and nothing depends on time or
/// the machine.
///
/// Panics (a build-script error) when a name would clash with the
/// package's own exports.
pub fn generate(decl: &Declarations, opts: &Options) -> Vec<File> {
    let api = Api::new(decl, opts);
    if let Err(e) = api.check_names() {
        panic!("TypeScript client: {e}");
    }
    let mut files: Vec<File> = Vec::new();
    files.extend(package::files(&api));
    files.push(("README.md".into(), readme::render(&api)));
    files.push(("src/models.ts".into(), models::render(&api)));
    files.push(("src/client.ts".into(), client::render(&api)));
    files.push(("src/react.ts".into(), hooks::render(&api)));
    files.extend(templates::files());
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files
}

/// The declarations in generation order, with their TypeScript names.
pub(crate) struct Api<'a> {
    pub opts: &'a Options,
    pub resources: Vec<Res>,
    pub enums: Vec<EnumModel>,
    /// Every resource model (for relation look-ups).
    pub models: Vec<ResourceModel>,
}

/// One resource and the names of everything generated for it.
pub(crate) struct Res {
    pub model: ResourceModel,
    /// `Task`
    pub ty: String,
    /// `task`
    pub camel: String,
    /// `tasks`: the property on the client.
    pub prop: String,
}

impl Res {
    fn new(model: ResourceModel) -> Self {
        Res {
            ty: names::pascal(model.name),
            camel: names::camel(model.name),
            prop: names::camel(model.path),
            model,
        }
    }
    pub fn n(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.ty)
    }
    /// `useTask`, `useTaskList`, ...
    pub fn hook(&self, prefix: &str, suffix: &str) -> String {
        format!("use{prefix}{}{suffix}", self.ty)
    }
    pub fn keys(&self) -> String {
        format!("{}Keys", self.camel)
    }
    pub fn descriptor(&self) -> String {
        format!("{}Resource", self.camel)
    }
}

/// Exported by the package's static modules: generated names must differ.
const RESERVED: &[&str] = &[
    "ApiClient",
    "ApiClientProvider",
    "ApiError",
    "AbortSignalLike",
    "AnnouncedWindow",
    "AuthChallenge",
    "CacheFreshness",
    "CachePolicy",
    "CacheStorage",
    "CachedResponse",
    "ClientConfig",
    "ClientError",
    "DateTimeValue",
    "DeprecationListener",
    "DeprecationNotice",
    "DeprecationWatch",
    "EtagCache",
    "EtagCacheOptions",
    "FetchInit",
    "FetchLike",
    "FetchResponse",
    "FieldError",
    "FilterOp",
    "FilterOps",
    "ForbiddenError",
    "GraphQLApi",
    "GraphQLErrorEntry",
    "GraphQLErrorExtensions",
    "GraphQLLocation",
    "GraphQLOptions",
    "GraphQLResponseError",
    "GraphQLVariables",
    "HeaderMap",
    "HttpClient",
    "HttpRequest",
    "HttpResult",
    "ListAllOptions",
    "ListParams",
    "ListParamsOf",
    "MaintenanceApi",
    "MaintenanceError",
    "MaintenanceListener",
    "MaintenanceMode",
    "MaintenanceSchedule",
    "MaintenanceStatus",
    "MaintenanceWatch",
    "MaintenanceWindow",
    "MemoryStorage",
    "NetworkError",
    "NetworkErrorReason",
    "Ops",
    "Page",
    "ProblemSlug",
    "RequestOptions",
    "ResourceApi",
    "ResourceDescriptor",
    "ResourceTypes",
    "ResponseInfo",
    "TokenProvider",
    "UnauthorizedError",
    "Versioned",
    "WithClient",
    "WriteOptions",
];

/// Suffixes of the per-resource type names.
const TYPE_SUFFIXES: &[&str] = &[
    "",
    "Id",
    "Create",
    "Replace",
    "Patch",
    "Filter",
    "SortField",
    "Sort",
    "ListParams",
    "Types",
    "Api",
];

impl<'a> Api<'a> {
    fn new(decl: &Declarations, opts: &'a Options) -> Self {
        let mut models = decl.resources.clone();
        models.sort_by(|a, b| a.name.cmp(b.name).then(a.path.cmp(b.path)));
        let mut enums = decl.enums.clone();
        enums.sort_by(|a, b| a.name.cmp(b.name));
        enums.dedup_by(|a, b| a.name == b.name);
        Api {
            opts,
            resources: models.iter().copied().map(Res::new).collect(),
            enums,
            models,
        }
    }

    /// Generated type names are unique and do not shadow the runtime's.
    fn check_names(&self) -> Result<(), String> {
        let mut seen: std::collections::BTreeMap<String, String> =
            std::collections::BTreeMap::new();
        let mut claim = |name: String, owner: String| -> Result<(), String> {
            if RESERVED.contains(&name.as_str()) {
                return Err(format!("`{name}` (from {owner}) is a name the package itself exports; rename the Rust type"));
            }
            if let Some(other) = seen.insert(name.clone(), owner.clone()) {
                return Err(format!(
                    "`{name}` is generated for both {other} and {owner}; rename one of them"
                ));
            }
            Ok(())
        };
        for e in &self.enums {
            claim(e.name.to_string(), format!("enum {}", e.name))?;
            claim(
                format!("{}_VALUES", names::screaming(e.name)),
                format!("enum {}", e.name),
            )?;
        }
        for r in &self.resources {
            for s in TYPE_SUFFIXES {
                claim(r.n(s), format!("resource {}", r.model.name))?;
            }
        }
        let mut props = std::collections::BTreeSet::new();
        for r in &self.resources {
            if [
                "http",
                "cache",
                "maintenance",
                "graphql",
                "graphqlApi",
                "constructor",
            ]
            .contains(&r.prop.as_str())
                || !props.insert(r.prop.clone())
            {
                return Err(format!(
                    "resource path `{}` gives the client property `{}`, which is taken",
                    r.model.path, r.prop
                ));
            }
        }
        Ok(())
    }

    pub fn model_by_path(&self, path: &str) -> Option<&Res> {
        self.resources.iter().find(|r| r.model.path == path)
    }
}

#[cfg(test)]
mod tests;
