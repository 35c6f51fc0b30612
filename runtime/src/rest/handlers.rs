//! The generic REST handlers. They hold no resource-specific code: the
//! model in [`RestState`] drives everything.

use super::body::{read_json, Accepts};
use super::idempotency::{self, Admission, Outcome};
use super::RestState;
use crate::cache::CachedList;
use crate::context::Context;
use crate::error::{ApiError, ApiResult, Kind};
use crate::input::Mode;
use crate::permissions::{self, Action, FieldMask};
use crate::query::parse_rest_query;
use crate::query::scope::Resolved;
use crate::representation::{etag_matches, etag_of, Representation};
use crate::service::WriteTx;
use crate::value::{RecordJson, Value};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

type St = State<Arc<RestState>>;

const JSON: HeaderValue = HeaderValue::from_static("application/json");

pub(super) fn json_response(
    status: StatusCode,
    body: impl Into<Body>,
    etag: Option<HeaderValue>,
) -> Response {
    let mut res = Response::new(body.into());
    *res.status_mut() = status;
    // Room for what the stack adds (length, request id, two RateLimit fields):
    // one allocation, no rehash while they are inserted.
    *res.headers_mut() = HeaderMap::with_capacity(6);
    res.headers_mut().insert(header::CONTENT_TYPE, JSON);
    if let Some(e) = etag {
        res.headers_mut().insert(header::ETAG, e);
    }
    res
}

fn not_modified(etag: HeaderValue) -> Response {
    let mut res = StatusCode::NOT_MODIFIED.into_response();
    res.headers_mut().insert(header::ETAG, etag);
    res
}

fn header_str<'a>(h: &'a HeaderMap, name: header::HeaderName) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The `If-None-Match` field alone: a `HeaderMap` extractor would clone
/// every header of every read.
pub struct IfNoneMatch(Option<HeaderValue>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IfNoneMatch {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(IfNoneMatch(
            parts.headers.get(header::IF_NONE_MATCH).cloned(),
        ))
    }
}

impl IfNoneMatch {
    fn matches(&self, etag: &str) -> bool {
        self.0
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .is_some_and(|h| etag_matches(h, etag, true))
    }
}

/// `GET /v1/tasks?filter…&sort=…&limit=…&cursor=…`
pub async fn list(
    State(st): St,
    RawQuery(raw): RawQuery,
    inm: IfNoneMatch,
    ctx: Context,
) -> ApiResult<Response> {
    let raw = raw.unwrap_or_default();
    let scope = st.svc.scope(&ctx)?;
    let hidden = st.svc.hidden_fields(&ctx);
    // Callers with different scopes or views see different pages.
    let key = match (&scope, hidden.is_empty()) {
        (None, true) => std::borrow::Cow::Borrowed(raw.as_str()),
        (s, _) => format!(
            "{raw}\u{0}{}\u{0}{}",
            s.as_ref().map(|s| s.key()).unwrap_or_default(),
            hidden.key()
        )
        .into(),
    };
    let page = st
        .svc
        .cached_list(&key, || render_list(&st, &raw, scope.as_ref(), hidden))
        .await?;
    if inm.matches(&page.etag) {
        return Ok(private(&st, not_modified(page.etag_header.clone())));
    }
    let mut res = json_response(
        StatusCode::OK,
        page.body.clone(),
        Some(page.etag_header.clone()),
    );
    if let Some(link) = &page.link {
        res.headers_mut().insert(header::LINK, link.clone());
    }
    Ok(private(&st, res))
}

/// A read's `Cache-Control`: clients may reuse it for the resource's
/// `client_cache` (`max-age`), or revalidate every time (`no-cache`, an
/// `If-None-Match` answered 304). One that depends on the caller is for the
/// caller alone: shared caches must not keep it, and one keyed on the URL
/// must tell callers apart.
fn private(st: &RestState, mut res: Response) -> Response {
    let value = &st.cache_control;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, value.clone());
    if st.svc.varies_by_caller() {
        h.append(header::VARY, HeaderValue::from_static("authorization"));
    }
    res
}

/// The `Cache-Control` of a resource's reads.
pub fn cache_control(model: &crate::model::ResourceModel, varies_by_caller: bool) -> HeaderValue {
    let reuse = match model.client_cache_secs {
        Some(n) if n > 0 => format!("max-age={n}"),
        _ => "no-cache".to_string(),
    };
    let v = if varies_by_caller {
        format!("private, {reuse}")
    } else {
        reuse
    };
    HeaderValue::from_str(&v).expect("ascii")
}

/// Runs the list query and renders body, ETag and `Link` once (cacheable).
async fn render_list(
    st: &RestState,
    raw: &str,
    scope: Option<&Resolved>,
    hidden: FieldMask,
) -> ApiResult<Arc<CachedList>> {
    let model = st.svc.model;
    let q = parse_rest_query(model, Some(raw))?;
    st.svc.refuse_hidden_in_query(&q, hidden)?;
    let page = st.svc.list(scope, &q).await?;
    let items: Vec<RecordJson> = page
        .records
        .iter()
        .map(|r| RecordJson {
            model,
            record: r,
            hidden,
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({
        "items": items,
        "next_cursor": page.next_cursor,
        "limit": q.limit,
    }))
    .map_err(ApiError::internal)?;
    let etag = etag_of(&body);
    let link = page.next_cursor.as_ref().map(|c| {
        // Keep the caller's filters and sort; replace cursor/offset.
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            if k != "cursor" && k != "offset" {
                pairs.append_pair(&k, &v);
            }
        }
        pairs.append_pair("cursor", c);
        format!("<{}?{}>; rel=\"next\"", st.base, pairs.finish())
    });
    let link = link.and_then(|l| HeaderValue::from_str(&l).ok());
    let etag_header = HeaderValue::from_str(&etag).map_err(ApiError::internal)?;
    Ok(Arc::new(CachedList {
        body: body.into(),
        etag,
        etag_header,
        link,
    }))
}

/// `GET /v1/tasks/{id}` with `If-None-Match` → 304.
pub async fn get_one(
    State(st): St,
    Path(id): Path<String>,
    inm: IfNoneMatch,
    ctx: Context,
) -> ApiResult<Response> {
    permissions::admit(st.svc.model, Action::Read, &ctx)?;
    let id = st.svc.parse_id(&id)?;
    let mut rep = st
        .svc
        .read(&ctx, &id)
        .await?
        .ok_or_else(|| st.svc.missing(&id))?;
    let hidden = st.svc.hidden_fields(&ctx);
    if !hidden.is_empty() {
        rep = Arc::new(Representation::view(st.svc.model, &rep.record, hidden));
    }
    if inm.matches(&rep.etag) {
        return Ok(private(&st, not_modified(rep.etag_header.clone())));
    }
    Ok(private(
        &st,
        json_response(
            StatusCode::OK,
            rep.json.clone(),
            Some(rep.etag_header.clone()),
        ),
    ))
}

/// `POST /v1/tasks` with an object (201 + Location) or an array (bulk,
/// one transaction); with an `Idempotency-Key`, retries replay the outcome.
pub async fn create(
    State(st): St,
    ctx: Context,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    // Who may ask comes before what was asked: 401/403 before 4xx on input.
    permissions::admit(st.svc.model, Action::Create, &ctx)?;
    st.svc.refuse_if_paused(&ctx)?;
    let key = idempotency::key_of(&headers)?;
    let json = read_json(&headers, body, st.max_body, Accepts::Json).await?;
    let bulk = create_shape(&json)?;
    let hidden = st.svc.hidden_fields(&ctx);
    let Some(key) = key else {
        let recs = st.svc.create(&ctx, items(&json), bulk).await?;
        return created(&st, &recs, bulk, hidden).map(Outcome::into_response);
    };
    let guard = match idempotency::admit(&st, &ctx, key, "POST", &st.base, &json).await? {
        Admission::Run(guard) => guard,
        Admission::Answered(res) => return Ok(res),
    };
    let mut tx = WriteTx::begin(&st.svc.db).await?;
    let out = match st.svc.create_in(&ctx, &mut tx, items(&json), bulk).await {
        Ok(recs) => created(&st, &recs, bulk, hidden),
        Err(e) => Err(e),
    };
    guard.finish(tx, out).await
}

/// Whether a create body is a bulk (an array) or a single object.
fn create_shape(json: &serde_json::Value) -> ApiResult<bool> {
    match json {
        serde_json::Value::Array(items) if items.is_empty() => Err(ApiError::new(
            Kind::Validation,
            "a bulk create needs at least one item",
        )),
        serde_json::Value::Array(_) => Ok(true),
        serde_json::Value::Object(_) => Ok(false),
        _ => Err(ApiError::new(
            Kind::Validation,
            "expected a JSON object (or an array of objects for a bulk create)",
        )),
    }
}

fn items(json: &serde_json::Value) -> &[serde_json::Value] {
    match json {
        serde_json::Value::Array(items) => items,
        one => std::slice::from_ref(one),
    }
}

/// 201 with the created rows (one with its ETag and Location).
fn created(
    st: &RestState,
    recs: &[crate::value::Record],
    bulk: bool,
    hidden: FieldMask,
) -> ApiResult<Outcome> {
    let model = st.svc.model;
    if bulk {
        let out: Vec<RecordJson> = recs
            .iter()
            .map(|r| RecordJson {
                model,
                record: r,
                hidden,
            })
            .collect();
        return Ok(Outcome {
            status: StatusCode::CREATED,
            body: serde_json::to_vec(&out).map_err(ApiError::internal)?.into(),
            etag: None,
            location: None,
        });
    }
    let rec = recs.first().ok_or_else(|| ApiError::internal("no row"))?;
    let rep = Representation::view(model, rec, hidden);
    let loc = format!("{}/{}", st.base, location_id(&rec[model.id_index()]));
    Ok(Outcome {
        status: StatusCode::CREATED,
        body: rep.json,
        etag: Some(rep.etag_header),
        location: HeaderValue::from_str(&loc).ok(),
    })
}

fn location_id(v: &Value) -> String {
    percent_encoding::utf8_percent_encode(&v.to_text(), percent_encoding::NON_ALPHANUMERIC)
        .to_string()
}

async fn update(
    st: Arc<RestState>,
    ctx: Context,
    id: String,
    headers: HeaderMap,
    body: Body,
    mode: Mode,
) -> ApiResult<Response> {
    permissions::admit(st.svc.model, Action::Update, &ctx)?;
    st.svc.refuse_if_paused(&ctx)?;
    let id = st.svc.parse_id(&id)?;
    let accepts = if mode == Mode::Patch {
        Accepts::MergePatch
    } else {
        Accepts::Json
    };
    // PUT is idempotent by itself; PATCH may carry a key.
    let key = match mode {
        Mode::Patch => idempotency::key_of(&headers)?,
        _ => None,
    };
    let json = read_json(&headers, body, st.max_body, accepts).await?;
    let if_match = header_str(&headers, header::IF_MATCH);
    let hidden = st.svc.hidden_fields(&ctx);
    let Some(key) = key else {
        let rec = st.svc.update(&ctx, &id, &json, mode, if_match).await?;
        return Ok(updated(&st, &rec, hidden).into_response());
    };
    let target = format!("{}/{}", st.base, location_id(&id));
    let guard = match idempotency::admit(&st, &ctx, key, "PATCH", &target, &json).await? {
        Admission::Run(guard) => guard,
        Admission::Answered(res) => return Ok(res),
    };
    let mut tx = WriteTx::begin(&st.svc.db).await?;
    let out = st
        .svc
        .update_in(&ctx, &mut tx, &id, &json, mode, if_match)
        .await
        .map(|rec| updated(&st, &rec, hidden));
    guard.finish(tx, out).await
}

fn updated(st: &RestState, rec: &crate::value::Record, hidden: FieldMask) -> Outcome {
    let rep = Representation::view(st.svc.model, rec, hidden);
    Outcome {
        status: StatusCode::OK,
        body: rep.json,
        etag: Some(rep.etag_header),
        location: None,
    }
}

/// `PUT /v1/tasks/{id}`: full replacement.
pub async fn replace(
    State(st): St,
    Path(id): Path<String>,
    ctx: Context,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    update(st, ctx, id, headers, body, Mode::Replace).await
}

/// `PATCH /v1/tasks/{id}`: JSON merge patch.
pub async fn patch(
    State(st): St,
    Path(id): Path<String>,
    ctx: Context,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    update(st, ctx, id, headers, body, Mode::Patch).await
}

/// `DELETE /v1/tasks/{id}` → 204.
pub async fn delete(
    State(st): St,
    Path(id): Path<String>,
    ctx: Context,
    headers: HeaderMap,
) -> ApiResult<Response> {
    permissions::admit(st.svc.model, Action::Delete, &ctx)?;
    st.svc.refuse_if_paused(&ctx)?;
    let id = st.svc.parse_id(&id)?;
    st.svc
        .delete(&ctx, &id, header_str(&headers, header::IF_MATCH))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
