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
        send(ctx, Some("root;admin"), "x", "GET", "/admin/audit?from=yesterday", None).await.assert_problem(400, "bad-query");
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
        let db = ctx.server.db();
        let edited = db.execute("UPDATE resourceful_audit_batch SET body = replace(body, '\"ana\"', '\"eve\"') WHERE seq = 3", Vec::new()).await.unwrap();
        assert_eq!(edited, 1);
        let v = ctx.server.auditor.as_ref().unwrap().verify().await.unwrap();
        assert_eq!(v.first_broken, Some(3), "{v:?}");
        let r = send(ctx, Some("root;admin"), "v2", "GET", "/admin/audit/verify", None).await;
        assert_eq!((r.json["ok"].as_bool(), r.json["first_broken"].as_i64()), (Some(false), Some(3)));
        // The index is checked too: a batch hidden from time ranges shows.
        db.execute("UPDATE resourceful_audit_batch SET last_at = '2000-01-01T00:00:00.000000Z' WHERE seq = 2", Vec::new()).await.unwrap();
        let v = ctx.server.auditor.as_ref().unwrap().verify().await.unwrap();
        assert_eq!(v.first_broken, Some(2), "{v:?}");
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
        let change = resourceful::audit::Filter {
            kind: Some("change".into()),
            request_id: Some("before-crash".into()),
            ..Default::default()
        };
        let rows = resourceful::audit::store::count(ctx.server.db(), &change)
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

/// The older release's link: `sha256(prev \n seq \n fields-as-JSON)`.
fn legacy_link(prev: &str, seq: i64, r: &resourceful::audit::Record) -> String {
    use sha2::Digest;
    let fields = serde_json::to_string(&(
        &r.at,
        &r.kind,
        &r.request_id,
        &r.subject,
        &r.issuer,
        &r.client_id,
        &r.roles,
        &r.method,
        &r.route,
        &r.resource,
        &r.record_id,
        &r.action,
        r.status,
        r.latency_ms.map(|l| format!("{l:.3}")),
        &r.peer,
    ))
    .unwrap();
    let mut h = sha2::Sha256::new();
    h.update(format!("{prev}\n{seq}\n{fields}").as_bytes());
    hex::encode(h.finalize())
}

/// A PostgreSQL table of the older release (one row a record, each its
/// own link), with `sealed` records chained and one write's record not
/// sealed yet.
async fn legacy_table(db: &resourceful::store::Db, sealed: usize) {
    db.execute(
        "CREATE TABLE resourceful_audit (id BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, \
         kind TEXT NOT NULL, request_id TEXT, subject TEXT, issuer TEXT, client_id TEXT, \
         roles TEXT, method TEXT, route TEXT, resource TEXT, record_id TEXT, action TEXT, \
         status BIGINT, latency_ms DOUBLE PRECISION, peer TEXT, seq BIGINT UNIQUE, \
         prev_hash TEXT, hash TEXT)",
        Vec::new(),
    )
    .await
    .unwrap();
    let mut prev = resourceful::audit::chain::GENESIS.to_string();
    let text = |v: &str| {
        (
            resourceful::Value::Text(v.into()),
            resourceful::model::FieldType::String,
        )
    };
    for n in 0..=sealed {
        let r = resourceful::audit::Record {
            at: format!("2026-11-0{}T00:00:00.000000Z", n + 1),
            kind: if n < sealed { "request" } else { "change" }.into(),
            request_id: Some(format!("old-{n}")),
            subject: Some("ana".into()),
            status: Some(200),
            latency_ms: Some(1.5),
            ..Default::default()
        };
        let seq = n as i64 + 1;
        let hash = legacy_link(&prev, seq, &r);
        let link = if n < sealed {
            format!("{seq}, '{prev}', '{hash}'")
        } else {
            "NULL, NULL, NULL".into()
        };
        db.execute(
            &format!(
                "INSERT INTO resourceful_audit (at, kind, request_id, subject, status, latency_ms, \
                 seq, prev_hash, hash) VALUES ($1, $2, $3, $4, 200, 1.5, {link})"
            ),
            vec![
                text(&r.at),
                text(&r.kind),
                text(r.request_id.as_deref().unwrap()),
                text("ana"),
            ],
        )
        .await
        .unwrap();
        prev = hash;
    }
}

/// The older release's table (one row a record) is moved into batches at
/// start: its chain checked as it is read, its records found by the same
/// filters and covered by the new chain, the table kept under another
/// name; a tampered one stops the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_table_moves_into_batches_and_keeps_its_chain() {
    let db = resourceful::testing::TestDb::postgres().await;
    legacy_table(&db.db, 3).await;
    let a = Auditor::start(db.db.clone(), settings()).await.unwrap();
    a.record(resourceful::audit::Record {
        at: resourceful::audit::now(),
        kind: "request".into(),
        request_id: Some("new".into()),
        ..Default::default()
    });
    a.flush().await.unwrap();
    let v = a.verify().await.unwrap();
    assert!(v.ok() && v.sealed == 5 && v.unsealed == 0, "{v:?}");
    let list = |f: resourceful::audit::Filter| {
        let db = db.db.clone();
        async move { resourceful::audit::store::list(&db, &f).await.unwrap().0 }
    };
    let old = list(resourceful::audit::Filter {
        request_id: Some("old-1".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(old.len(), 1);
    assert_eq!(
        (old[0]["subject"].as_str(), old[0]["latency_ms"].as_f64()),
        (Some("ana"), Some(1.5))
    );
    let november = list(resourceful::audit::Filter {
        from: Some("2026-11-02T00:00:00Z".into()),
        to: Some("2026-11-04T00:00:00Z".into()),
        ..Default::default()
    })
    .await;
    let ids: Vec<&str> = november
        .iter()
        .map(|r| r["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["old-2", "old-1"], "newest first");
    let change = list(resourceful::audit::Filter {
        kind: Some("change".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(change.len(), 1, "the unsealed write's record came too");
    let kept = db
        .db
        .fetch_typed(
            &[resourceful::model::FieldType::I64],
            "SELECT COUNT(*) FROM resourceful_audit_legacy",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        kept[0][0],
        resourceful::Value::Int(4),
        "kept for inspection"
    );
    // A second start finds nothing to move.
    let again = Auditor::start(db.db.clone(), settings()).await.unwrap();
    assert_eq!(again.verify().await.unwrap().sealed, 5);
    db.cleanup().await;

    let tampered = resourceful::testing::TestDb::postgres().await;
    legacy_table(&tampered.db, 3).await;
    tampered
        .db
        .execute(
            "UPDATE resourceful_audit SET status = 500 WHERE seq = 2",
            Vec::new(),
        )
        .await
        .unwrap();
    let err = Auditor::start(tampered.db.clone(), settings())
        .await
        .err()
        .expect("a broken chain stops the start");
    assert!(
        err.to_string().contains("fails verification at record 2"),
        "{err}"
    );
    tampered.cleanup().await;
}
