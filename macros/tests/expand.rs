//! What `#[api_resource]` and `#[api_enum]` generate: the model constant,
//! row mapping, the `ApiEnum` impl and serde of enums, and the companion
//! `Create`/`Patch`/`Filter` types.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use resourceful::model::{
    AutoValue, FieldModel, FieldType, IdStrategy, OnDelete, RateLimitModel, RateModel,
    ResourceModel,
};
use resourceful::prelude::*;
use resourceful::{FieldValue, Value};
use serde_json::json;
use uuid::Uuid;

/// Workflow state of a task.
#[api_enum]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Todo,
    InProgress,
    #[api(rename = "finished")]
    Done,
}

#[api_enum(rename_all = "kebab-case")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    VeryLow,
    High,
    #[api(rename = "MAX")]
    Maximum,
}

#[api_enum(rename_all = "SCREAMING_SNAKE_CASE")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shouting {
    OneTwo,
}

#[api_enum(rename_all = "camelCase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Camel {
    OneTwo,
}

/// A unit of work.
///
/// Tasks belong to projects.
#[api_resource(
    path = "work-items",
    table = "work_item_rows",
    version = 2,
    cache_ttl = "10m",
    page_size = 20,
    max_page_size = 100,
    rate_limit(read = "1000/min", write = "50/10s", on_redis_failure = "closed")
)]
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The key.
    #[api(id)]
    pub id: i64,
    /// What to do.
    #[api(filter, sort, length(min = 1, max = 200))]
    pub title: String,
    #[api(rename = "isDone", column = "done_flag", filter)]
    pub done: bool,
    #[api(range(min = 1, max = 5), sort)]
    pub priority: Option<i32>,
    #[api(range(min = -1.5, max = 2.5))]
    pub weight: f64,
    pub votes: i16,
    #[api(filter)]
    pub status: Status,
    pub level: Option<Level>,
    #[api(relation = "projects", filter)]
    pub project_id: i64,
    #[api(relation(
        resource = "people",
        name = "assignee",
        inverse = "assigned_tasks",
        on_delete = "set_null"
    ))]
    pub owner: Option<Uuid>,
    #[api(relation(resource = "teams", inverse = "", on_delete = "cascade"))]
    pub team_id: Option<i64>,
    #[api(pattern = "^[A-Z]{2,5}-[0-9]+$", unique)]
    pub code: Option<String>,
    pub due: Option<NaiveDate>,
    pub r#type: String,
    #[api(hidden)]
    pub secret: Option<String>,
    #[api(read_only)]
    pub score: Option<f32>,
    #[api(created_at, sort)]
    pub created_at: DateTime<Utc>,
    #[api(updated_at)]
    pub updated_at: DateTime<Utc>,
    #[api(skip)]
    pub scratch: Vec<String>,
}

/// Everything defaulted.
#[api_resource]
#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    #[api(id)]
    pub id: Uuid,
    pub name: String,
}

#[api_resource(path = "countries", rate_limit = "100/s")]
#[derive(Debug, Clone, PartialEq)]
pub struct Country {
    /// ISO code, chosen by the client.
    #[api(id)]
    pub code: String,
}

#[api_resource(path = "seats")]
#[derive(Debug, Clone, PartialEq)]
pub struct Seat {
    #[api(id = "client")]
    pub number: i32,
}

#[api_resource(path = "tickets")]
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    #[api(id = "generated")]
    pub id: i32,
    /// Skipped fields may have any type.
    #[api(skip)]
    pub cache: Option<std::collections::HashMap<String, i64>>,
}

#[api_resource(path = "badges")]
#[derive(Debug, Clone, PartialEq)]
pub struct Badge {
    #[api(id = "uuid")]
    pub id: Uuid,
}

fn field(m: &'static ResourceModel, rust_name: &str) -> &'static FieldModel {
    m.fields
        .iter()
        .find(|f| f.rust_name == rust_name)
        .unwrap_or_else(|| panic!("no field {rust_name}"))
}

#[test]
fn resource_options() {
    let m = <Task as Resource>::MODEL;
    assert_eq!(m.name, "Task");
    assert_eq!(m.path, "work-items");
    assert_eq!(m.table, "work_item_rows");
    assert_eq!(m.version, 2);
    assert_eq!(m.route(), "/v2/work-items");
    assert_eq!(m.cache_ttl_secs, Some(600));
    assert_eq!((m.page_size, m.max_page_size), (20, 100));
    assert_eq!(m.doc, "A unit of work.\n\nTasks belong to projects.");
    assert_eq!(
        m.rate_limit,
        RateLimitModel {
            read: Some(RateModel {
                count: 1000,
                per_secs: 60
            }),
            write: Some(RateModel {
                count: 50,
                per_secs: 10
            }),
            fail_closed: Some(true),
        }
    );
    // One rate for reads and writes.
    let one = Some(RateModel {
        count: 100,
        per_secs: 1,
    });
    assert_eq!(
        <Country as Resource>::MODEL.rate_limit,
        RateLimitModel {
            read: one,
            write: one,
            fail_closed: None
        }
    );
    // Every field, in declaration order, including hidden and skipped ones.
    let names: Vec<&str> = m.fields.iter().map(|f| f.rust_name).collect();
    assert_eq!(
        names,
        [
            "id",
            "title",
            "done",
            "priority",
            "weight",
            "votes",
            "status",
            "level",
            "project_id",
            "owner",
            "team_id",
            "code",
            "due",
            "type",
            "secret",
            "score",
            "created_at",
            "updated_at",
            "scratch"
        ]
    );
}

#[test]
fn resource_defaults() {
    let m = <Category as Resource>::MODEL;
    assert_eq!(
        (m.path, m.table, m.version),
        ("categories", "categories", 1)
    );
    assert_eq!(m.cache_ttl_secs, None);
    assert_eq!((m.page_size, m.max_page_size), (50, 500));
    assert_eq!(m.rate_limit, RateLimitModel::NONE);
    assert_eq!(m.doc, "Everything defaulted.");
    let name = field(m, "name");
    assert_eq!((name.api_name, name.column), ("name", "name"));
    assert!(
        !name.optional && !name.filterable && !name.sortable && !name.unique && !name.read_only
    );
    assert!(name.validation.is_empty() && name.relation.is_none() && name.auto.is_none());
    assert_eq!(name.doc, "");
}

#[test]
fn id_strategies() {
    assert_eq!(
        <Task as Resource>::MODEL.id_field().id,
        Some(IdStrategy::Generated)
    );
    assert_eq!(
        <Category as Resource>::MODEL.id_field().id,
        Some(IdStrategy::Uuid)
    );
    assert_eq!(
        <Country as Resource>::MODEL.id_field().id,
        Some(IdStrategy::Client)
    );
    assert_eq!(
        <Seat as Resource>::MODEL.id_field().id,
        Some(IdStrategy::Client)
    );
    assert_eq!(
        <Ticket as Resource>::MODEL.id_field().id,
        Some(IdStrategy::Generated)
    );
    assert_eq!(
        <Badge as Resource>::MODEL.id_field().id,
        Some(IdStrategy::Uuid)
    );
    let m = <Task as Resource>::MODEL;
    assert_eq!(m.id_index(), 0);
    assert_eq!(m.fields.iter().filter(|f| f.id.is_some()).count(), 1);
    assert_eq!(field(m, "id").doc, "The key.");
}

#[test]
fn names_types_and_flags() {
    let m = <Task as Resource>::MODEL;
    let done = field(m, "done");
    assert_eq!(
        (done.api_name, done.column, done.ty),
        ("isDone", "done_flag", FieldType::Bool)
    );
    assert!(done.filterable && !done.sortable);
    assert_eq!(m.field_by_api_name("isDone").map(|(i, _)| i), Some(2));
    assert!(m.field_by_api_name("done").is_none());

    let title = field(m, "title");
    assert_eq!(title.ty, FieldType::String);
    assert!(title.filterable && title.sortable && !title.optional);
    assert_eq!(title.doc, "What to do.");

    let raw = field(m, "type");
    assert_eq!((raw.api_name, raw.column), ("type", "type"));

    let kinds: Vec<(&str, FieldType, bool)> = [
        "id",
        "priority",
        "weight",
        "votes",
        "owner",
        "due",
        "score",
        "created_at",
    ]
    .iter()
    .map(|n| (*n, field(m, n).ty, field(m, n).optional))
    .collect();
    assert_eq!(
        kinds,
        [
            ("id", FieldType::I64, false),
            ("priority", FieldType::I32, true),
            ("weight", FieldType::F64, false),
            ("votes", FieldType::I16, false),
            ("owner", FieldType::Uuid, true),
            ("due", FieldType::Date, true),
            ("score", FieldType::F32, true),
            ("created_at", FieldType::DateTime, false),
        ]
    );

    match field(m, "status").ty {
        FieldType::Enum(e) => {
            assert_eq!(e.name, "Status");
            assert_eq!(e.variants, ["todo", "in_progress", "finished"]);
            assert_eq!(e.doc, "Workflow state of a task.");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(field(m, "level").ty, FieldType::Enum(e) if e.variants == ["very-low", "high", "MAX"])
    );
    assert!(field(m, "level").optional);

    let code = field(m, "code");
    assert!(code.unique && !code.filterable);

    let secret = field(m, "secret");
    assert!(secret.hidden && !secret.skip);
    assert!(m.field_by_api_name("secret").is_none());

    let score = field(m, "score");
    assert!(score.read_only && score.auto.is_none());

    let created = field(m, "created_at");
    assert_eq!(created.auto, Some(AutoValue::CreatedAt));
    assert!(created.read_only && created.sortable);
    let updated = field(m, "updated_at");
    assert_eq!(updated.auto, Some(AutoValue::UpdatedAt));
    assert!(updated.read_only);

    let scratch = field(m, "scratch");
    assert!(scratch.skip);
    assert_eq!(m.stored().count(), m.fields.len() - 1);
    assert_eq!(m.exposed().count(), m.fields.len() - 2);
}

#[test]
fn validation_rules() {
    let m = <Task as Resource>::MODEL;
    let title = field(m, "title").validation;
    assert_eq!((title.min_length, title.max_length), (Some(1), Some(200)));
    assert_eq!((title.min, title.max, title.pattern), (None, None, None));
    let priority = field(m, "priority").validation;
    assert_eq!((priority.min, priority.max), (Some(1.0), Some(5.0)));
    let weight = field(m, "weight").validation;
    assert_eq!((weight.min, weight.max), (Some(-1.5), Some(2.5)));
    assert_eq!(
        field(m, "code").validation.pattern,
        Some("^[A-Z]{2,5}-[0-9]+$")
    );
    assert!(field(m, "done").validation.is_empty());
}

#[test]
fn relations() {
    let m = <Task as Resource>::MODEL;
    // Name from the `_id` suffix; inverse is the declaring resource's path
    // as an identifier; restrict by default.
    let project = field(m, "project_id").relation.expect("relation");
    assert_eq!(project.resource, "projects");
    assert_eq!(project.name, "project");
    assert_eq!(project.inverse, Some("work_items"));
    assert_eq!(project.on_delete, OnDelete::Restrict);
    assert!(field(m, "project_id").filterable);

    let owner = field(m, "owner").relation.expect("relation");
    assert_eq!(
        (owner.resource, owner.name, owner.inverse, owner.on_delete),
        (
            "people",
            "assignee",
            Some("assigned_tasks"),
            OnDelete::SetNull
        )
    );

    // `inverse = ""` hides the reverse side.
    let team = field(m, "team_id").relation.expect("relation");
    assert_eq!(
        (team.name, team.inverse, team.on_delete),
        ("team", None, OnDelete::Cascade)
    );

    assert!(field(m, "title").relation.is_none());
}

fn sample() -> Task {
    Task {
        id: 7,
        title: "Write tests".into(),
        done: true,
        priority: Some(3),
        weight: -0.5,
        votes: -12,
        status: Status::InProgress,
        level: Some(Level::VeryLow),
        project_id: 42,
        owner: Some(Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0)),
        team_id: None,
        code: Some("AB-12".into()),
        due: NaiveDate::from_ymd_opt(2030, 1, 31),
        r#type: "chore".into(),
        secret: Some("s3cret".into()),
        score: Some(0.25),
        created_at: Utc.with_ymd_and_hms(2024, 5, 6, 7, 8, 9).unwrap(),
        updated_at: Utc.with_ymd_and_hms(2024, 5, 7, 0, 0, 0).unwrap(),
        scratch: vec!["not stored".into()],
    }
}

#[test]
fn to_record_follows_the_model() {
    let t = sample();
    let record = t.to_record();
    assert_eq!(record.len(), <Task as Resource>::MODEL.fields.len());
    let expected = vec![
        Value::Int(7),
        Value::Text("Write tests".into()),
        Value::Bool(true),
        Value::Int(3),
        Value::Float(-0.5),
        Value::Int(-12),
        Value::Text("in_progress".into()),
        Value::Text("very-low".into()),
        Value::Int(42),
        Value::Uuid(t.owner.unwrap()),
        Value::Null,
        Value::Text("AB-12".into()),
        Value::Date(NaiveDate::from_ymd_opt(2030, 1, 31).unwrap()),
        Value::Text("chore".into()),
        Value::Text("s3cret".into()),
        Value::Float(0.25),
        Value::DateTime(t.created_at),
        Value::DateTime(t.updated_at),
        // Skipped fields are not stored.
        Value::Null,
    ];
    assert_eq!(record, expected);
}

#[test]
fn record_round_trip() {
    let t = sample();
    let back = Task::from_record(t.to_record()).expect("from_record");
    // The skipped field comes back as its `Default`.
    assert_eq!(
        back,
        Task {
            scratch: Vec::new(),
            ..t.clone()
        }
    );

    let mut empty = t.clone();
    empty.priority = None;
    empty.level = None;
    empty.owner = None;
    empty.code = None;
    empty.due = None;
    empty.secret = None;
    empty.score = None;
    empty.scratch = Vec::new();
    assert_eq!(
        Task::from_record(empty.to_record()).expect("from_record"),
        empty
    );

    let c = Category {
        id: Uuid::from_u128(9),
        name: "x".into(),
    };
    assert_eq!(Category::from_record(c.to_record()).unwrap(), c);
    // UUIDs stored as text (SQLite) are accepted too.
    let from_text = Category::from_record(vec![
        Value::Text(Uuid::from_u128(9).to_string()),
        Value::Text("x".into()),
    ]);
    assert_eq!(from_text.unwrap(), c);
}

#[test]
fn from_record_reports_the_field() {
    let mut record = sample().to_record();
    record[6] = Value::Text("archived".into());
    let err = Task::from_record(record).unwrap_err();
    assert_eq!(err.field, "status");
    assert!(err.message.contains("archived"), "{}", err.message);

    let mut record = sample().to_record();
    record[5] = Value::Int(i64::from(i16::MAX) + 1);
    assert_eq!(Task::from_record(record).unwrap_err().field, "votes");

    let mut record = sample().to_record();
    record[1] = Value::Int(1);
    assert_eq!(Task::from_record(record).unwrap_err().field, "title");

    let mut record = sample().to_record();
    record[7] = Value::Int(1);
    assert_eq!(Task::from_record(record).unwrap_err().field, "level");
}

#[test]
fn api_enum_impl() {
    assert_eq!(Status::Todo.as_str(), "todo");
    assert_eq!(Status::InProgress.as_str(), "in_progress");
    assert_eq!(Status::Done.as_str(), "finished");
    assert_eq!(
        <Status as ApiEnum>::from_str("in_progress"),
        Some(Status::InProgress)
    );
    assert_eq!(
        <Status as ApiEnum>::from_str("finished"),
        Some(Status::Done)
    );
    assert_eq!(<Status as ApiEnum>::from_str("done"), None);
    assert_eq!(<Status as ApiEnum>::from_str("InProgress"), None);
    let m = <Status as ApiEnum>::MODEL;
    assert_eq!((m.name, m.doc), ("Status", "Workflow state of a task."));
    assert_eq!(m.variants, ["todo", "in_progress", "finished"]);

    assert_eq!(
        <Level as ApiEnum>::MODEL.variants,
        ["very-low", "high", "MAX"]
    );
    assert_eq!(<Level as ApiEnum>::from_str("MAX"), Some(Level::Maximum));
    assert_eq!(<Level as ApiEnum>::MODEL.doc, "");
    assert_eq!(Shouting::OneTwo.as_str(), "ONE_TWO");
    assert_eq!(Camel::OneTwo.as_str(), "oneTwo");

    assert_eq!(Status::Done.to_value(), Value::Text("finished".into()));
    assert_eq!(
        Status::from_value(Value::Text("todo".into())),
        Ok(Status::Todo)
    );
    assert!(Status::from_value(Value::Text("nope".into())).is_err());
    assert!(Status::from_value(Value::Int(1)).is_err());
}

#[test]
fn enum_serde_uses_wire_names() {
    assert_eq!(
        serde_json::to_value(Status::InProgress).unwrap(),
        json!("in_progress")
    );
    assert_eq!(serde_json::to_value(Level::Maximum).unwrap(), json!("MAX"));
    assert_eq!(
        serde_json::from_value::<Status>(json!("finished")).unwrap(),
        Status::Done
    );
    assert_eq!(
        serde_json::from_value::<Level>(json!("very-low")).unwrap(),
        Level::VeryLow
    );
    let err = serde_json::from_value::<Status>(json!("Done"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown variant `Done`, expected one of: todo, in_progress, finished"),
        "{err}"
    );
    assert!(serde_json::from_value::<Status>(json!(1)).is_err());
}

#[test]
fn create_has_only_client_writable_fields() {
    let body = TaskCreate {
        title: "t".into(),
        done: false,
        priority: None,
        weight: 1.0,
        votes: 0,
        status: Status::Todo,
        level: Some(Level::High),
        project_id: 1,
        owner: None,
        team_id: Some(3),
        code: None,
        due: None,
        r#type: "bug".into(),
    };
    // Wire names; optional fields left out when `None`.
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({
            "title": "t", "isDone": false, "weight": 1.0, "votes": 0, "status": "todo", "level": "high",
            "project_id": 1, "team_id": 3, "type": "bug"
        })
    );
    let back: TaskCreate = serde_json::from_value(serde_json::to_value(&body).unwrap()).unwrap();
    assert_eq!(back.level, Some(Level::High));
    assert_eq!(back.priority, None);
    // Not writable: id (generated), hidden, read-only, timestamps; unknown fields are refused.
    for extra in ["id", "secret", "score", "created_at", "nope"] {
        let mut v = serde_json::to_value(&body).unwrap();
        v[extra] = json!(1);
        let err = serde_json::from_value::<TaskCreate>(v)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("unknown field `{extra}`")),
            "{extra}: {err}"
        );
    }
    // Required fields are required.
    let err = serde_json::from_value::<TaskCreate>(json!({"title": "t"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field"), "{err}");

    // A client-chosen id is part of the body.
    let country = CountryCreate { code: "NZ".into() };
    assert_eq!(
        serde_json::to_value(&country).unwrap(),
        json!({"code": "NZ"})
    );
    assert_eq!(
        serde_json::to_value(SeatCreate { number: 4 }).unwrap(),
        json!({"number": 4})
    );
    // A generated id is not.
    assert_eq!(
        serde_json::to_value(CategoryCreate { name: "n".into() }).unwrap(),
        json!({"name": "n"})
    );

    // Debug and Clone are implemented.
    let copy = body.clone();
    assert!(format!("{copy:?}").starts_with("TaskCreate { title: \"t\""));
}

#[test]
fn patch_is_all_optional() {
    let empty = TaskPatch::default();
    assert_eq!(serde_json::to_value(&empty).unwrap(), json!({}));
    assert_eq!(
        serde_json::from_value::<TaskPatch>(json!({}))
            .unwrap()
            .title,
        None
    );

    let patch = TaskPatch {
        title: Some("new".into()),
        status: Some(Status::Done),
        // `Some(None)` clears an optional field.
        priority: Some(None),
        level: Some(Some(Level::High)),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        json!({"title": "new", "status": "finished", "priority": null, "level": "high"})
    );
    let p: TaskPatch = serde_json::from_value(json!({"isDone": true, "code": "AB-1"})).unwrap();
    assert_eq!(p.done, Some(true));
    assert_eq!(p.code, Some(Some("AB-1".into())));
    // The id and server-set fields cannot be patched.
    for extra in ["id", "secret", "score", "updated_at"] {
        assert!(
            serde_json::from_value::<TaskPatch>(json!({ extra: 1 })).is_err(),
            "{extra}"
        );
    }
    // A client-chosen id is set once, on create.
    assert!(serde_json::from_value::<CountryPatch>(json!({"code": "NZ"})).is_err());
    let _: fn(&TaskPatch) -> TaskPatch = Clone::clone;
    assert!(format!("{:?}", TaskPatch::default()).starts_with("TaskPatch {"));
}

#[test]
fn filter_has_filterable_fields() {
    let f = TaskFilter {
        status: Some(Status::InProgress),
        done: Some(false),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(&f).unwrap(),
        json!({"isDone": false, "status": "in_progress"})
    );
    let all = TaskFilter {
        id: Some(1),
        title: Some("t".into()),
        done: Some(true),
        status: Some(Status::Todo),
        project_id: Some(2),
    };
    assert_eq!(
        serde_json::to_value(&all).unwrap(),
        json!({"id": 1, "title": "t", "isDone": true, "status": "todo", "project_id": 2})
    );
    assert_eq!(
        serde_json::to_value(CategoryFilter::default()).unwrap(),
        json!({})
    );
    assert!(format!("{:?}", all.clone()).starts_with("TaskFilter {"));
}

/// `Resource` is an ordinary trait: generic runtime code reads the model.
#[test]
fn resource_trait_is_usable_generically() {
    fn path_of<R: Resource>() -> &'static str {
        R::MODEL.path
    }
    assert_eq!(path_of::<Task>(), "work-items");
    assert_eq!(path_of::<Country>(), "countries");
}

/// A crate that depends on the runtime as `rf` (tests/renamed) compiles, and
/// its types implement the very same traits.
#[test]
fn renamed_runtime_dependency() {
    use renamed_fixture::{Ticket, TicketCreate, TicketFilter, Urgency};
    let m = <Ticket as Resource>::MODEL;
    assert_eq!((m.path, m.cache_ttl_secs), ("tickets", Some(60)));
    assert_eq!(
        field(m, "queue_id").relation.map(|r| (r.name, r.inverse)),
        Some(("queue", Some("tickets")))
    );
    assert_eq!(<Urgency as ApiEnum>::MODEL.variants, ["LOW", "RIGHT_NOW"]);
    let t = Ticket {
        id: 1,
        subject: "help".into(),
        urgency: Urgency::RightNow,
        note: None,
        queue_id: Some(2),
    };
    assert_eq!(Ticket::from_record(t.to_record()).unwrap(), t);
    let body = TicketCreate {
        subject: "s".into(),
        urgency: Urgency::Low,
        note: None,
        queue_id: None,
    };
    assert_eq!(
        serde_json::to_value(body).unwrap(),
        json!({"subject": "s", "urgency": "LOW"})
    );
    let filter = TicketFilter {
        urgency: Some(Urgency::RightNow),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_value(filter).unwrap(),
        json!({"urgency": "RIGHT_NOW"})
    );
}
