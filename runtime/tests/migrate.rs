//! Day two, on both databases: a service ran with its first models, then
//! the models changed. The service refuses to serve a model its database
//! does not match, naming the difference and the command; `migrate plan`
//! writes the migration, `migrate apply` runs it (once, however many
//! replicas try), and rows written before read correctly after.

use axum::body::Body;
use axum::http::Request;
use resourceful::migrate::{self, runner, MigrateSettings};
use resourceful::testing::{Backend, TestDb};
use resourceful::{App, Config, Server};
use serde_json::{json, Value};
use tower::ServiceExt;

mod v1 {
    use resourceful::prelude::*;

    #[api_enum]
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Status {
        Draft,
        Published,
    }

    #[api_resource(path = "books")]
    #[derive(Debug, Clone)]
    pub struct Book {
        #[api(id)]
        pub id: i64,
        pub title: String,
        pub subtitle: String,
        #[api(filter)]
        pub status: Status,
    }
}

mod v2 {
    use resourceful::prelude::*;

    /// A variant more.
    #[api_enum]
    #[derive(Debug, Clone, Copy, PartialEq)]
    pub enum Status {
        Draft,
        Published,
        Archived,
    }

    /// An optional field more, a filterable one; `subtitle` became optional.
    #[api_resource(path = "books")]
    #[derive(Debug, Clone)]
    pub struct Book {
        #[api(id)]
        pub id: i64,
        pub title: String,
        pub subtitle: Option<String>,
        #[api(filter)]
        pub status: Status,
        #[api(filter)]
        pub language: Option<String>,
    }
}

mod v3 {
    use resourceful::prelude::*;

    /// A required field without a value for the rows already there.
    #[api_resource(path = "books")]
    #[derive(Debug, Clone)]
    pub struct Book {
        #[api(id)]
        pub id: i64,
        pub title: String,
        pub subtitle: Option<String>,
        #[api(filter)]
        pub status: super::v2::Status,
        #[api(filter)]
        pub language: Option<String>,
        pub isbn: String,
    }
}

mod v4 {
    use resourceful::prelude::*;

    /// `title` is now `name`.
    #[api_resource(path = "books")]
    #[derive(Debug, Clone)]
    pub struct Book {
        #[api(id)]
        pub id: i64,
        #[api(renamed_from = "title", filter)]
        pub name: String,
        pub subtitle: Option<String>,
        #[api(filter)]
        pub status: super::v2::Status,
        #[api(filter)]
        pub language: Option<String>,
    }
}

mod v5 {
    use resourceful::prelude::*;

    /// A required field with a default, and an index for a field now
    /// filtered.
    #[api_resource(path = "books")]
    #[derive(Debug, Clone)]
    pub struct Book {
        #[api(id)]
        pub id: i64,
        #[api(renamed_from = "title", filter)]
        pub name: String,
        #[api(filter)]
        pub subtitle: Option<String>,
        #[api(filter)]
        pub status: super::v2::Status,
        #[api(filter)]
        pub language: Option<String>,
        #[api(default = 0, range(min = 0))]
        pub pages: i32,
    }
}

mod v6 {
    use resourceful::prelude::*;

    /// `subtitle` is gone: the contract step of removing a field.
    #[api_resource(path = "books")]
    #[derive(Debug, Clone)]
    pub struct Book {
        #[api(id)]
        pub id: i64,
        #[api(filter)]
        pub name: String,
        #[api(filter)]
        pub status: super::v2::Status,
        #[api(filter)]
        pub language: Option<String>,
        #[api(default = 0, range(min = 0))]
        pub pages: i32,
    }
}

fn settings(dir: &std::path::Path) -> MigrateSettings {
    MigrateSettings {
        dir: dir.to_path_buf(),
        on_start: Some(false),
    }
}

fn config(dir: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.migrate = settings(dir);
    c
}

async fn call(server: &Server, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
    let mut b = Request::builder().method(method).uri(uri);
    let body = match body {
        Some(j) => {
            b = b.header("content-type", "application/json");
            Body::from(j.to_string())
        }
        None => Body::empty(),
    };
    let res = server
        .router()
        .oneshot(b.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status().as_u16();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn day_two(backend: Backend) {
    let test_db = TestDb::new(backend).await;
    let db = test_db.db.clone();
    let dir = tempfile::tempdir().unwrap();
    // Day one.
    let first = App::new(config(dir.path()))
        .resource::<v1::Book>()
        .build_with_db(db.clone())
        .await
        .unwrap();
    for (title, status) in [("Dune", "published"), ("Notes", "draft")] {
        let (st, b) = call(
            &first,
            "POST",
            "/v1/books",
            Some(json!({"title": title, "subtitle": "-", "status": status})),
        )
        .await;
        assert_eq!(st, 201, "{b}");
    }
    drop(first);
    // Day two: the new models are refused until the database matches.
    let e = App::new(config(dir.path()))
        .resource::<v2::Book>()
        .build_with_db(db.clone())
        .await
        .err()
        .expect("refused");
    let msg = e.to_string();
    for needle in [
        "books.language",
        "no such column",
        "books.status",
        "archived",
        "books.subtitle",
        "migrate plan",
    ] {
        assert!(msg.contains(needle), "{needle} not in:\n{msg}");
    }
    let models = [<v2::Book as resourceful::Resource>::MODEL];
    let ms = settings(dir.path());
    let s = &ms;
    let planned = migrate::command(&["plan".into()], &db, &models, s)
        .await
        .unwrap();
    assert!(planned.contains("wrote"), "{planned}");
    let status = migrate::command(&["status".into()], &db, &models, s)
        .await
        .unwrap();
    assert!(status.contains("pending"), "{status}");
    // Refused at start-up while pending (PostgreSQL's default; set here).
    let e = App::new(config(dir.path()))
        .resource::<v2::Book>()
        .build_with_db(db.clone())
        .await
        .err()
        .expect("pending");
    assert!(e.to_string().contains("pending"), "{e}");
    let applied = migrate::command(&["apply".into()], &db, &models, s)
        .await
        .unwrap();
    assert!(applied.contains("applied"), "{applied}");
    let status = migrate::command(&["status".into()], &db, &models, s)
        .await
        .unwrap();
    assert!(status.contains("the models match the database"), "{status}");
    // Rows from day one read correctly; new values are stored.
    let second = App::new(config(dir.path()))
        .resource::<v2::Book>()
        .build_with_db(db.clone())
        .await
        .unwrap();
    let (st, list) = call(&second, "GET", "/v1/books?sort=id", None).await;
    assert_eq!(st, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["title"], "Dune");
    assert_eq!(
        items[0]["language"],
        Value::Null,
        "never the column's name: {}",
        items[0]
    );
    assert_eq!(items[0]["subtitle"], "-");
    let (st, b) = call(
        &second,
        "POST",
        "/v1/books",
        Some(json!({"title": "Old", "status": "archived", "language": "fr"})),
    )
    .await;
    assert_eq!(st, 201, "{b}");
    let (_, fr) = call(&second, "GET", "/v1/books?language=fr", None).await;
    assert_eq!(fr["items"].as_array().unwrap().len(), 1, "{fr}");
    drop(second);
    // A required field with no value for existing rows is refused, and says how.
    let e = App::new(config(dir.path()))
        .resource::<v3::Book>()
        .build_with_db(db.clone())
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("expand, backfill, contract"), "{e}");
    let v3 = [<v3::Book as resourceful::Resource>::MODEL];
    let refused = migrate::command(&["plan".into()], &db, &v3, s)
        .await
        .unwrap_err();
    assert!(
        refused.contains("not planned") && refused.contains("books.isbn"),
        "{refused}"
    );
    // A field declared renamed is a rename, not a drop and an add.
    let e = App::new(config(dir.path()))
        .resource::<v4::Book>()
        .build_with_db(db.clone())
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("renamed from `title`"), "{e}");
    let v4 = [<v4::Book as resourceful::Resource>::MODEL];
    migrate::command(&["plan".into()], &db, &v4, s)
        .await
        .unwrap();
    let files = migrate::files::read(dir.path(), db.dialect()).unwrap();
    let last = files.last().unwrap();
    assert!(
        last.up.contains("RENAME COLUMN") && !last.up.contains("DROP COLUMN"),
        "{}",
        last.up
    );
    migrate::command(&["apply".into()], &db, &v4, s)
        .await
        .unwrap();
    let fourth = App::new(config(dir.path()))
        .resource::<v4::Book>()
        .build_with_db(db.clone())
        .await
        .unwrap();
    let (_, dune) = call(&fourth, "GET", "/v1/books?name=Dune", None).await;
    assert_eq!(
        dune["items"][0]["name"], "Dune",
        "the rows keep their values: {dune}"
    );
    drop(fourth);
    // A required field with a default is one safe step; so is an index.
    let e = App::new(config(dir.path()))
        .resource::<v5::Book>()
        .build_with_db(db.clone())
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("books.pages"), "{e}");
    let v5 = [<v5::Book as resourceful::Resource>::MODEL];
    migrate::command(&["plan".into()], &db, &v5, s)
        .await
        .unwrap();
    let files = migrate::files::read(dir.path(), db.dialect()).unwrap();
    let last = files.last().unwrap();
    assert!(
        last.up.contains("DEFAULT 0") && last.up.contains("books_subtitle_idx"),
        "{}",
        last.up
    );
    migrate::command(&["apply".into()], &db, &v5, s)
        .await
        .unwrap();
    let fifth = App::new(config(dir.path()))
        .resource::<v5::Book>()
        .build_with_db(db.clone())
        .await
        .unwrap();
    let (_, dune) = call(&fifth, "GET", "/v1/books?name=Dune", None).await;
    assert_eq!(dune["items"][0]["pages"], 0, "{dune}");
    assert_eq!(dune["items"][0]["subtitle"], "-", "{dune}");
    let (st, b) = call(
        &fifth,
        "POST",
        "/v1/books",
        Some(json!({"name": "Emma", "status": "draft"})),
    )
    .await;
    assert_eq!((st, &b["pages"]), (201, &json!(0)), "{b}");
    drop(fifth);
    // Removing a field: the column left behind does no harm, and is
    // dropped only when asked.
    let sixth = App::new(config(dir.path()))
        .resource::<v6::Book>()
        .build_with_db(db.clone())
        .await
        .expect("an undeclared nullable column does not stop the service");
    let (_, emma) = call(&sixth, "GET", "/v1/books?name=Emma", None).await;
    assert!(emma["items"][0].get("subtitle").is_none(), "{emma}");
    drop(sixth);
    let v6 = [<v6::Book as resourceful::Resource>::MODEL];
    let held = migrate::command(&["plan".into()], &db, &v6, s)
        .await
        .unwrap();
    assert!(
        held.contains("nothing planned") && held.contains("--allow-destructive"),
        "{held}"
    );
    let wrote = migrate::command(&["plan".into(), "--allow-destructive".into()], &db, &v6, s)
        .await
        .unwrap();
    assert!(wrote.contains("wrote"), "{wrote}");
    let files = migrate::files::read(dir.path(), db.dialect()).unwrap();
    let last = files.last().unwrap();
    let dropped = match db.dialect() {
        resourceful::store::Dialect::Postgres => "DROP COLUMN \"subtitle\"",
        resourceful::store::Dialect::Sqlite => "books__rebuild",
    };
    assert!(last.up.contains(dropped), "{}", last.up);
    migrate::command(&["apply".into()], &db, &v6, s)
        .await
        .unwrap();
    let status = migrate::command(&["status".into()], &db, &v6, s)
        .await
        .unwrap();
    assert!(status.contains("the models match the database"), "{status}");
    let seventh = App::new(config(dir.path()))
        .resource::<v6::Book>()
        .build_with_db(db.clone())
        .await
        .unwrap();
    let (_, all) = call(&seventh, "GET", "/v1/books?sort=id", None).await;
    let names: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Dune", "Notes", "Old", "Emma"], "{all}");
    drop(seventh);
    // A fresh database is made from the models, its migrations recorded.
    let fresh = TestDb::new(backend).await;
    let server = App::new(config(dir.path()))
        .resource::<v2::Book>()
        .build_with_db(fresh.db.clone())
        .await
        .unwrap();
    let status = migrate::command(&["status".into()], &fresh.db, &models, s)
        .await
        .unwrap();
    assert!(
        status.contains("0001_") && !status.contains("pending") && status.contains("match"),
        "{status}"
    );
    drop(server);
    fresh.cleanup().await;
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day_two_on_sqlite() {
    day_two(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn day_two_on_postgres() {
    day_two(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_applying_together_apply_once() {
    let test_db = TestDb::new(Backend::Postgres).await;
    let db = test_db.db.clone();
    let dir = tempfile::tempdir().unwrap();
    let first = App::new(config(dir.path()))
        .resource::<v1::Book>()
        .build_with_db(db.clone())
        .await
        .unwrap();
    drop(first);
    let models = [<v2::Book as resourceful::Resource>::MODEL];
    migrate::command(&["plan".into()], &db, &models, &settings(dir.path()))
        .await
        .unwrap();
    let found = migrate::files::read(dir.path(), db.dialect()).unwrap();
    let (a, b) = tokio::join!(runner::apply(&db, &found[0]), runner::apply(&db, &found[0]));
    let ran = [a.unwrap(), b.unwrap()];
    assert_eq!(ran.iter().filter(|r| **r).count(), 1, "{ran:?}");
    assert_eq!(runner::applied(&db).await.unwrap().len(), 1);
    test_db.cleanup().await;
}
