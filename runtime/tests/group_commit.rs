//! Group commit on both databases: creates that arrive while one is being
//! written leave together, in one transaction, and each request still
//! gets its own outcome. Mixed valid and invalid writes in one batch, a
//! batch racing a delete, and the audit trail and hooks per row.

mod support;

use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config};
use serde_json::{json, Value};
use std::time::Duration;
use support::Ctx;

#[api_resource(path = "authors")]
#[derive(Debug, Clone)]
pub struct Author {
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, unique, length(min = 1, max = 40))]
    pub name: String,
}

#[api_resource(path = "books")]
#[derive(Debug, Clone)]
pub struct Book {
    #[api(id)]
    pub id: i64,
    #[api(filter, relation(resource = "authors", on_delete = "cascade"))]
    pub author_id: i64,
    pub title: String,
}

/// `slow…` holds the write in flight long enough for a batch to queue
/// behind it; `refused` is turned down by the rule itself; every written
/// author leaves a book in the same transaction (`after_write`).
struct Rules;

impl Hooks<Author> for Rules {
    async fn before_create(&self, _: &HookContext, a: &mut AuthorCreate) -> ApiResult<()> {
        if a.name.starts_with("slow") {
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        if a.name == "refused" {
            return Err(ApiError::forbidden("this name is not taken"));
        }
        Ok(())
    }

    async fn after_write(
        &self,
        _: &HookContext,
        tx: &mut Tx<'_>,
        change: &Written<Author>,
    ) -> ApiResult<()> {
        if let Written::Created(a) = change {
            tx.of::<Book>()
                .create(BookCreate {
                    author_id: a.id,
                    title: format!("by {}", a.name),
                })
                .await?;
        }
        Ok(())
    }
}

async fn ctx(backend: Backend) -> Ctx {
    let mut config = Config::default();
    config.audit.enabled = true;
    let app = App::new(config)
        .resource::<Author>()
        .resource::<Book>()
        .hooks(Rules);
    Ctx::from_app(backend, app).await
}

/// Sends `bodies` to `/v1/authors` together, behind a slow first write.
async fn behind_a_slow_write(c: &Ctx, slow: &str, bodies: Vec<Value>) -> Vec<(u16, Value)> {
    let slow = c.post("/v1/authors", json!({ "name": slow }));
    let rest = async {
        // The slow write is in flight by now: these queue behind it.
        tokio::time::sleep(Duration::from_millis(100)).await;
        futures::future::join_all(bodies.iter().map(|b| c.post("/v1/authors", b.clone()))).await
    };
    let (first, rest) = tokio::join!(slow, rest);
    assert_eq!(first.status, 201, "{}", first.json);
    rest.into_iter()
        .map(|r| (r.status.as_u16(), r.json))
        .collect()
}

async fn names(c: &Ctx) -> Vec<String> {
    let r = c.get("/v1/authors?sort=name&limit=500").await;
    let mut n: Vec<String> = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect();
    n.sort();
    n
}

async fn mixed_batch(backend: Backend) {
    let c = ctx(backend).await;
    let existing = c.post("/v1/authors", json!({"name": "Taken"})).await;
    assert_eq!(existing.status, 201);
    // A clean batch leaves together, in one transaction: on PostgreSQL its
    // rows share the inserting transaction id (the second of PostgreSQL's
    // two lanes may write the first row alone); on SQLite it takes far
    // fewer statements than a transaction per row (BEGIN, INSERT author,
    // INSERT book, two change records, COMMIT: 6).
    let before = c.statements();
    let clean: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("clean {i:02}")}))
        .collect();
    let out = behind_a_slow_write(&c, "slow first", clean).await;
    assert!(out.iter().all(|(s, _)| *s == 201), "{out:?}");
    let spent = c.statements() - before;
    if backend == Backend::Postgres {
        let tx = c
            .test_db
            .db
            .fetch_typed(
                &[resourceful::model::FieldType::I64],
                "SELECT COUNT(DISTINCT xmin::text) FROM authors WHERE name LIKE 'clean%'",
                vec![],
            )
            .await
            .unwrap();
        // The second lane may take the first of them alone.
        assert!(
            matches!(tx[0][0], resourceful::Value::Int(1..=2)),
            "twenty rows in at most two transactions: {:?}",
            tx[0][0]
        );
    }
    assert!(spent < 20 * 6, "{spent} statements for 21 rows");
    let valid: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("author {i:02}")}))
        .collect();
    let mut bodies = valid.clone();
    bodies.push(json!({"name": ""})); // validation: too short
    bodies.push(json!({"name": "Taken"})); // unique: already stored
    bodies.push(json!({"name": "twin"})); // unique: twice in this batch
    bodies.push(json!({"name": "twin"}));
    bodies.push(json!({"name": "refused"})); // the hook says no
    let out = behind_a_slow_write(&c, "slow second", bodies).await;
    for (n, (status, body)) in out.iter().take(20).enumerate() {
        assert_eq!(*status, 201, "author {n}: {body}");
        assert_eq!(
            body["name"],
            format!("author {n:02}"),
            "each request gets its own row"
        );
    }
    assert_eq!(out[20].0, 422, "{}", out[20].1);
    assert_eq!(out[21].0, 409, "{}", out[21].1);
    let twins: Vec<u16> = [out[22].0, out[23].0].into();
    assert!(twins.contains(&201) && twins.contains(&409), "{twins:?}");
    assert_eq!(out[24].0, 403, "{}", out[24].1);
    // Exactly the accepted rows exist, each with its book and audit record.
    let mut expected: Vec<String> = (0..20)
        .flat_map(|i| [format!("author {i:02}"), format!("clean {i:02}")])
        .collect();
    expected.extend(["Taken", "slow first", "slow second", "twin"].map(String::from));
    expected.sort();
    assert_eq!(names(&c).await, expected);
    let books = c.get("/v1/books?limit=500").await;
    assert_eq!(
        books.json["items"].as_array().unwrap().len(),
        expected.len()
    );
    let audit = c.server.auditor.as_ref().expect("audit on");
    audit.flush().await.unwrap();
    let changes = c
        .test_db
        .db
        .fetch_typed(
            &[resourceful::model::FieldType::I64],
            "SELECT COUNT(*) FROM resourceful_audit WHERE kind = 'change' AND resource = 'authors' AND action = 'create'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        changes[0][0],
        resourceful::Value::Int(expected.len() as i64),
        "one change record per created row, none for the refused"
    );
    c.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_on_sqlite() {
    mixed_batch(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_on_postgres() {
    mixed_batch(Backend::Postgres).await;
}

/// Books created in a batch while their author is deleted: each is either
/// written (and goes with the author) or refused; none is left pointing
/// at nobody.
async fn racing_a_delete(backend: Backend) {
    let c = ctx(backend).await;
    let author = c.post("/v1/authors", json!({"name": "Doomed"})).await;
    let id = author.json["id"].as_i64().unwrap();
    let creates = futures::future::join_all((0..30).map(|i| {
        c.post(
            "/v1/books",
            json!({"author_id": id, "title": format!("b{i}")}),
        )
    }));
    let delete = async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        c.json("DELETE", &format!("/v1/authors/{id}"), json!(null))
            .await
    };
    let (creates, deleted) = tokio::join!(creates, delete);
    assert_eq!(deleted.status, 204, "{}", deleted.json);
    for r in &creates {
        assert!(
            [201, 409, 422].contains(&r.status.as_u16()),
            "{} {}",
            r.status,
            r.json
        );
    }
    let left = c.get(&format!("/v1/books?author_id={id}")).await;
    assert_eq!(left.json["items"], json!([]), "no book outlives its author");
    c.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_racing_a_delete_on_sqlite() {
    racing_a_delete(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_racing_a_delete_on_postgres() {
    racing_a_delete(Backend::Postgres).await;
}

/// Typed access joins the same group as REST.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_creates_join_the_group() {
    let c = ctx(Backend::Postgres).await;
    let api = c.server.api();
    let create = |name: String| {
        let api = api.clone();
        async move { api.of::<Author>().create(AuthorCreate { name }).await }
    };
    let slow = create("slow typed".into());
    let rest = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        futures::future::join_all((0..10).map(|i| create(format!("typed {i}")))).await
    };
    let (first, rest) = tokio::join!(slow, rest);
    first.unwrap();
    let ids: Vec<i64> = rest.into_iter().map(|a| a.unwrap().id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 10, "{ids:?}");
    assert_eq!(names(&c).await.len(), 11);
    c.cleanup().await;
}
