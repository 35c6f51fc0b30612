//! Group commit on both databases: creates, updates and deletes that
//! arrive while one is being written leave together, in one transaction,
//! and each request still gets its own outcome. Mixed valid and invalid
//! writes in one batch, a batch racing a delete, the audit trail and hooks
//! per row, a hook writing to its own resource from inside a batch, and
//! a shutdown while a batch is being written.

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

/// A prize keeps its author: deleting an author with one fails on the
/// foreign key (`on_delete` restricts by default).
#[api_resource(path = "prizes")]
#[derive(Debug, Clone)]
pub struct Prize {
    #[api(id)]
    pub id: i64,
    #[api(relation(resource = "authors"))]
    pub author_id: i64,
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

    async fn before_update(
        &self,
        cx: &HookContext,
        _: &Author,
        next: &mut Author,
    ) -> ApiResult<()> {
        if next.name.starts_with("slow") {
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        if next.name == "refused" {
            return Err(ApiError::forbidden("this name is not taken"));
        }
        // A hook writing to its own resource from inside the group's write
        // goes through at once (queued, it would wait for itself).
        if next.name.starts_with("renames its twin") {
            // Long enough for the other such write to hold the other lane.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let twin = cx.api().of::<Author>().get(next.id + 1).await?;
            if let Some(twin) = twin {
                cx.api()
                    .of::<Author>()
                    .update(
                        twin.id,
                        AuthorPatch {
                            name: Some(format!("{} (renamed)", twin.name)),
                        },
                    )
                    .await?;
            }
        }
        Ok(())
    }

    async fn before_delete(&self, _: &HookContext, a: &Author) -> ApiResult<()> {
        if a.name.starts_with("slow") {
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        if a.name == "kept" {
            return Err(ApiError::conflict("this author is kept"));
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

/// The change records of `action` on authors.
async fn changes(db: &resourceful::store::Db, action: &str) -> u64 {
    let f = resourceful::audit::Filter {
        kind: Some("change".into()),
        resource: Some("authors".into()),
        action: Some(action.into()),
        ..Default::default()
    };
    resourceful::audit::store::count(db, &f).await.unwrap()
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
    let changes = changes(&c.test_db.db, "create").await;
    assert_eq!(
        changes,
        expected.len() as u64,
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

/// Creates `names` one by one; their ids in order.
async fn authors(c: &Ctx, names: &[String]) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in names {
        let r = c.post("/v1/authors", json!({ "name": n })).await;
        assert_eq!(r.status, 201, "{}", r.json);
        ids.push(r.json["id"].as_i64().unwrap());
    }
    ids
}

fn delete(c: &Ctx, id: i64) -> impl std::future::Future<Output = support::Resp> + '_ {
    async move {
        c.json("DELETE", &format!("/v1/authors/{id}"), json!(null))
            .await
    }
}

fn patch<'a>(
    c: &'a Ctx,
    id: i64,
    name: &str,
) -> impl std::future::Future<Output = support::Resp> + 'a {
    let name = name.to_string();
    async move {
        c.json(
            "PATCH",
            &format!("/v1/authors/{id}"),
            json!({ "name": name }),
        )
        .await
    }
}

type Write<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = support::Resp> + Send + 'a>>;

/// Renames of `good` to "renamed 01", "renamed 02", …, then five updates
/// each refused for its own reason, in this order: 422 (too short), 409
/// (`taken` is another row's name), 403 (the hook), 404 (no such row), 412
/// (a stale ETag); `refused` names the rows of the 422, 409, 403 and 412.
fn renames_and_refusals<'a>(
    c: &'a Ctx,
    good: &[i64],
    refused: [i64; 4],
    taken: &str,
) -> Vec<Write<'a>> {
    let mut writes: Vec<Write<'a>> = Vec::new();
    for (n, &id) in good.iter().enumerate() {
        writes.push(Box::pin(patch(c, id, &format!("renamed {:02}", n + 1))));
    }
    writes.push(Box::pin(patch(c, refused[0], "")));
    writes.push(Box::pin(patch(c, refused[1], taken)));
    writes.push(Box::pin(patch(c, refused[2], "refused")));
    writes.push(Box::pin(patch(c, 999_999, "nobody")));
    let stale = refused[3];
    writes.push(Box::pin(async move {
        let req = axum::http::Request::patch(format!("/v1/authors/{stale}"))
            .header("content-type", "application/merge-patch+json")
            .header("if-match", "\"stale\"");
        c.send(
            req.body(axum::body::Body::from(r#"{"name":"stale"}"#))
                .unwrap(),
        )
        .await
    }));
    writes
}

/// Updates and deletes queued behind a slow one leave in one transaction;
/// each answers for itself and only the accepted ones change anything.
async fn mixed_changes(backend: Backend) {
    let c = ctx(backend).await;
    let rows: Vec<String> = (0..24).map(|i| format!("row {i:02}")).collect();
    let ids = authors(&c, &rows).await;
    let commits_before = c.test_db.db.commit_count();
    let slow = patch(&c, ids[0], "slow rename");
    let rest = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut writes = renames_and_refusals(
            &c,
            &ids[1..13],
            [ids[13], ids[14], ids[15], ids[16]],
            "row 15",
        );
        for &id in &ids[17..22] {
            writes.push(Box::pin(delete(&c, id)));
        }
        futures::future::join_all(writes).await
    };
    let (first, out) = tokio::join!(slow, rest);
    assert_eq!(first.status, 200, "{}", first.json);
    let status: Vec<u16> = out.iter().map(|r| r.status.as_u16()).collect();
    assert!(status[..12].iter().all(|&s| s == 200), "{status:?}");
    for (n, r) in out[..12].iter().enumerate() {
        assert_eq!(
            r.json["name"],
            format!("renamed {:02}", n + 1),
            "its own row"
        );
    }
    let bodies: Vec<&Value> = out.iter().map(|r| &r.json).collect();
    assert_eq!(&status[12..17], &[422, 409, 403, 404, 412], "{bodies:?}");
    assert!(status[17..].iter().all(|&s| s == 204), "{status:?}");
    // Exactly the accepted changes were made.
    let mut expected: Vec<String> = (1..13).map(|n| format!("renamed {n:02}")).collect();
    expected.extend(["slow rename".to_string()]);
    expected.extend((13..17).map(|i| format!("row {i:02}")));
    expected.extend((22..24).map(|i| format!("row {i:02}")));
    expected.sort();
    assert_eq!(names(&c).await, expected);
    // Committed together: the slow write, the first queued ones alone on
    // the other lanes (PostgreSQL keeps half the pool as lanes for
    // changes), then the batch (alone, 21 commits). (Not `xmin`: inside a
    // savepoint a row gets a subtransaction's id.)
    let lanes = match backend {
        Backend::Postgres => (c.test_db.db.max_connections() as u64 / 2).max(2),
        Backend::Sqlite => 1,
    };
    let commits = c.test_db.db.commit_count() - commits_before;
    assert!(
        commits <= lanes + 2 && commits < 21,
        "{commits} commits for 21 changes over {lanes} lanes"
    );
    let audit = c.server.auditor.as_ref().expect("audit on");
    audit.flush().await.unwrap();
    let changes = (
        changes(&c.test_db.db, "update").await,
        changes(&c.test_db.db, "delete").await,
    );
    assert_eq!(
        changes,
        (13, 5),
        "one change record per accepted change, none for the refused"
    );
    // The refused delete and a delete of the slow row's neighbour, queued
    // together: one refused, one done.
    let kept = authors(&c, &["kept".to_string(), "gone".to_string()]).await;
    let slow = delete(&c, ids[22]);
    let pair = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        tokio::join!(delete(&c, kept[0]), delete(&c, kept[1]))
    };
    let _ = patch(&c, ids[22], "slow delete").await;
    let (first, (refused, done)) = tokio::join!(slow, pair);
    assert_eq!(
        (
            first.status.as_u16(),
            refused.status.as_u16(),
            done.status.as_u16()
        ),
        (204, 409, 204),
        "{} {}",
        refused.json,
        done.json
    );
    c.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_updates_and_deletes_on_sqlite() {
    mixed_changes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_updates_and_deletes_on_postgres() {
    mixed_changes(Backend::Postgres).await;
}

/// Updates alone queued behind a slow one: on PostgreSQL they share
/// statements (one lock, one `UPDATE … FROM (VALUES …)`, one insert of
/// their change records), and a row that fails inside the shared statement
/// (a unique violation) is found by halving and fails alone. Each request
/// answers for itself on both databases.
/// With `audit` off, the statements the batch took are counted (the
/// audit writer's would be counted too).
async fn shared_updates(backend: Backend, audit: bool) {
    let mut config = Config::default();
    config.audit.enabled = audit;
    let app = App::new(config)
        .resource::<Author>()
        .resource::<Book>()
        .hooks(Rules);
    let c = Ctx::from_app(backend, app).await;
    let rows: Vec<String> = (0..24).map(|i| format!("row {i:02}")).collect();
    let ids = authors(&c, &rows).await;
    // Cached before the batch, so the read after it shows invalidation.
    assert_eq!(
        c.get(&format!("/v1/authors/{}", ids[3])).await.json["name"],
        "row 03"
    );
    let statements_before = c.test_db.db.statement_count();
    let slow = patch(&c, ids[0], "slow rename");
    let rest = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let writes = renames_and_refusals(
            &c,
            &ids[1..17],
            [ids[17], ids[18], ids[19], ids[20]],
            "row 23",
        );
        futures::future::join_all(writes).await
    };
    let (first, out) = tokio::join!(slow, rest);
    let statements = c.test_db.db.statement_count() - statements_before;
    assert_eq!(first.status, 200, "{}", first.json);
    let status: Vec<u16> = out.iter().map(|r| r.status.as_u16()).collect();
    let bodies: Vec<&Value> = out.iter().map(|r| &r.json).collect();
    assert!(
        status[..16].iter().all(|&s| s == 200),
        "{status:?} {bodies:?}"
    );
    for (n, r) in out[..16].iter().enumerate() {
        assert_eq!(
            r.json["name"],
            format!("renamed {:02}", n + 1),
            "its own row"
        );
        assert_eq!(r.json["id"], ids[n + 1]);
    }
    assert_eq!(&status[16..], &[422, 409, 403, 404, 412], "{bodies:?}");
    let mut expected: Vec<String> = (1..17).map(|n| format!("renamed {n:02}")).collect();
    expected.push("slow rename".into());
    expected.extend((17..24).map(|i| format!("row {i:02}")));
    expected.sort();
    assert_eq!(names(&c).await, expected, "exactly the accepted changes");
    if audit {
        let changes = changes(&c.test_db.db, "update").await;
        assert_eq!(
            changes, 17,
            "one change record per accepted update, none for the refused"
        );
    } else if backend == Backend::Postgres {
        // A statement per row takes four a row (savepoint, lock, update,
        // release): 72 for a batch of 18, besides the first queued writes
        // that go alone on the other lanes (three statements each).
        // Shared, the batch takes one lock and, for the row that fails
        // inside the shared update, four statements per halving step on
        // each side: under 45.
        let lanes = (c.test_db.db.max_connections() as u64 / 2).max(2);
        let alone = 3 * lanes;
        assert!(
            statements < 45 + alone,
            "{statements} statements for 22 updates ({lanes} lanes)"
        );
    }
    // A read after the batch sees each row's new version (the cache was
    // dropped per row after the commit).
    let r = c.get(&format!("/v1/authors/{}", ids[3])).await;
    assert_eq!(r.json["name"], "renamed 03");
    c.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_alone_share_statements_on_sqlite() {
    shared_updates(Backend::Sqlite, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_alone_share_statements_on_postgres() {
    shared_updates(Backend::Postgres, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_alone_share_statements_on_postgres_counted() {
    shared_updates(Backend::Postgres, false).await;
}

/// Deletes alone queued behind a slow one: on PostgreSQL they share
/// statements (one lock, one `DELETE … WHERE id IN (…)`, one insert of
/// their change records); a row still referenced fails inside the shared
/// delete, is found by halving and fails alone. Each request answers for
/// itself on both databases, and a deleted row cached before is gone.
async fn shared_deletes(backend: Backend, audit: bool) {
    let mut config = Config::default();
    config.audit.enabled = audit;
    let app = App::new(config)
        .resource::<Author>()
        .resource::<Book>()
        .resource::<Prize>()
        .hooks(Rules);
    let c = Ctx::from_app(backend, app).await;
    let mut rows: Vec<String> = (0..20).map(|i| format!("row {i:02}")).collect();
    rows.push("kept".into());
    rows.push("stale".into());
    let ids = authors(&c, &rows).await;
    let prized = ids[18];
    let r = c.post("/v1/prizes", json!({ "author_id": prized })).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let cached = c.get(&format!("/v1/authors/{}", ids[3])).await;
    assert_eq!(cached.status, 200);
    let statements_before = c.test_db.db.statement_count();
    let _ = patch(&c, ids[0], "slow delete").await;
    let cx = &c;
    let slow = delete(cx, ids[0]);
    let rest = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut writes: Vec<Write<'_>> = Vec::new();
        for &id in &ids[1..18] {
            writes.push(Box::pin(delete(cx, id)));
        }
        writes.push(Box::pin(delete(cx, prized)));
        writes.push(Box::pin(delete(cx, ids[20])));
        writes.push(Box::pin(delete(cx, 999_999)));
        let stale = ids[21];
        writes.push(Box::pin(async move {
            let req = axum::http::Request::delete(format!("/v1/authors/{stale}"))
                .header("if-match", "\"stale\"");
            cx.send(req.body(axum::body::Body::empty()).unwrap()).await
        }));
        futures::future::join_all(writes).await
    };
    let (first, out) = tokio::join!(slow, rest);
    let statements = c.test_db.db.statement_count() - statements_before;
    assert_eq!(first.status, 204, "{}", first.json);
    println!("{statements} statements for 22 deletes");
    let status: Vec<u16> = out.iter().map(|r| r.status.as_u16()).collect();
    let bodies: Vec<&Value> = out.iter().map(|r| &r.json).collect();
    assert!(
        status[..17].iter().all(|&s| s == 204),
        "{status:?} {bodies:?}"
    );
    assert_eq!(&status[17..], &[409, 409, 404, 412], "{bodies:?}");
    let expected: Vec<String> = ["kept", "row 18", "row 19", "stale"]
        .map(String::from)
        .into();
    assert_eq!(names(&c).await, expected, "exactly the accepted deletes");
    let gone = c.get(&format!("/v1/authors/{}", ids[3])).await;
    assert_eq!(gone.status, 404, "the cached row went with its delete");
    if audit {
        let audit = c.server.auditor.as_ref().expect("audit on");
        audit.flush().await.unwrap();
        let changes = changes(&c.test_db.db, "delete").await;
        assert_eq!(
            changes, 18,
            "one change record per accepted delete, none for the refused"
        );
    } else if backend == Backend::Postgres {
        // A statement per row takes four a row (savepoint, lock, delete,
        // release): 84 for the 21 queued. Shared: one lock, and for the
        // referenced row four statements per halving step on each side.
        let lanes = (c.test_db.db.max_connections() as u64 / 2).max(2);
        let alone = 3 * lanes;
        assert!(
            statements < 45 + alone,
            "{statements} statements for 22 deletes ({lanes} lanes)"
        );
    }
    c.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_alone_share_statements_on_sqlite() {
    shared_deletes(Backend::Sqlite, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_alone_share_statements_on_postgres() {
    shared_deletes(Backend::Postgres, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_alone_share_statements_on_postgres_counted() {
    shared_deletes(Backend::Postgres, false).await;
}

/// A hook that updates another row of its own resource through typed
/// access (its own transaction), from inside the group's write: it neither
/// waits for itself nor blocks the queue (bounded here so a regression
/// fails, not hangs). PostgreSQL only: SQLite has one writer, so a hook
/// writes there through the transaction `after_write` is given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_writing_its_own_resource_does_not_wait_for_itself() {
    let c = ctx(Backend::Postgres).await;
    let rows: Vec<String> = ["a", "b", "c", "d", "e", "f"].map(String::from).into();
    let ids = authors(&c, &rows).await;
    assert_eq!(ids[5], ids[0] + 5);
    // Three such writes at once: both lanes are taken, the third queues,
    // and every hook's own write arrives while its lane is held.
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        futures::future::join_all(
            [0, 2, 4].map(|i| patch(&c, ids[i], &format!("renames its twin {i}"))),
        ),
    )
    .await
    .expect("a hook's own write waited for itself");
    for r in &out {
        assert_eq!(r.status, 200, "{}", r.json);
    }
    for (i, name) in [(1, "b"), (3, "d"), (5, "f")] {
        let twin = c.get(&format!("/v1/authors/{}", ids[i])).await;
        assert_eq!(twin.json["name"], format!("{name} (renamed)"));
    }
    c.cleanup().await;
}

/// Stops the server while a batch is being written: every queued request
/// still gets its own answer, each answered row is in the database with
/// its book and its audit records, and the server stops within its grace.
async fn shutdown_with_a_batch_in_flight(backend: Backend) {
    let test_db = resourceful::testing::TestDb::new(backend).await;
    let mut config = Config {
        drain_delay: Duration::ZERO,
        shutdown_timeout: Duration::from_secs(10),
        ..Config::default()
    };
    config.audit.enabled = true;
    let server = App::new(config)
        .resource::<Author>()
        .resource::<Book>()
        .hooks(Rules)
        .build_with_db(test_db.db.clone())
        .await
        .expect("build");
    let support::Serving {
        addr,
        stop: stop_tx,
        done: served,
    } = support::serve(server).await;
    let client = reqwest::Client::new();
    let post = |name: String| {
        let client = client.clone();
        tokio::spawn(async move {
            let r = client
                .post(format!("http://{addr}/v1/authors"))
                .json(&json!({ "name": name }))
                .send()
                .await
                .expect("answered");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        })
    };
    // The leader holds the group for 400 ms; the twenty queued behind it
    // form a batch that one slow row holds for another 400 ms.
    let leader = post("slow leader".into());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut names: Vec<String> = (0..19).map(|i| format!("queued {i:02}")).collect();
    names.push("slow in the batch".into());
    let queued: Vec<_> = names.iter().cloned().map(post).collect();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        !leader.is_finished() && queued.iter().filter(|q| !q.is_finished()).count() > 1,
        "the signal comes while the leader and a batch are unanswered (PostgreSQL's \
         second lane may have written one queued row alone)"
    );
    let t0 = std::time::Instant::now();
    stop_tx.send(()).unwrap();

    let (status, body) = leader.await.unwrap();
    assert_eq!(status, 201, "{body}");
    for (name, q) in names.iter().zip(queued) {
        let (status, body) = q.await.unwrap();
        assert_eq!(status, 201, "{name}: {body}");
        assert_eq!(body["name"], name.as_str(), "its own row");
    }
    tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("stopped within the grace")
        .expect("no panic")
        .expect("served");
    println!("stopped {:?} after the signal", t0.elapsed());

    // What the stopped server left: every answered row, its book, its
    // change record and its request record.
    let db = test_db.reopen().await;
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            let rows = db
                .fetch_typed(&[resourceful::model::FieldType::I64], sql, vec![])
                .await
                .unwrap();
            rows[0][0].clone()
        }
    };
    let n = resourceful::Value::Int(21);
    assert_eq!(count("SELECT COUNT(*) FROM authors").await, n);
    assert_eq!(count("SELECT COUNT(*) FROM books").await, n);
    assert_eq!(changes(&db, "create").await, 21);
    let requests = resourceful::audit::Filter {
        kind: Some("request".into()),
        resource: Some("authors".into()),
        status: Some(201),
        ..Default::default()
    };
    assert_eq!(
        resourceful::audit::store::count(&db, &requests)
            .await
            .unwrap(),
        21,
        "the request records were flushed before the pool closed"
    );
    db.close().await;
    test_db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_a_batch_in_flight_on_sqlite() {
    shutdown_with_a_batch_in_flight(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_with_a_batch_in_flight_on_postgres() {
    shutdown_with_a_batch_in_flight(Backend::Postgres).await;
}
