//! Per resource the API class, and the `ApiClient` that holds them.

use crate::access::{sentence, summary, uniform, Action};
use crate::names::{doc, string_lit};
use crate::types::Kind;
use crate::{Ctx, ResCtx, HEADER};
use resourceful_spec::OnDelete;
use std::fmt::Write;

/// `lib/src/api/<resource>_api.dart`
pub fn resource(ctx: &Ctx, r: &ResCtx) -> String {
    let _ = ctx;
    let mut o = String::from(HEADER);
    o.push('\n');
    o.push_str("import '../models/");
    o.push_str(&r.file);
    o.push_str(".dart';\n");
    o.push_str("import '../runtime/core.dart';\n");
    if matches!(
        r.id().kind,
        Kind::Int | Kind::Double | Kind::Bool | Kind::DateTime | Kind::Date
    ) {
        o.push_str("import '../runtime/json.dart' as _rt;\n");
    }
    if matches!(r.id().kind, Kind::Enum(_)) {
        o.push_str("import '../models/enums.dart';\n");
    }
    o.push('\n');

    let m = &r.model;
    let id = r.id();
    let route = m.route();
    let mut text = format!("`{route}`");
    if !m.doc.trim().is_empty() {
        text.push_str(": ");
        text.push_str(m.doc.trim());
    }
    let list = |it: Vec<&str>| {
        if it.is_empty() {
            "none".to_string()
        } else {
            it.iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let _ = write!(
        text,
        "\n\nFilterable: {}. Sortable: {}. Pages of {} by default, at most {}.",
        list(r.filterable().map(|f| f.wire()).collect()),
        list(r.sortable().map(|f| f.wire()).collect()),
        m.page_size,
        m.max_page_size
    );
    match m.client_cache_secs {
        Some(s) => {
            let _ = write!(
                text,
                " The server lets clients reuse a read for {s} s (`Cache-Control: max-age`)."
            );
        }
        None => {
            text.push_str(" Cached reads are revalidated every time (`no-cache`, If-None-Match).");
        }
    }
    if let Some(all) = uniform(m) {
        let _ = write!(text, "\n\nAccess: {all}");
    } else {
        text.push_str("\n\nAccess:\n");
        for a in Action::ALL {
            let _ = writeln!(text, "- {}: {}", ops(a), sentence(m, a));
        }
    }
    o.push_str(&doc(text.trim_end(), ""));
    let c = &r.class;
    let _ = writeln!(
        o,
        "class {} extends ResourceApi<{c}, {}, {c}Create, {c}Patch, {c}Filter> {{",
        r.api_class,
        id.kind.dart()
    );
    let _ = writeln!(o, "  {}(ApiCore core, {{Duration? cacheTtl}})", r.api_class);
    o.push_str("      : super(\n          core,\n");
    let _ = writeln!(o, "          resource: {},", string_lit(m.path));
    let _ = writeln!(o, "          route: {},", string_lit(&route));
    let _ = writeln!(o, "          idField: {},", id.wire_lit());
    let _ = writeln!(o, "          fromJson: (json) => {c}.fromJson(json),");
    let _ = writeln!(o, "          idOf: (item) => item.{},", id.name);
    let enc = match &id.kind {
        Kind::String | Kind::Uuid => "id".to_string(),
        Kind::Enum(_) => "id.wire".to_string(),
        k => format!("{}(id)", k.encoder()),
    };
    let _ = writeln!(o, "          encodeId: (id) => {enc},");
    o.push_str("          cacheTtl: cacheTtl,\n");
    let _ = writeln!(o, "          pageSize: {},", m.page_size);
    let _ = writeln!(o, "          maxPageSize: {},", m.max_page_size);
    o.push_str("        );\n}\n");
    o
}

/// The `ResourceApi` methods each action covers.
fn ops(a: Action) -> &'static str {
    match a {
        Action::Read => {
            "`list`, `pages`, `all`, `get`, `tryGet`, `getVersioned`, `watch`, `watchList`"
        }
        Action::Create => "`create`, `createMany`",
        Action::Update => "`update`, `replace`",
        Action::Delete => "`delete`",
    }
}

/// Resource path → the resources a delete there changes too: `cascade`
/// relations transitively, `set_null` ones directly.
pub fn cascades(ctx: &Ctx) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for target in &ctx.resources {
        let mut found: Vec<String> = Vec::new();
        let mut queue: Vec<&str> = vec![target.model.path];
        while let Some(path) = queue.pop() {
            for r in &ctx.resources {
                for f in r.model.fields {
                    let Some(rel) = f.relation else { continue };
                    if rel.resource != path || rel.on_delete == OnDelete::Restrict {
                        continue;
                    }
                    let p = r.model.path.to_string();
                    if p != target.model.path && !found.contains(&p) {
                        found.push(p);
                        if rel.on_delete == OnDelete::Cascade {
                            queue.push(r.model.path);
                        }
                    }
                }
            }
        }
        if !found.is_empty() {
            // Declaration order, whatever the discovery order.
            let order = |p: &String| {
                ctx.resources
                    .iter()
                    .position(|r| r.model.path == p.as_str())
            };
            found.sort_by_key(order);
            out.push((target.model.path.to_string(), found));
        }
    }
    out
}

/// `lib/src/client.dart`
pub fn client(ctx: &Ctx) -> String {
    let mut o = String::from(HEADER);
    o.push('\n');
    for r in &ctx.resources {
        let _ = writeln!(o, "import 'api/{}_api.dart';", r.api_file);
    }
    o.push_str("import 'runtime/cache.dart';\n");
    o.push_str("import 'runtime/changes.dart';\n");
    o.push_str("import 'runtime/core.dart';\n");
    o.push_str("import 'runtime/deprecation.dart';\n");
    o.push_str("import 'runtime/default_transport.dart'\n    if (dart.library.io) 'runtime/default_transport_io.dart';\n");
    o.push_str("import 'runtime/graphql.dart';\n");
    o.push_str("import 'runtime/transport.dart';\n\n");

    o.push_str(
        "/// The API client: one member per resource.\n\
         ///\n\
         /// ```dart\n\
         /// final client = ApiClient(baseUrl: 'https://api.example.com');\n",
    );
    if let Some(r) = ctx.resources.first() {
        let _ = writeln!(
            o,
            "/// final page = await client.{}.list(limit: 20);",
            r.member
        );
    }
    o.push_str("/// ```\n");
    o.push_str("class ApiClient {\n");
    o.push_str(
        "  /// [baseUrl] is the server's root (`https://api.example.com`); routes\n\
         \x20 /// such as `/v1/…` are appended to it.\n\
         \x20 ///\n\
         \x20 /// [transport] sends the requests; by default a `dart:io` `HttpClient`\n\
         \x20 /// (on the web, pass an adapter over `package:http` or `dio`).\n\
         \x20 /// [cache] keeps responses with their `ETag`s; in memory by default, or\n\
         \x20 /// `NoCacheStorage()` for none; entries are kept per caller. [headers] go\n\
         \x20 /// with every request. By default a cached read is used without asking\n\
         \x20 /// the server only within its `Cache-Control: max-age` (`no-cache`: never);\n\
         \x20 /// [cacheTtl], if given, replaces that window for every resource.\n\
         \x20 /// [retries] and [maxRetryDelay]: see `ApiCore.retries`.\n\
         \x20 ///\n\
         \x20 /// [getToken] is asked before every request; its token goes as\n\
         \x20 /// `authorization: Bearer …`. [refreshToken] is called when a request is\n\
         \x20 /// answered 401: the request is sent once more with the token it returns\n\
         \x20 /// (null gives up); a second 401 throws `UnauthorizedException`. Requests\n\
         \x20 /// answered 401 meanwhile share the one call.\n\
         \x20 ///\n\
         \x20 /// [onDeprecation] is called once per route, the first time one of its\n\
         \x20 /// responses announces the route's retirement (`Deprecation`, `Sunset`,\n\
         \x20 /// `Link: <…>; rel=\"successor-version\"`), with a `DeprecationNotice`.\n\
         \x20 ///\n\
         \x20 /// [persistedQueries]: whether [graphql] sends a document's hash first\n\
         \x20 /// (automatic persisted queries; `persisted:` per call).\n",
    );
    o.push_str(
        "  factory ApiClient({\n    required String baseUrl,\n    ApiTransport? transport,\n    CacheStorage? cache,\n    Map<String, String> headers = const <String, String>{},\n    Duration? cacheTtl,\n    int retries = 2,\n    Duration maxRetryDelay = const Duration(seconds: 5),\n    TokenProvider? getToken,\n    TokenProvider? refreshToken,\n    DeprecationCallback? onDeprecation,\n    bool persistedQueries = true,\n  }) {\n",
    );
    o.push_str(
        "    final core = ApiCore(\n      baseUrl: baseUrl,\n      transport: transport ?? createDefaultTransport(),\n      cache: cache ?? MemoryCacheStorage(),\n      headers: headers,\n      cascades: _cascades,\n      retries: retries,\n      maxRetryDelay: maxRetryDelay,\n      getToken: getToken,\n      refreshToken: refreshToken,\n      onDeprecation: onDeprecation,\n    );\n    return ApiClient._(core, cacheTtl, persistedQueries);\n  }\n\n",
    );
    o.push_str("  ApiClient._(this._core, Duration? cacheTtl, bool persistedQueries)\n");
    let inits: Vec<String> = ctx
        .resources
        .iter()
        .map(|r| format!("{} = {}(_core, cacheTtl: cacheTtl)", r.member, r.api_class))
        .chain([
            "maintenance = MaintenanceApi(_core)".to_string(),
            "_graphql = GraphQLApi(_core, persistedQueries: persistedQueries)".to_string(),
        ])
        .collect();
    for (i, init) in inits.iter().enumerate() {
        let lead = if i == 0 { "      : " } else { "        " };
        let end = if i + 1 == inits.len() { ";" } else { "," };
        let _ = writeln!(o, "{lead}{init}{end}");
    }
    o.push('\n');
    o.push_str("  final ApiCore _core;\n\n  final GraphQLApi _graphql;\n\n");
    for r in &ctx.resources {
        let mut text = format!("`{}`", r.model.route());
        if !r.model.doc.trim().is_empty() {
            text.push_str(": ");
            text.push_str(r.model.doc.trim());
        }
        text.push_str("\n\n");
        text.push_str(&summary(&r.model));
        o.push_str(&doc(&text, "  "));
        let _ = writeln!(o, "  final {} {};\n", r.api_class, r.member);
    }
    o.push_str(
        "  /// Maintenance windows: `list()` fetches the schedule, `current` and\n\
         \x20 /// `changes` follow the `Maintenance` field of every response. A request\n\
         \x20 /// an active window refuses throws `MaintenanceException`.\n\
         \x20 final MaintenanceApi maintenance;\n\n",
    );
    o.push_str(
        "  /// Runs a GraphQL operation at `/graphql` (the server's current schema)\n\
         \x20 /// and returns its `data`:\n\
         \x20 ///\n\
         \x20 /// ```dart\n\
         \x20 /// final data = await client.graphql(\n\
         \x20 ///   r'query Task($id: ID!) { task(id: $id) { title } }',\n\
         \x20 ///   variables: {'id': '1'},\n\
         \x20 /// );\n\
         \x20 /// ```\n\
         \x20 ///\n\
         \x20 /// Automatic persisted queries: the document's SHA-256 goes first and\n\
         \x20 /// its text only when the server answers `PERSISTED_QUERY_NOT_FOUND` (the\n\
         \x20 /// hash is computed once per document). `persisted: false`, or\n\
         \x20 /// `persistedQueries: false` for the client, sends the text every time.\n\
         \x20 /// An answer with `errors` throws `GraphQLException` (`errors`, `code`,\n\
         \x20 /// `path`, and the partial `data`); a refused token, a maintenance window\n\
         \x20 /// or a network failure throws what every other call throws. Mutations\n\
         \x20 /// are not sent again after a lost answer.\n\
         \x20 Future<Map<String, dynamic>> graphql(\n\
         \x20   String document, {\n\
         \x20   Map<String, Object?>? variables,\n\
         \x20   String? operationName,\n\
         \x20   bool? persisted,\n\
         \x20   Map<String, String> headers = const <String, String>{},\n\
         \x20 }) =>\n\
         \x20     _graphql.request(document,\n\
         \x20         variables: variables, operationName: operationName, persisted: persisted, headers: headers);\n\n\
         \x20 /// Every change made through this client (creates, updates, deletes).\n\
         \x20 Stream<ResourceChange> get changes => _core.changes;\n\n\
         \x20 /// The response cache.\n\
         \x20 CacheStorage get cache => _core.cache;\n\n\
         \x20 /// Empties the response cache (for example when the user signs out).\n\
         \x20 Future<void> clearCache() => _core.cache.clear();\n\n\
         \x20 /// Closes the transport and ends [changes].\n\
         \x20 void close() => _core.close();\n}\n\n",
    );
    let cascades = cascades(ctx);
    o.push_str("/// Resource → the resources whose records a delete there removes or changes.\n");
    if cascades.is_empty() {
        o.push_str("const Map<String, List<String>> _cascades = <String, List<String>>{};\n");
    } else {
        o.push_str("const Map<String, List<String>> _cascades = <String, List<String>>{\n");
        for (k, v) in cascades {
            let list: Vec<String> = v.iter().map(|p| string_lit(p)).collect();
            let _ = writeln!(o, "  {}: <String>[{}],", string_lit(&k), list.join(", "));
        }
        o.push_str("};\n");
    }
    o
}
