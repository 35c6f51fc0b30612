//! Maintenance windows on both databases, with windows seconds long:
//! scheduling and its checks, the announcements (list, `Maintenance`
//! field, GraphQL extensions, iCalendar feed), `read_only` and `full`
//! refusals that end by themselves, two replicas sharing a database, a
//! restart, and signed webhooks delivered once per transition.

mod support;

use axum::routing::post;
use base64::Engine;
use hmac::{Hmac, Mac};
use resourceful::maintenance::window::rfc3339;
use resourceful::prelude::*;
use resourceful::store::{Db, PoolOptions};
use resourceful::testing::Backend;
use resourceful::{App, Config};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{user_from_header, Ctx, Resp};

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

#[api_resource(path = "tags")]
#[derive(Debug, Clone)]
pub struct Tag {
    #[api(id)]
    pub id: i64,
    pub name: String,
}

const ADMIN: Option<&str> = Some("root;admin");
const ANA: Option<&str> = Some("ana");

fn config() -> Config {
    let mut c = Config::default();
    c.maintenance.poll = Some(Duration::from_secs(1));
    c
}

fn app_with(config: Config) -> App {
    App::new(config)
        .resource::<Note>()
        .resource::<Tag>()
        .authenticate(user_from_header)
}

fn app() -> App {
    app_with(config())
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A window from `start_in` to `end_in` milliseconds from now.
fn window(start_in: i64, end_in: i64, mode: &str) -> Value {
    let now = now_ms();
    json!({
        "starts_at": rfc3339(now + start_in),
        "ends_at": rfc3339(now + end_in),
        "mode": mode,
        "message": "database upgrade",
    })
}

async fn schedule(ctx: &Ctx, body: Value) -> Value {
    let r = ctx
        .send_as(ADMIN, "POST", "/admin/maintenance", Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json
}

/// The `Maintenance` field, parsed as an RFC 9651 List.
fn announced(r: &Resp) -> Vec<(String, i64, i64, String, bool)> {
    use sfv::{BareItem, ListEntry, Parser};
    let Some(v) = r.header("maintenance") else {
        return Vec::new();
    };
    let list = Parser::new(v)
        .parse_list()
        .unwrap_or_else(|e| panic!("{v}: {e}"));
    list.into_iter()
        .map(|m| {
            let ListEntry::Item(item) = m else {
                panic!("an item: {v}")
            };
            let id = match &item.bare_item {
                BareItem::String(s) => s.to_string(),
                other => panic!("{other:?}"),
            };
            let date = |k: &str| match item.params.get(k) {
                Some(BareItem::Date(d)) => i64::from(d.unix_seconds()),
                other => panic!("{k}: {other:?} in {v}"),
            };
            let mode = match item.params.get("mode") {
                Some(BareItem::Token(t)) => t.to_string(),
                other => panic!("mode: {other:?}"),
            };
            let active = matches!(item.params.get("active"), Some(BareItem::Boolean(true)));
            (id, date("start"), date("end"), mode, active)
        })
        .collect()
}

/// Polls `check` every 100 ms for up to `secs` seconds.
async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not within {secs} s: {what}");
}

on_both_app! {
    async fn scheduling_checks_its_input_and_its_callers(ctx: &Ctx) {
        let ok = window(3_600_000, 7_200_000, "read_only");
        assert_eq!(ctx.send_as(None, "POST", "/admin/maintenance", Some(ok.clone())).await.status, 401);
        ctx.send_as(ANA, "POST", "/admin/maintenance", Some(ok.clone())).await.assert_problem(403, "forbidden");
        let cases = [
            (window(7_200_000, 3_600_000, "read_only"), "/ends_at"),
            (window(-7_200_000, 3_600_000, "read_only"), "/starts_at"),
            (window(-7_200_000, -3_600_000, "read_only"), "/ends_at"),
            (window(3_600_000, 7_200_000, "closed"), "/mode"),
            (json!({"starts_at": "soon"}), "/starts_at"),
        ];
        for (body, pointer) in cases {
            let r = ctx.send_as(ADMIN, "POST", "/admin/maintenance", Some(body.clone())).await;
            r.assert_problem(422, "validation");
            let pointers: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["pointer"].as_str().unwrap()).collect();
            assert!(pointers.contains(&pointer), "{body} → {}", r.json);
        }
        let mut scoped = ok.clone();
        scoped["resources"] = json!(["notes", "nope"]);
        let r = ctx.send_as(ADMIN, "POST", "/admin/maintenance", Some(scoped)).await;
        assert_eq!(r.json["errors"][0]["pointer"], "/resources/1", "{}", r.json);
        let first = schedule(ctx, ok.clone()).await;
        let r = ctx.send_as(ADMIN, "POST", "/admin/maintenance", Some(window(5_000_000, 9_000_000, "full"))).await;
        r.assert_problem(422, "validation");
        assert!(r.json["errors"][0]["message"].as_str().unwrap().contains(first["id"].as_str().unwrap()), "{}", r.json);
        // Nothing of the refused ones was stored.
        let all = ctx.send_as(ADMIN, "GET", "/admin/maintenance", None).await;
        assert_eq!(all.json["items"].as_array().unwrap().len(), 1, "{}", all.json);
        // Changes count revisions; ended or cancelled windows are history.
        let id = first["id"].as_str().unwrap();
        let r = ctx.send_as(ADMIN, "PATCH", &format!("/admin/maintenance/{id}"), Some(json!({"message": "longer upgrade", "link": "https://status.example.com/42"}))).await;
        assert_eq!((r.status.as_u16(), r.json["revision"].as_i64()), (200, Some(1)), "{}", r.json);
        assert_eq!(r.json["link"], "https://status.example.com/42");
        assert_eq!(ctx.send_as(ADMIN, "DELETE", &format!("/admin/maintenance/{id}"), None).await.status, 204);
        ctx.send_as(ADMIN, "DELETE", &format!("/admin/maintenance/{id}"), None).await.assert_problem(409, "conflict");
        ctx.send_as(ADMIN, "GET", "/admin/maintenance/nope", None).await.assert_problem(404, "not-found");
        let shown = ctx.send_as(ADMIN, "GET", &format!("/admin/maintenance/{id}"), None).await;
        assert_eq!((shown.json["status"].as_str(), shown.json["revision"].as_i64()), (Some("cancelled"), Some(2)));
    }

    async fn every_channel_announces_a_window_in_advance(ctx: &Ctx) {
        let plain = ctx.send_as(ANA, "GET", "/v1/notes", None).await;
        assert!(plain.header("maintenance").is_none(), "nothing scheduled, nothing announced");
        let w = schedule(ctx, window(3_600_000, 7_200_000, "read_only")).await;
        let id = w["id"].as_str().unwrap().to_string();
        // The field on every response, a 404 included.
        for uri in ["/v1/notes", "/v1/tags", "/nowhere", "/health/live"] {
            let r = ctx.send_as(ANA, "GET", uri, None).await;
            let a = announced(&r);
            assert_eq!(a.len(), 1, "{uri}: {:?}", r.header("maintenance"));
            let (aid, start, end, mode, active) = &a[0];
            assert_eq!((aid.as_str(), mode.as_str(), *active), (id.as_str(), "read_only", false));
            assert_eq!(end - start, 3600);
        }
        // The public list, cacheable.
        let list = ctx.get("/v1/maintenance").await;
        assert_eq!(list.status, 200);
        assert_eq!(list.json["items"][0]["id"], id.as_str());
        assert_eq!(list.json["items"][0]["status"], "upcoming");
        assert_eq!(list.json["horizon_seconds"], 259200);
        let doc = ctx.get("/openapi.json").await;
        assert!(doc.json["paths"]["/v1/maintenance"]["get"].is_object(), "in the OpenAPI document");
        assert!(doc.json["paths"]["/v1/maintenance.ics"]["get"].is_object());
        let etag = list.header("etag").unwrap().to_string();
        let again = ctx.send(axum::http::Request::get("/v1/maintenance").header("if-none-match", &etag).body(axum::body::Body::empty()).unwrap()).await;
        assert_eq!(again.status, 304);
        // GraphQL responses carry it in their extensions, cached ones too.
        for _ in 0..2 {
            let g = ctx.send_as(ANA, "POST", "/graphql", Some(json!({"query": "{ tags { items { id } } }"}))).await;
            assert_eq!(g.json["extensions"]["maintenance"][0]["id"], id.as_str(), "{}", g.json);
            assert!(g.json["data"]["tags"].is_object());
        }
        // The calendar feed, read by an independent parser.
        let ics = ctx.get("/v1/maintenance.ics").await;
        assert_eq!(ics.header("content-type"), Some("text/calendar; charset=utf-8"));
        let text = String::from_utf8(ics.raw.clone()).unwrap();
        let mut reader = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
        let cal = reader.next().expect("a calendar").expect("parses");
        assert_eq!(cal.events.len(), 1, "{text}");
        let prop = |name: &str| cal.events[0].properties.iter().find(|p| p.name == name).and_then(|p| p.value.clone()).unwrap_or_default();
        assert_eq!(prop("UID"), format!("{id}@maintenance.resourceful"));
        assert_eq!(prop("STATUS"), "CONFIRMED");
        assert!(prop("DESCRIPTION").contains("database upgrade"), "{text}");
        assert_eq!(prop("DTSTART"), chrono::DateTime::parse_from_rfc3339(w["starts_at"].as_str().unwrap()).unwrap().format("%Y%m%dT%H%M%SZ").to_string());
        // Beyond the horizon: listed, not in the field.
        ctx.send_as(ADMIN, "DELETE", &format!("/admin/maintenance/{id}"), None).await;
        schedule(ctx, window(80 * 3_600_000, 81 * 3_600_000, "full")).await;
        let r = ctx.send_as(ANA, "GET", "/v1/notes", None).await;
        assert!(r.header("maintenance").is_none(), "{:?}", r.header("maintenance"));
        let list = ctx.get("/v1/maintenance").await;
        assert_eq!(list.json["items"].as_array().unwrap().len(), 1, "the cancelled one is not public: {}", list.json);
        let ics = String::from_utf8(ctx.get("/v1/maintenance.ics").await.raw).unwrap();
        assert_eq!(ics.matches("STATUS:CANCELLED").count(), 1, "subscribed calendars drop it: {ics}");
    }

    async fn read_only_refuses_writes_until_it_ends(ctx: &Ctx) {
        let created = ctx.send_as(ANA, "POST", "/v1/notes", Some(json!({"title": "before"}))).await;
        assert_eq!(created.status, 201);
        let note = created.json["id"].as_i64().unwrap();
        let mut body = window(600, 3_600, "read_only");
        body["resources"] = json!(["notes"]);
        let w = schedule(ctx, body).await;
        eventually(5, "the window starts", || async {
            ctx.send_as(ANA, "POST", "/v1/notes", Some(json!({"title": "x"}))).await.status == 503
        }).await;
        let r = ctx.send_as(ANA, "POST", "/v1/notes", Some(json!({"title": "during"}))).await;
        r.assert_problem(503, "maintenance");
        let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=3).contains(&retry), "seconds to the end: {retry}");
        assert_eq!(r.json["maintenance"]["id"], w["id"]);
        assert!(announced(&r)[0].4, "the field says active");
        // Every write path, refused before the body is read.
        let patch = ctx.send_as(ANA, "PATCH", &format!("/v1/notes/{note}"), Some(json!({"title": "y"}))).await;
        patch.assert_problem(503, "maintenance");
        let bad = ctx.send_as(ANA, "POST", "/v1/notes", Some(json!({"title": ""}))).await;
        bad.assert_problem(503, "maintenance");
        ctx.send_as(ANA, "DELETE", &format!("/v1/notes/{note}"), None).await.assert_problem(503, "maintenance");
        let g = ctx.send_as(ANA, "POST", "/graphql", Some(json!({"query": "mutation { createNote(input: {title: \"g\"}) { id } }"}))).await;
        assert_eq!(g.json["errors"][0]["extensions"]["code"], "MAINTENANCE", "{}", g.json);
        assert!(g.json["errors"][0]["extensions"]["retry_after"].as_u64().unwrap() >= 1);
        let api = ctx.server.api().acting_as(resourceful::Principal::new("ana"));
        let typed = api.of::<Note>().create(NoteCreate { title: "typed".into() }).await.unwrap_err();
        assert_eq!(typed.status(), 503);
        // Reads keep working; other resources are not affected; the
        // application itself may write (a backfill).
        assert_eq!(ctx.send_as(ANA, "GET", &format!("/v1/notes/{note}"), None).await.status, 200);
        assert_eq!(ctx.send_as(ANA, "POST", "/v1/tags", Some(json!({"name": "t"}))).await.status, 201);
        ctx.server.api().of::<Note>().create(NoteCreate { title: "system".into() }).await.unwrap();
        // Readiness stays green.
        assert_eq!(ctx.get("/health/ready").await.status, 200);
        // Over by itself, without a restart.
        eventually(6, "the window ends", || async {
            ctx.send_as(ANA, "POST", "/v1/notes", Some(json!({"title": "after"}))).await.status == 201
        }).await;
        let list = ctx.get("/v1/maintenance").await;
        assert_eq!(list.json["items"][0]["status"], "ended");
    }

    async fn full_refuses_all_but_the_exempt_endpoints(ctx: &Ctx) {
        let w = schedule(ctx, window(500, 3_000, "full")).await;
        eventually(5, "the window starts", || async {
            ctx.send_as(ANA, "GET", "/v1/tags", None).await.status == 503
        }).await;
        for (uri, user) in [("/v1/tags", ANA), ("/v1/notes", ANA), ("/openapi.json", None), ("/nowhere", None)] {
            let r = ctx.send_as(user, "GET", uri, None).await;
            r.assert_problem(503, "maintenance");
            assert!(r.header("retry-after").is_some());
        }
        let g = ctx.send_as(ANA, "POST", "/graphql", Some(json!({"query": "{ tags { items { id } } }"}))).await;
        assert_eq!(g.status, 503);
        for (uri, user) in [("/health/live", None), ("/health/ready", None), ("/metrics", None), ("/v1/maintenance", None), ("/v1/maintenance.ics", None), ("/admin/maintenance", ADMIN)] {
            assert_eq!(ctx.send_as(user, "GET", uri, None).await.status, 200, "{uri} is exempt");
        }
        let metrics = String::from_utf8(ctx.get("/metrics").await.raw).unwrap();
        assert!(metrics.contains("maintenance_windows{"), "gauges exported");
        assert!(metrics.contains("maintenance_refused_requests_total{mode=\"full\"}"));
        // Over by itself, without a restart.
        eventually(6, "the window ends", || async {
            ctx.send_as(ANA, "GET", "/v1/tags", None).await.status == 200
        }).await;
        let r = ctx.send_as(ANA, "GET", "/v1/tags", None).await;
        assert!(r.header("maintenance").is_none(), "an ended window is not announced");
        let list = ctx.get("/v1/maintenance").await;
        assert_eq!((list.json["items"][0]["id"].as_str(), list.json["items"][0]["status"].as_str()), (w["id"].as_str(), Some("ended")));
    }
}

/// A second pool on the same database, as another replica would have.
async fn replica(ctx: &Ctx, config: Config) -> resourceful::Server {
    let opts = PoolOptions {
        schema: (ctx.test_db.backend == Backend::Postgres).then(|| ctx.test_db.isolation.clone()),
        ..PoolOptions::default()
    };
    let db = Db::connect(&ctx.test_db.url, &opts).await.unwrap();
    app_with(config).build_with_db(db).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_sharing_a_database_announce_each_others_windows_and_restarts_keep_them() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let ctx = Ctx::from_app(backend, app()).await;
        let other = replica(&ctx, config()).await;
        let w = schedule(&ctx, window(3_600_000, 7_200_000, "read_only")).await;
        let router = other.router();
        let other_ctx_get = || {
            let router = router.clone();
            async move {
                use tower::ServiceExt;
                let req = axum::http::Request::get("/v1/tags")
                    .body(axum::body::Body::empty())
                    .unwrap();
                let res = router.oneshot(req).await.unwrap();
                res.headers()
                    .get("maintenance")
                    .and_then(|v| v.to_str().ok())
                    .map(String::from)
            }
        };
        eventually(5, "the other replica announces it", || async {
            other_ctx_get()
                .await
                .is_some_and(|v| v.contains(w["id"].as_str().unwrap()))
        })
        .await;
        drop(other);
        // After a restart, announced from the first response.
        let restarted = replica(&ctx, config()).await;
        assert_eq!(
            restarted
                .maintenance
                .header()
                .map(|v| v.to_str().unwrap().contains(w["id"].as_str().unwrap())),
            Some(true),
            "{backend:?}"
        );
        drop(restarted);
        ctx.cleanup().await;
    }
}

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>);

/// A receiver on loopback that refuses its first delivery (to prove the
/// retry) and keeps every other.
async fn receiver() -> (String, Received) {
    let got = Received::default();
    let failed_once = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let keep = got.clone();
    let router = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let keep = keep.clone();
            let failed_once = failed_once.clone();
            async move {
                if !failed_once.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                keep.0.lock().unwrap().push((headers, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The signature as a receiver checks it, written from the specification.
fn verify(headers: &axum::http::HeaderMap, body: &str) {
    let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_string();
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{body}", h("webhook-id"), h("webhook-timestamp")).as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(h("webhook-signature"), format!("v1,{expected}"));
    let age = chrono::Utc::now().timestamp() - h("webhook-timestamp").parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "a fresh timestamp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_deliver_each_transition_once_signed() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (url, got) = receiver().await;
        let mut c = config();
        c.maintenance.webhook_urls = vec![url];
        c.maintenance.webhook_secret = Some(SECRET.into());
        let ctx = Ctx::from_app(backend, app_with(c.clone())).await;
        // Two replicas notice every boundary; one delivery each.
        let other = replica(&ctx, c).await;
        let w = schedule(&ctx, window(800, 2_500, "read_only")).await;
        let id = w["id"].as_str().unwrap().to_string();
        let r = ctx
            .send_as(
                ADMIN,
                "PATCH",
                &format!("/admin/maintenance/{id}"),
                Some(json!({"message": "shorter"})),
            )
            .await;
        assert_eq!(r.status, 200);
        let types = || -> Vec<String> {
            let got = got.0.lock().unwrap();
            got.iter()
                .map(|(_, b)| {
                    serde_json::from_str::<Value>(b).unwrap()["type"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect()
        };
        eventually(15, "every transition delivered", || async {
            types().len() >= 4
        })
        .await;
        // Late duplicates would show up here.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let mut seen = types();
        seen.sort();
        assert_eq!(
            seen,
            [
                "maintenance.changed",
                "maintenance.ended",
                "maintenance.scheduled",
                "maintenance.started"
            ],
            "{backend:?}"
        );
        for (headers, body) in got.0.lock().unwrap().iter() {
            verify(headers, body);
            let v: Value = serde_json::from_str(body).unwrap();
            assert_eq!(v["data"]["id"], id.as_str());
            assert!(headers["webhook-id"].to_str().unwrap().starts_with(&id));
        }
        drop(other);
        ctx.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_redis_every_replica_hears_of_a_change_at_once() {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let mut c = config();
    c.redis_url = Some(url);
    c.redis_prefix = format!("rtest-maint-{}-{}", std::process::id(), now_ms());
    // The database poll is too slow to explain a change seen within seconds.
    c.maintenance.poll = Some(Duration::from_secs(600));
    let ctx = Ctx::from_app(Backend::Postgres, app_with(c.clone())).await;
    let other = replica(&ctx, c).await;
    // Its subscription is up before the change is made.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let w = schedule(&ctx, window(3_600_000, 7_200_000, "read_only")).await;
    let id = w["id"].as_str().unwrap().to_string();
    eventually(
        3,
        "the other replica hears of the window over Redis",
        || async {
            other
                .maintenance
                .header()
                .is_some_and(|v| v.to_str().unwrap().contains(&id))
        },
    )
    .await;
    assert_eq!(
        ctx.send_as(ADMIN, "DELETE", &format!("/admin/maintenance/{id}"), None)
            .await
            .status,
        204
    );
    eventually(3, "and of its cancellation", || async {
        other.maintenance.header().is_none()
    })
    .await;
    drop(other);
    ctx.cleanup().await;
}
