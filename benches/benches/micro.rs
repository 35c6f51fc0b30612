//! Micro-benchmarks of the per-request hot paths, through the public
//! `resourceful` API, on the example service's `Task` model.
//!
//! `cargo bench -p resourceful-benches --bench micro` (add a filter such as
//! `-- cache` to run a subset).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use example_service::resources::Task;
use resourceful::cache::flags::Flags;
use resourceful::cache::{CacheShared, ResourceCache};
use resourceful::limits::{ClientId, ClientKeys, LocalLimiter, Rate};
use resourceful::model::{FieldType, ResourceModel};
use resourceful::query::{parse_rest_query, Cursor};
use resourceful::representation::Representation;
use resourceful::store::sql::ResourceSql;
use resourceful::store::Dialect;
use resourceful::value::Key;
use resourceful::{Record, Resource, Value};
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

fn model() -> &'static ResourceModel {
    <Task as Resource>::MODEL
}

/// A realistic stored task, in model field order.
fn task_record(id: i64) -> Record {
    let at = chrono::DateTime::parse_from_rfc3339("2025-03-14T09:26:53.589793Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    model()
        .fields
        .iter()
        .map(|f| match f.api_name {
            "id" => Value::Int(id),
            "title" => Value::Text("Ship the benchmark suite before the release".into()),
            "notes" => Value::Text("Measure cached and uncached reads, lists and creates; compare with a hand-written service.".into()),
            "status" => Value::Text("in_progress".into()),
            "done" => Value::Bool(false),
            "priority" => Value::Int(2),
            "estimate_hours" => Value::Float(6.5),
            "project_id" => Value::Int(3),
            "due_at" => Value::DateTime(at + chrono::Duration::days(7)),
            "created_at" | "updated_at" => Value::DateTime(at),
            other => match f.ty {
                FieldType::Bool => Value::Bool(false),
                _ => panic!("unexpected Task field {other}"),
            },
        })
        .collect()
}

const SIMPLE: &str = "limit=50";
const FILTERS_SORT: &str =
    "status[in]=todo,in_progress&priority[gte]=2&title[contains]=release&project_id=3&sort=-priority,created_at&limit=50";

fn cursor_query() -> String {
    let q = parse_rest_query(model(), Some(FILTERS_SORT)).expect("valid query");
    let token = Cursor::after(model(), &q, &task_record(41)).encode(model(), &q);
    format!("{FILTERS_SORT}&cursor={token}")
}

fn query_parsing(c: &mut Criterion) {
    let with_cursor = cursor_query();
    let mut g = c.benchmark_group("query/parse_rest");
    for (name, raw) in [
        ("simple", SIMPLE),
        ("filters_sort", FILTERS_SORT),
        ("filters_sort_cursor", with_cursor.as_str()),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| parse_rest_query(model(), Some(black_box(raw))).expect("valid"))
        });
    }
    g.bench_function("invalid_400", |b| {
        b.iter(|| {
            parse_rest_query(
                model(),
                Some(black_box("nope=1&priority[contains]=x&sort=notes")),
            )
            .unwrap_err()
        })
    });
    g.finish();
}

fn sql_building(c: &mut Criterion) {
    let sql = ResourceSql::new(model(), Dialect::Postgres);
    let mut g = c.benchmark_group("sql/list_postgres");
    for (name, raw) in [
        ("simple", SIMPLE.to_string()),
        ("filters_sort", FILTERS_SORT.to_string()),
        ("filters_sort_cursor", cursor_query()),
    ] {
        let q = parse_rest_query(model(), Some(&raw)).expect("valid");
        g.bench_function(name, |b| b.iter(|| sql.list(black_box(&q))));
    }
    g.finish();
    c.bench_function("sql/resource_sql_new", |b| {
        b.iter(|| ResourceSql::new(black_box(model()), Dialect::Postgres))
    });
}

fn row_to_json(c: &mut Criterion) {
    let rec = task_record(42);
    let bytes = Representation::of(model(), &rec).json.len() as u64;
    let mut g = c.benchmark_group("json");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("representation_of_task", |b| {
        b.iter(|| Representation::of(model(), black_box(&rec)))
    });
    let page: Vec<Record> = (0..50).map(task_record).collect();
    g.throughput(Throughput::Elements(50));
    g.bench_function("page_of_50", |b| {
        b.iter(|| {
            let items: Vec<_> = page
                .iter()
                .map(|r| resourceful::value::RecordJson {
                    model: model(),
                    record: r,
                    hidden: Default::default(),
                })
                .collect();
            serde_json::to_vec(
                &serde_json::json!({ "items": items, "next_cursor": null, "limit": 50 }),
            )
            .unwrap()
        })
    });
    g.finish();
}

fn cache_lookup(c: &mut Criterion) {
    // The recorder the service installs, so the hit counter costs what it costs there.
    let _ = resourceful::observe::handle();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shared = Arc::new(CacheShared {
        flags: Arc::new(Flags::new(true)),
        channel_up: true.into(),
    });
    let cache = rt.block_on(async {
        let cache = ResourceCache::new("tasks", Duration::from_secs(600), 10_000, shared);
        for id in 0..1000 {
            let rep = Arc::new(Representation::of(model(), &task_record(id)));
            cache
                .item(Key::Int(id), async move { Ok(Some(rep)) })
                .await
                .unwrap();
        }
        cache
    });
    c.bench_function("cache/item_hit", |b| {
        let mut id = 0i64;
        b.to_async(&rt).iter(|| {
            id = (id + 7) % 1000;
            let cache = &cache;
            async move {
                cache
                    .item(Key::Int(id), async { unreachable!("warm cache") })
                    .await
                    .unwrap()
            }
        })
    });
}

fn rate_limit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let limiter = LocalLimiter::new(Rate {
        count: 100_000_000,
        per: Duration::from_secs(60),
    });
    let mut g = c.benchmark_group("limits");
    let one = ClientId::Ip([127, 0, 0, 1].into());
    g.bench_function("local_check_one_key", |b| {
        b.iter(|| limiter.check(black_box(one.hash64())))
    });
    let keys: Vec<ClientId> = (0..1000)
        .map(|i| ClientId::Ip([10, 0, (i / 250) as u8, (i % 250) as u8].into()))
        .collect();
    g.bench_function("local_check_1000_keys", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % keys.len();
            limiter.check(black_box(keys[i].hash64()))
        })
    });
    g.bench_function("local_limiter_new", |b| {
        b.iter_batched(
            || (),
            |_| {
                LocalLimiter::new(Rate {
                    count: 6000,
                    per: Duration::from_secs(60),
                })
            },
            BatchSize::SmallInput,
        )
    });

    let plain = ClientKeys::default();
    let proxied = ClientKeys {
        trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
        api_keys: ["k1".to_string()].into(),
    };
    let peer: SocketAddr = "203.0.113.7:50000".parse().unwrap();
    let proxy_peer: SocketAddr = "10.0.0.2:50000".parse().unwrap();
    let empty = axum::http::HeaderMap::new();
    let mut xff = axum::http::HeaderMap::new();
    xff.insert(
        "x-forwarded-for",
        "6.6.6.6, 198.51.100.9, 10.1.1.1".parse().unwrap(),
    );
    let mut api_key = axum::http::HeaderMap::new();
    api_key.insert("x-api-key", "k1".parse().unwrap());
    g.bench_function("client_key/peer_ip", |b| {
        b.iter(|| plain.key(black_box(&empty), Some(peer), None))
    });
    g.bench_function("client_key/trusted_proxy_xff", |b| {
        b.iter(|| proxied.key(black_box(&xff), Some(proxy_peer), None))
    });
    g.bench_function("client_key/api_key", |b| {
        b.iter(|| proxied.key(black_box(&api_key), Some(peer), None))
    });
    g.finish();
}

/// The development issuer's seed of the benchmarked apps: requests carry
/// a token it signed, so the stack's cost includes the token check.
const DEV_SECRET: &str = "resourceful-benchmark";

fn bearer() -> &'static str {
    static TOKEN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TOKEN.get_or_init(|| {
        use resourceful::auth::dev::{DevIssuer, TokenRequest, AUDIENCE};
        let minted = DevIssuer::new(Some(DEV_SECRET), AUDIENCE)
            .mint(&TokenRequest {
                sub: "bench".into(),
                roles: vec!["editor".into()],
                scope: None,
                ttl_secs: Some(86_400),
            })
            .expect("a development token");
        format!("Bearer {}", minted["access_token"].as_str().expect("token"))
    })
}

/// A seeded router of `app` on SQLite in `dir`.
fn seeded_router(
    rt: &tokio::runtime::Runtime,
    dir: &std::path::Path,
    name: &str,
    app: fn(resourceful::Config) -> resourceful::App,
) -> axum::Router {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use tower::ServiceExt;
    let db = format!("sqlite:{}", dir.join(format!("{name}.db")).display());
    rt.block_on(async {
        let config = resourceful::Config::from_lookup(|k| match k {
            "DATABASE_URL" => Some(db.clone()),
            "RATE_LIMIT_READ" | "RATE_LIMIT_WRITE" | "RATE_LIMIT_GRAPHQL" => Some("100000000/min".into()),
            "AUTH_DEV_SECRET" => Some(DEV_SECRET.into()),
            _ => None,
        })
        .unwrap();
        let server = app(config).build().await.expect("build");
        let router = server.router();
        let post = |path: &str, body: serde_json::Value| {
            let mut req = axum::http::Request::post(path).header("authorization", bearer())
                .header("content-type", "application/json")
                .body(Body::from(body.to_string()))
                .unwrap();
            req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
            req
        };
        let res = router.clone().oneshot(post("/v1/projects", serde_json::json!({"name": "Bench", "key": "BENCH", "visibility": "team"}))).await.unwrap();
        assert_eq!(res.status(), 201);
        let tasks: Vec<_> = (0..100)
            .map(|i| serde_json::json!({"title": format!("task {i}"), "status": "todo", "done": false, "priority": 1 + i % 5, "project_id": 1}))
            .collect();
        let res = router.clone().oneshot(post("/v1/tasks", serde_json::Value::Array(tasks))).await.unwrap();
        assert_eq!(res.status(), 201);
        router
    })
}

/// The whole router in process (every middleware, no sockets), on SQLite:
/// what one cached GET by id costs in the service's own code, with the
/// example's hooks and layer and without them.
fn full_stack(c: &mut Criterion) {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let router = seeded_router(&rt, dir.path(), "example", example_service::app);
    let variants: [(&str, fn(resourceful::Config) -> resourceful::App); 3] = [
        ("resources_only", example_service::resources_only),
        ("with_hooks", |c| {
            example_service::resources_only(c)
                .hooks(example_service::rules::ProjectRules)
                .hooks(example_service::rules::TaskRules)
        }),
        ("with_compression", |c| {
            example_service::resources_only(c)
                .layer(tower_http::compression::CompressionLayer::new())
        }),
    ];
    let get = |path: &str| {
        let mut req = axum::http::Request::get(path)
            .header("authorization", bearer())
            .body(Body::empty())
            .unwrap();
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        req
    };
    let mut g = c.benchmark_group("stack");
    let mut routers = vec![("get_by_id_cached".to_string(), router.clone())];
    for (name, app) in variants {
        routers.push((
            format!("get_by_id_cached/{name}"),
            seeded_router(&rt, dir.path(), name, app),
        ));
    }
    for (name, r) in &routers {
        g.bench_function(name.as_str(), |b| {
            b.to_async(&rt).iter(|| {
                let r = r.clone();
                let req = get("/v1/tasks/7");
                async move {
                    let res = r.oneshot(req).await.unwrap();
                    assert_eq!(res.status(), 200);
                    res.into_body().collect().await.unwrap()
                }
            })
        });
    }
    // GraphQL with its response cache off: parsed, validated and resolved
    // (through the row cache) every time; and what parsing alone costs.
    let executed = seeded_router(&rt, dir.path(), "graphql", |mut c| {
        c.graphql_response_cache = false;
        example_service::app(c)
    });
    const QUERY: &str = "{ task(id: 7) { id title notes status done priority estimate_hours project_id due_at created_at updated_at } }";
    g.bench_function("graphql_task_executed", |b| {
        b.to_async(&rt).iter(|| {
            let r = executed.clone();
            let mut req = axum::http::Request::post("/graphql")
                .header("authorization", bearer())
                .header("content-type", "application/json")
                .body(Body::from(
                    serde_json::json!({ "query": QUERY }).to_string(),
                ))
                .unwrap();
            req.extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
            async move {
                let res = r.oneshot(req).await.unwrap();
                assert_eq!(res.status(), 200);
                res.into_body().collect().await.unwrap()
            }
        })
    });
    g.bench_function("graphql_parse_only", |b| {
        b.iter(|| async_graphql::parser::parse_query(black_box(QUERY)).unwrap())
    });
    g.bench_function("list_50_cached", |b| {
        b.to_async(&rt).iter(|| {
            let r = router.clone();
            let req = get("/v1/tasks?limit=50");
            async move {
                let res = r.oneshot(req).await.unwrap();
                assert_eq!(res.status(), 200);
                res.into_body().collect().await.unwrap()
            }
        })
    });
    g.finish();
    drop(routers);
    drop(router);
    drop(rt);
}

/// Fixed-bucket histograms kept per thread stripe: the alternative to the
/// facade's histograms that `request_metrics` measures (the runtime itself
/// records histograms through the facade; see its `Observer`).
struct Buckets(Vec<u64>);

impl Buckets {
    fn new(printed: &[f64], scale: f64) -> Self {
        Buckets(printed.iter().map(|b| (b * scale).round() as u64).collect())
    }
}

#[derive(Default)]
struct Dist {
    sum: std::sync::atomic::AtomicU64,
    counts: [std::sync::atomic::AtomicU64; 16],
}

impl Dist {
    fn record(&self, buckets: &Buckets, v: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let i = buckets
            .0
            .iter()
            .position(|b| v <= *b)
            .unwrap_or(buckets.0.len());
        self.counts[i].fetch_add(1, Relaxed);
        self.sum.fetch_add(v, Relaxed);
    }
}

/// What recording one finished request costs: a count, a latency and two
/// sizes, plus the in-flight gauge up and down. `striped` keeps all of it
/// in per-thread stripes; `facade` is the `metrics` facade with handles
/// registered once (no key lookup per request), into the Prometheus
/// exporter. Both run on two threads at once, as the service's two workers
/// do, because contention on shared cache lines is what differs.
fn request_metrics(c: &mut Criterion) {
    use metrics::Recorder;
    use resourceful::observe::striped::{Counter, Striped};

    const LATENCY: &[f64] = &[
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.03, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    let mut g = c.benchmark_group("request_metrics");
    g.throughput(Throughput::Elements(1));

    let latency = Buckets::new(LATENCY, 1e9);
    let size = Buckets::new(&[64.0, 256.0, 1024.0, 4096.0, 16384.0], 1.0);
    let status: Striped<Dist> = Striped::default();
    let sizes: Striped<(Dist, Dist)> = Striped::default();
    let (started, finished) = (Counter::default(), Counter::default());
    let striped = |i: u64| {
        started.add(1);
        status.mine().record(&latency, 180_000 + (i & 1023));
        let (req, res) = sizes.mine();
        req.record(&size, 0);
        res.record(&size, 312);
        finished.add(1);
    };
    g.bench_function("striped_two_threads", |b| {
        b.iter_custom(|n| on_two_threads(n, &striped))
    });

    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new()
        .set_buckets(LATENCY)
        .unwrap()
        .build_recorder();
    let handle = recorder.handle();
    let meta = metrics::Metadata::new("bench", metrics::Level::INFO, None);
    let labels = [
        ("route", "/v1/tasks/{id}"),
        ("method", "GET"),
        ("resource", "tasks"),
    ];
    let key = |name: &'static str| metrics::Key::from_parts(name, &labels[..]);
    let count = recorder.register_counter(&key("http_requests_total"), &meta);
    let seconds = recorder.register_histogram(&key("http_request_duration_seconds"), &meta);
    let req_bytes = recorder.register_histogram(&key("http_request_size_bytes"), &meta);
    let res_bytes = recorder.register_histogram(&key("http_response_size_bytes"), &meta);
    let in_flight =
        recorder.register_gauge(&metrics::Key::from_name("http_requests_in_flight"), &meta);
    let facade = |i: u64| {
        in_flight.increment(1.0);
        count.increment(1);
        seconds.record(0.000_180 + (i & 1023) as f64 * 1e-9);
        req_bytes.record(0.0);
        res_bytes.record(312.0);
        in_flight.decrement(1.0);
    };
    g.bench_function("facade_two_threads", |b| {
        b.iter_custom(|n| {
            let t = on_two_threads(n, &facade);
            // Outside the timing, as the exporter's upkeep thread does.
            handle.run_upkeep();
            t
        })
    });
    let parts: [(&str, &(dyn Fn(u64) + Sync)); 3] = [
        ("facade_gauge_only", &|_| {
            in_flight.increment(1.0);
            in_flight.decrement(1.0);
        }),
        ("facade_counter_only", &|_| count.increment(1)),
        ("facade_histograms_only", &|i| {
            seconds.record(0.000_180 + (i & 1023) as f64 * 1e-9);
            req_bytes.record(0.0);
            res_bytes.record(312.0);
        }),
    ];
    for (name, f) in parts {
        g.bench_function(name, |b| {
            b.iter_custom(|n| {
                let t = on_two_threads(n, &f);
                handle.run_upkeep();
                t
            })
        });
    }
    g.finish();
}

/// Runs `f` `n` times on each of two threads; the time per call per thread.
fn on_two_threads(n: u64, f: &(impl Fn(u64) + Sync)) -> Duration {
    let start = std::time::Instant::now();
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| (0..n).for_each(|i| f(black_box(i))));
        }
    });
    start.elapsed()
}

criterion_group! {
    name = micro;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = query_parsing, sql_building, row_to_json, cache_lookup, rate_limit, full_stack, request_metrics
}
criterion_main!(micro);
