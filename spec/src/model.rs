//! The resource model (the IR): what one `#[api_resource]` declaration means.
//!
//! Everything here is `'static` and const-constructible so the macro can emit
//! a model as a `const`, and the parser (used by build scripts) can produce
//! the very same types by leaking its owned strings once at build time.

/// A declared API resource.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResourceModel {
    /// The Rust type name, e.g. `Task`.
    pub name: &'static str,
    /// The URL segment, e.g. `tasks` (routes are `/v{version}/{path}`).
    pub path: &'static str,
    /// The SQL table name.
    pub table: &'static str,
    /// The API version carried in the route, `1` → `/v1/…`.
    pub version: u32,
    /// The newest version of this resource. Equal to `version` on the
    /// declared model; a view of an older version ([`ResourceModel::at_version`])
    /// keeps it, to name its successor.
    pub newest: u32,
    /// Older versions still served beside the newest, oldest first
    /// (`previous(v1(deprecated = "..", sunset = ".."))`).
    pub previous: &'static [VersionModel],
    /// Read-through cache TTL in seconds; `None` means the runtime default.
    pub cache_ttl_secs: Option<u64>,
    /// How long clients may reuse a response without asking again
    /// (`Cache-Control: max-age`); `None`: they revalidate every time.
    pub client_cache_secs: Option<u64>,
    /// Items per page when the client does not ask for a limit.
    pub page_size: u32,
    /// The largest page a client may ask for.
    pub max_page_size: u32,
    /// Per-client rate limits; unset parts use the runtime's defaults.
    pub rate_limit: RateLimitModel,
    /// Who may read, create, update and delete (`access(..)`).
    pub access: crate::AccessModel,
    /// Doc comment of the struct (becomes OpenAPI / GraphQL descriptions).
    pub doc: &'static str,
    /// All fields in declaration order, including hidden and skipped ones.
    pub fields: &'static [FieldModel],
}

/// An older API version of a resource, and when it retires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionModel {
    pub version: u32,
    /// When it was (or will be) deprecated, in Unix seconds (the
    /// `Deprecation` header, RFC 9745).
    pub deprecated_at: Option<i64>,
    /// When it stops being served, in Unix seconds (the `Sunset` header,
    /// RFC 8594).
    pub sunset_at: Option<i64>,
}

/// A field's declared default (`default = ..`): what a create without the
/// field stores, and the column's default for rows already there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A string, or an enum variant's wire name.
    Text(&'static str),
}

/// `rate_limit(read = "1000/min", write = "60/min", on_redis_failure = "closed")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimitModel {
    /// GET and HEAD.
    pub read: Option<RateModel>,
    /// POST, PUT, PATCH and DELETE.
    pub write: Option<RateModel>,
    /// `Some(true)`: refuse with 503 when Redis is down; `Some(false)`: fall
    /// back to the in-process limiter; `None`: the runtime's default.
    pub fail_closed: Option<bool>,
}

impl RateLimitModel {
    pub const NONE: RateLimitModel = RateLimitModel {
        read: None,
        write: None,
        fail_closed: None,
    };
}

/// `count` requests per `per_secs` seconds (also the burst size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateModel {
    pub count: u32,
    pub per_secs: u32,
}

impl RateModel {
    /// Parses `N/unit` with unit `s`, `sec`, `m`, `min`, `h`, `hour`, `d`,
    /// `day`, optionally with a multiplier (`50/10s`).
    pub fn parse(s: &str) -> Result<RateModel, String> {
        let err =
            || format!("invalid rate {s:?}; write e.g. \"100/s\", \"6000/min\" or \"50/10s\"");
        let (n, unit) = s.trim().split_once('/').ok_or_else(err)?;
        let count: u32 = n.trim().parse().map_err(|_| err())?;
        let unit = unit.trim();
        let digits = unit.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
        let mult: u32 = if digits == 0 {
            1
        } else {
            unit[..digits].parse().map_err(|_| err())?
        };
        let secs: u32 = match &unit[digits..] {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hour" => 3600,
            "d" | "day" => 86400,
            _ => return Err(err()),
        };
        if count == 0 || mult == 0 {
            return Err(format!(
                "{s:?}: a rate must allow at least one request per window"
            ));
        }
        let per_secs = secs.checked_mul(mult).ok_or_else(err)?;
        Ok(RateModel { count, per_secs })
    }
}

/// One struct field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldModel {
    /// The Rust field name.
    pub rust_name: &'static str,
    /// The name on the wire (JSON, GraphQL, query strings).
    pub api_name: &'static str,
    /// The SQL column name.
    pub column: &'static str,
    pub ty: FieldType,
    /// `Option<T>` in Rust: nullable column, optional on create.
    pub optional: bool,
    pub id: Option<IdStrategy>,
    /// Set by the server (never accepted from clients).
    pub read_only: bool,
    /// Stored but never exposed through the API.
    pub hidden: bool,
    /// Not stored and not exposed: the Rust field takes `Default::default()`.
    pub skip: bool,
    pub filterable: bool,
    pub sortable: bool,
    pub unique: bool,
    /// Server-managed timestamp.
    pub auto: Option<AutoValue>,
    pub validation: Validation,
    pub relation: Option<Relation>,
    /// Bound to the caller's subject: set from the credential on create,
    /// never by a client (`owner`).
    pub owner: bool,
    /// The column this field was stored in before (`renamed_from = ".."`):
    /// a migration renames it rather than dropping one and adding another.
    pub renamed_from: Option<&'static str>,
    /// Who may read or write this field (`access(read = .., write = ..)`).
    pub access: crate::FieldAccess,
    /// Stored when a create leaves the field out (`default = ..`).
    pub default: Option<DefaultValue>,
    /// The first API version with this field (`added_in = 2`).
    pub added_in: Option<u32>,
    /// The first API version without it (`removed_in = 2`).
    pub removed_in: Option<u32>,
    /// Its wire name in older versions (`name_in(v1 = "title")`), where it
    /// differs from `api_name`.
    pub old_names: &'static [(u32, &'static str)],
    pub doc: &'static str,
}

/// How the primary key is produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStrategy {
    /// The database assigns it (integer identity).
    Generated,
    /// The server generates a random UUID v4.
    Uuid,
    /// The client supplies it on create.
    Client,
}

/// Server-set values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoValue {
    /// Set once, on create.
    CreatedAt,
    /// Set on create and on every update.
    UpdatedAt,
}

/// The scalar kinds a field can have.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    I16,
    I32,
    I64,
    F32,
    F64,
    Bool,
    String,
    Uuid,
    /// `chrono::DateTime<Utc>`
    DateTime,
    /// `chrono::NaiveDate`
    Date,
    /// A unit-only enum stored and sent as a string.
    Enum(&'static EnumModel),
}

impl FieldType {
    pub fn is_integer(&self) -> bool {
        matches!(self, FieldType::I16 | FieldType::I32 | FieldType::I64)
    }
    pub fn is_float(&self) -> bool {
        matches!(self, FieldType::F32 | FieldType::F64)
    }
    pub fn is_numeric(&self) -> bool {
        self.is_integer() || self.is_float()
    }
    /// Text-like kinds that support `contains`/`starts_with` matching.
    pub fn is_text(&self) -> bool {
        matches!(self, FieldType::String)
    }
    /// Kinds with a meaningful order for `lt`/`gt` comparisons.
    pub fn is_ordered(&self) -> bool {
        !matches!(self, FieldType::Bool)
    }
    /// A short human name used in error messages and docs.
    pub fn describe(&self) -> &'static str {
        match self {
            FieldType::I16 | FieldType::I32 | FieldType::I64 => "integer",
            FieldType::F32 | FieldType::F64 => "number",
            FieldType::Bool => "boolean",
            FieldType::String => "string",
            FieldType::Uuid => "UUID string",
            FieldType::DateTime => "RFC 3339 date-time string",
            FieldType::Date => "date string (YYYY-MM-DD)",
            FieldType::Enum(_) => "one of the enum values",
        }
    }
    /// Inclusive integer bounds of the Rust type.
    pub fn int_bounds(&self) -> Option<(i64, i64)> {
        match self {
            FieldType::I16 => Some((i16::MIN as i64, i16::MAX as i64)),
            FieldType::I32 => Some((i32::MIN as i64, i32::MAX as i64)),
            FieldType::I64 => Some((i64::MIN, i64::MAX)),
            _ => None,
        }
    }
}

/// A string enum.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EnumModel {
    pub name: &'static str,
    /// Wire names of the variants, in declaration order.
    pub variants: &'static [&'static str],
    pub doc: &'static str,
}

/// Declarative validation rules, checked by the runtime on every write.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Validation {
    /// Minimum length in characters (strings).
    pub min_length: Option<u32>,
    /// Maximum length in characters (strings).
    pub max_length: Option<u32>,
    /// Inclusive lower bound (numbers).
    pub min: Option<f64>,
    /// Inclusive upper bound (numbers).
    pub max: Option<f64>,
    /// A regular expression the whole string must match.
    pub pattern: Option<&'static str>,
}

impl Validation {
    pub const NONE: Validation = Validation {
        min_length: None,
        max_length: None,
        min: None,
        max: None,
        pattern: None,
    };
    pub fn is_empty(&self) -> bool {
        *self == Self::NONE
    }
}

/// A foreign key to another resource's id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Relation {
    /// The `path` of the target resource, e.g. `projects`.
    pub resource: &'static str,
    /// The field on this resource that exposes the target object
    /// (GraphQL), e.g. `project` for `project_id`.
    pub name: &'static str,
    /// The field on the target that lists the objects pointing at it,
    /// e.g. `tasks` on a project; `None` to not expose the reverse side.
    pub inverse: Option<&'static str>,
    /// What happens to this row when the target is deleted.
    pub on_delete: OnDelete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// Deleting a referenced row is refused (409).
    Restrict,
    /// Deleting the referenced row deletes this one too.
    Cascade,
    /// Deleting the referenced row sets this field to null (optional fields).
    SetNull,
}

impl OnDelete {
    pub fn sql(&self) -> &'static str {
        match self {
            OnDelete::Restrict => "RESTRICT",
            OnDelete::Cascade => "CASCADE",
            OnDelete::SetNull => "SET NULL",
        }
    }
}

/// Defaults the macro and the runtime agree on.
pub mod defaults {
    /// Items per page (the requirement's 50 items/page).
    pub const PAGE_SIZE: u32 = 50;
    /// The documented maximum page size.
    pub const MAX_PAGE_SIZE: u32 = 500;
    /// The API version when none is declared.
    pub const VERSION: u32 = 1;
}

impl ResourceModel {
    /// The id field (the parser guarantees exactly one).
    pub fn id_field(&self) -> &'static FieldModel {
        self.fields
            .iter()
            .find(|f| f.id.is_some())
            .expect("resource model without an id field")
    }
    pub fn id_index(&self) -> usize {
        self.fields
            .iter()
            .position(|f| f.id.is_some())
            .expect("id field")
    }
    /// Fields that are columns in the table (everything but `skip`).
    pub fn stored(&self) -> impl Iterator<Item = (usize, &'static FieldModel)> {
        self.fields.iter().enumerate().filter(|(_, f)| !f.skip)
    }
    /// Fields visible through the API (stored and not hidden).
    pub fn exposed(&self) -> impl Iterator<Item = (usize, &'static FieldModel)> {
        self.fields
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.skip && !f.hidden)
    }
    /// Fields a client may send on create.
    pub fn writable(&self) -> impl Iterator<Item = (usize, &'static FieldModel)> {
        self.exposed().filter(|(_, f)| f.is_client_writable())
    }
    pub fn field_by_api_name(&self, name: &str) -> Option<(usize, &'static FieldModel)> {
        self.exposed().find(|(_, f)| f.api_name == name)
    }
    /// The field bound to the caller's subject, if any.
    pub fn owner_index(&self) -> Option<usize> {
        self.fields.iter().position(|f| f.owner)
    }
    /// `/v1/tasks`
    pub fn route(&self) -> String {
        format!("/v{}/{}", self.version, self.path)
    }

    /// Every version served, oldest first.
    pub fn served_versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.previous
            .iter()
            .map(|v| v.version)
            .chain(std::iter::once(self.newest))
    }

    /// This version's retirement plan, for an older version.
    pub fn retirement(&self) -> Option<&'static VersionModel> {
        self.previous.iter().find(|v| v.version == self.version)
    }

    /// Whether this is a view of an older version (one with a successor).
    pub fn is_older_version(&self) -> bool {
        self.version < self.newest
    }

    /// Whether fields differ between versions, so a view must be derived.
    fn versions_differ(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.added_in.is_some() || f.removed_in.is_some() || !f.old_names.is_empty())
    }

    /// The resource as version `v` serves it: the same fields in the same
    /// order (so records, hooks and typed access are shared by every
    /// version), with the fields `v` does not have hidden and the names it
    /// uses on the wire. `None` for a version that is not served. The view
    /// is made once per version at start-up and lives as long as the
    /// process (build scripts and the runtime each call this a bounded
    /// number of times).
    pub fn at_version(&'static self, v: u32) -> Option<&'static ResourceModel> {
        if !self.served_versions().any(|s| s == v) {
            return None;
        }
        if v == self.version && !self.versions_differ() {
            return Some(self);
        }
        let fields: Vec<FieldModel> = self.fields.iter().map(|f| f.at_version(v)).collect();
        Some(Box::leak(Box::new(ResourceModel {
            version: v,
            fields: Box::leak(fields.into_boxed_slice()),
            ..*self
        })))
    }
}

impl FieldModel {
    /// Whether API version `v` has this field.
    pub fn in_version(&self, v: u32) -> bool {
        self.added_in.is_none_or(|a| v >= a) && self.removed_in.is_none_or(|r| v < r)
    }

    /// The wire name in version `v`: the newest older-version name declared
    /// at or after `v`, else `api_name`.
    pub fn name_in(&self, v: u32) -> &'static str {
        self.old_names
            .iter()
            .filter(|(n, _)| *n >= v)
            .min_by_key(|(n, _)| *n)
            .map(|(_, name)| *name)
            .unwrap_or(self.api_name)
    }

    /// This field as version `v` serves it (see [`ResourceModel::at_version`]).
    fn at_version(&self, v: u32) -> FieldModel {
        let mut f = *self;
        f.api_name = self.name_in(v);
        if !self.in_version(v) {
            // Stored, never shown or accepted in this version.
            f.hidden = true;
            f.filterable = false;
            f.sortable = false;
        }
        f.added_in = None;
        f.removed_in = None;
        f.old_names = &[];
        f
    }

    /// Whether a client may set this field when creating.
    pub fn is_client_writable(&self) -> bool {
        if self.skip || self.hidden || self.read_only || self.owner || self.auto.is_some() {
            return false;
        }
        match self.id {
            Some(IdStrategy::Client) => true,
            Some(_) => false,
            None => true,
        }
    }
    /// Whether a client may change this field after creation.
    pub fn is_client_updatable(&self) -> bool {
        self.is_client_writable() && self.id.is_none()
    }
    /// Required on create: writable, not optional, no declared default.
    pub fn is_required_on_create(&self) -> bool {
        self.is_client_writable() && !self.optional && self.default.is_none()
    }
}
