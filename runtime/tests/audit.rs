//! The audit trail on both databases: every request has its record, a
//! write's record commits with the write (so a crash before the queue is
//! flushed loses none of them), the hash chain verifies and shows an
//! edited record, admins read it through a filterable endpoint, and a full
//! queue is counted (or refuses requests, when configured so).

mod support;

use axum::body::Body;
use axum::extract::Request;
use resourceful::audit::{AuditSettings, Auditor};
use resourceful::identity::AuthResult;
use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config, Principal};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use support::{Ctx, Resp};

#[api_resource(
    path = "notes",
    access(read = "authenticated", write = "authenticated")
)]
#[derive(Debug, Clone)]
pub struct Note {
    #[api(id)]
    pub id: i64,
    #[api(length(min = 1))]
    pub title: String,
}

fn from_header(req: &Request) -> AuthResult {
    let Some(v) = req.headers().get("x-user").and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let mut parts = v.split(';');
    let subject = parts.next().unwrap_or_default().to_string();
    let p = Principal::new(subject)
        .with_roles(parts)
        .with_claim("iss", json!("https://id.test"))
        .with_claim("client_id", json!("mobile-app"));
    Ok(Some(Arc::new(p)))
}

fn settings() -> AuditSettings {
    AuditSettings {
        enabled: true,
        flush_every: Duration::from_millis(20),
        ..AuditSettings::default()
    }
}

fn app() -> App {
    let mut config = Config::default();
    config.audit = settings();
    App::new(config)
        .resource::<Note>()
        .authenticate(from_header)
}

async fn send(
    ctx: &Ctx,
    user: Option<&str>,
    id: &str,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> Resp {
    let mut b = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("x-request-id", id);
    if let Some(u) = user {
        b = b.header("x-user", u);
    }
    let body = match body {
        Some(j) => {
            b = b.header("content-type", "application/json");
            Body::from(j.to_string())
        }
        None => Body::empty(),
    };
    ctx.send(b.body(body).unwrap()).await
}

async fn flush(ctx: &Ctx) {
    ctx.server.auditor.as_ref().unwrap().flush().await.unwrap();
}

async fn records(ctx: &Ctx, query: &str) -> Vec<Value> {
    let r = send(
        ctx,
        Some("root;admin"),
        "reader",
        "GET",
        &format!("/admin/audit?{query}"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["items"].as_array().unwrap().clone()
}

on_both_app! {
    async fn every_request_has_its_record(ctx: &Ctx) {
        let created = send(ctx, Some("ana;editor"), "r-create", "POST", "/v1/notes", Some(json!({"title": "a"}))).await;
        assert_eq!(created.status, 201);
        let id = created.json["id"].as_i64().unwrap();
        let cases = [
            (None, "r-anon", "GET", "/v1/notes".to_string(), 401),
            (Some("ana;editor"), "r-get", "GET", format!("/v1/notes/{id}"), 200),
            (Some("ben"), "r-missing", "GET", "/v1/notes/999".to_string(), 404),
            (Some("ben"), "r-patch", "PATCH", format!("/v1/notes/{id}"), 200),
            (Some("ben"), "r-nope", "GET", "/nowhere".to_string(), 404),
        ];
        for (user, rid, method, uri, status) in &cases {
            let body = (*method == "PATCH").then(|| json!({"title": "b"}));
            assert_eq!(send(ctx, *user, rid, method, uri, body).await.status, *status, "{rid}");
        }
        flush(ctx).await;
        let all = records(ctx, "kind=request&limit=500").await;
        for (user, rid, method, _, status) in &cases {
            let r = all.iter().find(|r| r["request_id"] == *rid).unwrap_or_else(|| panic!("no record of {rid}"));
            assert_eq!(r["status"], *status, "{r}");
            assert_eq!(r["method"], *method);
            assert_eq!(r["subject"].as_str(), user.map(|u| u.split(';').next().unwrap()));
            assert!(r["latency_ms"].as_f64().unwrap() >= 0.0);
        }
        let get = all.iter().find(|r| r["request_id"] == "r-get").unwrap();
        assert_eq!((get["route"].as_str(), get["resource"].as_str()), (Some("/v1/notes/{id}"), Some("notes")));
        assert_eq!(get["record_id"], id.to_string());
        assert_eq!((get["issuer"].as_str(), get["client_id"].as_str(), get["roles"].as_str()), (Some("https://id.test"), Some("mobile-app"), Some("editor")));
        assert_eq!(get["peer"], Value::Null, "in-process requests have no peer");
        // The writes' own records: one per change, with the row's id.
        let changes = records(ctx, "kind=change").await;
        let actions: Vec<(&str, &str)> = changes.iter().map(|c| (c["action"].as_str().unwrap(), c["request_id"].as_str().unwrap())).collect();
        assert_eq!(actions, [("update", "r-patch"), ("create", "r-create")], "newest first");
        assert!(changes.iter().all(|c| c["record_id"] == id.to_string()));
        // Filters and pages.
        let ben = records(ctx, "subject=ben&kind=request").await;
        assert_eq!(ben.len(), 3);
        let r = send(ctx, Some("root;admin"), "page", "GET", "/admin/audit?kind=request&limit=2", None).await;
        let first = r.json["items"].as_array().unwrap().clone();
        assert_eq!(first.len(), 2);
        let next = r.json["next_cursor"].as_i64().unwrap();
        assert_eq!(next, first[1]["id"].as_i64().unwrap());
        let second = records(ctx, &format!("kind=request&limit=2&before={next}")).await;
        assert!(second[0]["id"].as_i64().unwrap() < next);
        // Only admins read it.
        assert_eq!(send(ctx, Some("ben"), "x", "GET", "/admin/audit", None).await.status, 403);
        assert_eq!(send(ctx, None, "x", "GET", "/admin/audit", None).await.status, 401);
        send(ctx, Some("root;admin"), "x", "GET", "/admin/audit?bogus=1", None).await.assert_problem(400, "bad-query");
    }

    async fn the_chain_verifies_and_shows_an_edited_record(ctx: &Ctx) {
        for n in 0..5 {
            let r = send(ctx, Some("ana"), &format!("w{n}"), "POST", "/v1/notes", Some(json!({"title": format!("n{n}")}))).await;
            assert_eq!(r.status, 201);
        }
        flush(ctx).await;
        let r = send(ctx, Some("root;admin"), "v1", "GET", "/admin/audit/verify", None).await;
        assert_eq!(r.json["ok"], true, "{}", r.json);
        assert!(r.json["sealed"].as_u64().unwrap() >= 10, "{}", r.json);
        ctx.server.db().execute("UPDATE resourceful_audit SET status = 299 WHERE seq = 3", Vec::new()).await.unwrap();
        let v = ctx.server.auditor.as_ref().unwrap().verify().await.unwrap();
        assert_eq!(v.first_broken, Some(3), "{v:?}");
        let r = send(ctx, Some("root;admin"), "v2", "GET", "/admin/audit/verify", None).await;
        assert_eq!((r.json["ok"].as_bool(), r.json["first_broken"].as_i64()), (Some(false), Some(3)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_the_flush_loses_no_write_record() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let ctx = Ctx::from_app(backend, app()).await;
        let r = send(
            &ctx,
            Some("ana"),
            "before-crash",
            "POST",
            "/v1/notes",
            Some(json!({"title": "kept"})),
        )
        .await;
        assert_eq!(r.status, 201);
        // The change record is in the table the moment the write commits.
        let rows = ctx
            .server
            .db()
            .execute("UPDATE resourceful_audit SET kind = kind WHERE kind = 'change' AND request_id = 'before-crash'", Vec::new())
            .await
            .unwrap();
        assert_eq!(rows, 1, "committed with the write");
        // A new process on the same database seals it into the chain.
        let again = Auditor::start(ctx.server.db().clone(), settings())
            .await
            .unwrap();
        again.flush().await.unwrap();
        let v = again.verify().await.unwrap();
        assert!(v.ok() && v.unsealed == 0 && v.sealed >= 1, "{v:?}");
        ctx.cleanup().await;
    }
}

#[tokio::test]
async fn a_full_queue_is_counted_or_refuses_requests() {
    let db = resourceful::testing::TestDb::sqlite().await;
    let small = AuditSettings {
        queue: 2,
        ..settings()
    };
    let a = Auditor::start(db.db.clone(), small.clone()).await.unwrap();
    // On this single-threaded runtime the writer cannot run in between.
    for _ in 0..10 {
        a.record(resourceful::audit::Record {
            at: resourceful::audit::now(),
            kind: "request".into(),
            ..Default::default()
        });
    }
    assert_eq!(a.dropped(), 8);
    assert!(!a.refuses(), "dropping is the default");
    let strict = Auditor::start(
        db.db.clone(),
        AuditSettings {
            reject_when_full: true,
            ..small
        },
    )
    .await
    .unwrap();
    for _ in 0..2 {
        strict.record(resourceful::audit::Record {
            at: resourceful::audit::now(),
            kind: "request".into(),
            ..Default::default()
        });
    }
    assert!(strict.refuses());
    db.cleanup().await;
}

/// A table made before the indexed text columns compared bytewise (and
/// with a B-tree on `at`) is changed at start; its records and chain are
/// kept, and time ranges still find them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_postgres_table_gets_bytewise_columns_and_keeps_its_chain() {
    let db = resourceful::testing::TestDb::postgres().await;
    db.db
        .execute(
            "CREATE TABLE resourceful_audit (id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, \
             kind TEXT NOT NULL, request_id TEXT, subject TEXT, issuer TEXT, client_id TEXT, \
             roles TEXT, method TEXT, route TEXT, resource TEXT, record_id TEXT, action TEXT, \
             status BIGINT, latency_ms DOUBLE PRECISION, peer TEXT, seq BIGINT UNIQUE, \
             prev_hash TEXT, hash TEXT)",
            Vec::new(),
        )
        .await
        .unwrap();
    let record = |n: usize| resourceful::audit::Record {
        at: resourceful::audit::now(),
        kind: "request".into(),
        request_id: Some(format!("old-{n}")),
        subject: Some("ana".into()),
        status: Some(200),
        ..Default::default()
    };
    db.db
        .execute(
            "CREATE INDEX resourceful_audit_at ON resourceful_audit (at)",
            Vec::new(),
        )
        .await
        .unwrap();
    let first = Auditor::start(db.db.clone(), settings()).await.unwrap();
    let index_kinds = db
        .db
        .fetch_typed(
            &[resourceful::model::FieldType::String],
            "SELECT indexname::text || ' ' || split_part(indexdef, 'USING ', 2) FROM pg_indexes \
             WHERE schemaname = current_schema() AND indexname LIKE 'resourceful_audit_at%'",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        index_kinds
            .iter()
            .map(|r| r[0].to_text())
            .collect::<Vec<_>>(),
        ["resourceful_audit_at_brin brin (at)"],
        "the B-tree on `at` gives way to a BRIN"
    );
    let collations = || async {
        let rows = db
            .db
            .fetch_typed(
                &[resourceful::model::FieldType::String],
                "SELECT column_name::text || '=' || coalesce(collation_name::text, '-') \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = 'resourceful_audit' \
                 AND column_name IN ('at', 'request_id', 'subject') ORDER BY column_name",
                Vec::new(),
            )
            .await
            .unwrap();
        rows.iter().map(|r| r[0].to_text()).collect::<Vec<_>>()
    };
    assert_eq!(collations().await, ["at=C", "request_id=C", "subject=C"]);
    for n in 0..3 {
        first.record(record(n));
    }
    first.flush().await.unwrap();
    // Back to the old collation, as an older release left it, with records.
    db.db
        .execute(
            "ALTER TABLE resourceful_audit ALTER COLUMN at TYPE TEXT COLLATE \"default\", \
             ALTER COLUMN request_id TYPE TEXT COLLATE \"default\", \
             ALTER COLUMN subject TYPE TEXT COLLATE \"default\"",
            Vec::new(),
        )
        .await
        .unwrap();
    assert!(collations().await.iter().all(|c| !c.ends_with("=C")));
    let again = Auditor::start(db.db.clone(), settings()).await.unwrap();
    assert_eq!(collations().await, ["at=C", "request_id=C", "subject=C"]);
    again.record(record(3));
    again.flush().await.unwrap();
    let v = again.verify().await.unwrap();
    assert!(v.ok() && v.sealed == 4 && v.unsealed == 0, "{v:?}");
    let (page, _) = resourceful::audit::store::list(
        &db.db,
        &resourceful::audit::Filter {
            request_id: Some("old-1".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(page.len(), 1);
    let (recent, _) = resourceful::audit::store::list(
        &db.db,
        &resourceful::audit::Filter {
            from: Some("2000-01-01T00:00:00Z".into()),
            to: Some("2999-01-01T00:00:00Z".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(recent.len(), 4);
    db.cleanup().await;
}
