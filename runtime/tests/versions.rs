//! API versions side by side: one table served as `/v1/books` and
//! `/v2/books`, fields added, removed and renamed between them, values
//! mapped both ways, one document per version, the retirement of v1
//! announced on every response, business rules and caches shared by both,
//! and requests counted per version. On both databases.

mod support;

use resourceful::prelude::*;
use resourceful::testing::Backend;
use resourceful::{App, Config};
use serde_json::{json, Value};
use support::{Ctx, Resp};

/// A book. v2 renamed `title` to `name`, added `pages` (with a default)
/// and `language`, and dropped `isbn` (which v1 still reads and writes).
#[api_resource(
    path = "books",
    version = 2,
    previous(v1(deprecated = "2026-12-01", sunset = "2027-06-30")),
    cache_ttl = "10m"
)]
#[derive(Debug, Clone)]
pub struct Book {
    #[api(id)]
    pub id: i64,
    #[api(filter, sort, name_in(v1 = "title"), length(min = 1, max = 100))]
    pub name: String,
    #[api(added_in = 2, default = 0, range(min = 0))]
    pub pages: i32,
    #[api(added_in = 2, filter)]
    pub language: Option<String>,
    #[api(removed_in = 2)]
    pub isbn: Option<String>,
    #[api(updated_at)]
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// Titles are stored trimmed, whichever version wrote them.
struct Trim;

impl Hooks<Book> for Trim {
    async fn before_create(&self, _: &HookContext, b: &mut BookCreate) -> ApiResult<()> {
        b.name = b.name.trim().to_string();
        Ok(())
    }
}

async fn ctx(backend: Backend) -> Ctx {
    let app = App::new(Config::default()).resource::<Book>().hooks(Trim);
    Ctx::from_app(backend, app).await
}

fn header<'a>(r: &'a Resp, name: &str) -> Vec<&'a str> {
    r.headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect()
}

async fn side_by_side(backend: Backend) {
    let c = ctx(backend).await;
    // v1 writes with its names; the hook runs for it too.
    let r = c
        .post(
            "/v1/books",
            json!({"title": "  Dune ", "isbn": "978-0441013593"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(
        r.json,
        json!({"id": r.json["id"], "title": "Dune", "isbn": "978-0441013593", "updated_at": r.json["updated_at"]}),
        "v1 sees exactly its own fields"
    );
    let id = r.json["id"].as_i64().unwrap();
    // v2 reads the same row with its names and the added fields' values.
    let r = c.get(&format!("/v2/books/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["name"], "Dune");
    assert_eq!(r.json["pages"], 0, "the declared default: {}", r.json);
    assert_eq!(r.json["language"], Value::Null);
    assert!(
        r.json.get("isbn").is_none() && r.json.get("title").is_none(),
        "{}",
        r.json
    );
    // v2 writes; v1 reads its view of it and keeps what it cannot see.
    let r = c
        .json(
            "PATCH",
            &format!("/v2/books/{id}"),
            json!({"pages": 412, "language": "en"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = c
        .json(
            "PUT",
            &format!("/v1/books/{id}"),
            json!({"title": "Dune (1965)", "isbn": "0-441-17271-7"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = c.get(&format!("/v2/books/{id}")).await;
    assert_eq!(
        (&r.json["name"], &r.json["pages"], &r.json["language"]),
        (&json!("Dune (1965)"), &json!(412), &json!("en")),
        "a v1 replace keeps the fields v1 does not have (and the cache saw the v1 write): {}",
        r.json
    );
    // A v2 create without `isbn` leaves it empty for v1.
    let r = c
        .post("/v2/books", json!({"name": "Emma", "pages": 300}))
        .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let emma = r.json["id"].as_i64().unwrap();
    let r = c.get(&format!("/v1/books/{emma}")).await;
    assert_eq!(
        (&r.json["title"], &r.json["isbn"]),
        (&json!("Emma"), &Value::Null)
    );
    // Each version refuses the other's names, and says which it has.
    let r = c.post("/v1/books", json!({"title": "X", "pages": 3})).await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert_eq!(r.json["errors"][0]["field"], "pages");
    let r = c.post("/v2/books", json!({"name": "X", "isbn": "1"})).await;
    assert_eq!(r.status, 422, "{}", r.json);
    assert_eq!(r.json["errors"][0]["code"], "unknown");
    let r = c.get("/v1/books?language=en").await;
    assert_eq!(r.status, 400, "v1 has no language to filter by: {}", r.json);
    // Filters and sorts use each version's names.
    let r = c.get("/v1/books?title=Emma").await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1, "{}", r.json);
    let r = c.get("/v2/books?language=en&sort=-name").await;
    assert_eq!(r.json["items"][0]["id"], id, "{}", r.json);
    // v1 announces its retirement on every answer; v2 says nothing.
    let r = c.get(&format!("/v1/books/{id}")).await;
    assert_eq!(header(&r, "deprecation"), ["@1796083200"]);
    assert_eq!(header(&r, "sunset"), ["Wed, 30 Jun 2027 00:00:00 GMT"]);
    assert_eq!(
        header(&r, "link"),
        [format!("</v2/books/{id}>; rel=\"successor-version\"")]
    );
    let r = c.get("/v1/books?limit=1").await;
    let links = header(&r, "link");
    assert!(
        links.iter().any(|l| l.contains("rel=\"next\""))
            && links.contains(&"</v2/books>; rel=\"successor-version\""),
        "{links:?}"
    );
    let r = c.post("/v1/books", json!({})).await;
    assert_eq!(r.status, 422);
    assert_eq!(header(&r, "deprecation"), ["@1796083200"], "refusals too");
    let r = c.get(&format!("/v2/books/{id}")).await;
    assert!(header(&r, "deprecation").is_empty() && header(&r, "sunset").is_empty());
    c.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_side_by_side_on_sqlite() {
    side_by_side(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_side_by_side_on_postgres() {
    side_by_side(Backend::Postgres).await;
}

/// One document per version (v1's operations deprecated), the newest at
/// `/openapi.json`; GraphQL serves the newest version.
#[tokio::test]
async fn a_document_per_version() {
    let c = ctx(Backend::Sqlite).await;
    let v1 = c.get("/v1/openapi.json").await.json;
    let v2 = c.get("/v2/openapi.json").await.json;
    let newest = c.get("/openapi.json").await.json;
    assert_eq!(v2["paths"], newest["paths"]);
    assert!(v1["paths"].get("/v2/books").is_none() && v1["paths"].get("/v1/books").is_some());
    let props = |doc: &Value, schema: &str| -> Vec<String> {
        let mut p: Vec<String> = doc["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{schema} in {doc}"))
            .keys()
            .cloned()
            .collect();
        p.sort();
        p
    };
    assert_eq!(props(&v1, "Book"), ["id", "isbn", "title", "updated_at"]);
    assert_eq!(
        props(&v2, "Book"),
        ["id", "language", "name", "pages", "updated_at"]
    );
    assert_eq!(
        v2["components"]["schemas"]["BookCreate"]["properties"]["pages"]["default"],
        0
    );
    let create = &v2["components"]["schemas"]["BookCreate"]["required"];
    assert_eq!(
        create,
        &json!(["name"]),
        "a field with a default is not required"
    );
    let list = &v1["paths"]["/v1/books"]["get"];
    assert_eq!(list["deprecated"], true, "{list}");
    assert!(list["description"].as_str().unwrap().contains("Sunset"));
    assert!(v2["paths"]["/v2/books"]["get"].get("deprecated").is_none());
    let r = c
        .graphql("{ books { items { name pages language } } }", json!({}))
        .await;
    assert!(r.get("errors").is_none(), "{r}");
    c.cleanup().await;
}

/// Requests are counted per API version, so operators see when v1 is unused.
#[tokio::test]
async fn requests_are_counted_per_version() {
    let c = ctx(Backend::Sqlite).await;
    for _ in 0..3 {
        c.get("/v1/books").await;
    }
    c.get("/v2/books").await;
    let text = String::from_utf8(c.get("/metrics").await.raw).unwrap();
    let count = |v: &str| -> f64 {
        let prefix = format!(r#"api_version_requests_total{{resource="books",version="{v}"}} "#);
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
            .parse()
            .unwrap()
    };
    assert!(count("v1") >= 3.0 && count("v2") >= 1.0);
    c.cleanup().await;
}

/// Typed access works on the newest version, over the same rows.
#[tokio::test]
async fn typed_access_is_the_newest_version() {
    let c = ctx(Backend::Sqlite).await;
    let api = c.server.api();
    let b = api
        .of::<Book>()
        .create(BookCreate {
            name: " Ulysses ".into(),
            pages: 730,
            language: Some("en".into()),
            isbn: None,
        })
        .await
        .unwrap();
    assert_eq!((b.name.as_str(), b.pages), ("Ulysses", 730));
    let r = c.get(&format!("/v1/books/{}", b.id)).await;
    assert_eq!(r.json["title"], "Ulysses", "{}", r.json);
    c.cleanup().await;
}
