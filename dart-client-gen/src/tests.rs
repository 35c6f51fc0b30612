//! Generator tests on the example declarations and on edge cases.

use super::*;
use resourceful_spec::parse::parse_source;

const SRC: &str = r#"
use resourceful::prelude::*;
/// Where a task is.
#[api_enum] pub enum TaskStatus { Todo, InProgress, Done }
/// A project.
#[api_resource(path = "projects", cache_ttl = "10m", client_cache = "30s")]
pub struct Project {
    #[api(id)] pub id: i64,
    #[api(filter, sort, unique, length(min = 1, max = 120))] pub name: String,
    pub due_on: Option<chrono::NaiveDate>,
    #[api(created_at, sort)] pub created_at: chrono::DateTime<chrono::Utc>,
}
/// A task.
#[api_resource(path = "tasks")]
pub struct Task {
    #[api(id)] pub id: i64,
    #[api(filter, sort)] pub title: String,
    #[api(filter)] pub notes: Option<String>,
    #[api(filter)] pub status: TaskStatus,
    #[api(filter)] pub done: bool,
    #[api(filter, sort)] pub estimate: Option<f64>,
    #[api(filter, relation(resource = "projects", on_delete = "cascade"))] pub project_id: i64,
    #[api(hidden)] pub secret: Option<String>,
}
#[api_resource(path = "comments")]
pub struct Comment {
    #[api(id)] pub id: uuid::Uuid,
    #[api(filter, relation(resource = "tasks", on_delete = "cascade"))] pub task_id: i64,
    pub body: String,
}
"#;

fn gen() -> Vec<File> {
    let decl = parse_source(&[("r.rs".into(), SRC.into())]).unwrap();
    generate(
        &decl,
        &Options {
            package: "demo_client".into(),
            version: "1.2.3".into(),
        },
    )
}

fn file<'a>(files: &'a [File], path: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.0 == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .1
}

#[test]
fn layout_and_determinism() {
    let a = gen();
    let b = gen();
    assert_eq!(a, b);
    let paths: Vec<&str> = a.iter().map(|f| f.0.as_str()).collect();
    for p in [
        "pubspec.yaml",
        "README.md",
        "lib/demo_client.dart",
        "lib/io.dart",
        "lib/src/client.dart",
        "lib/src/models/enums.dart",
        "lib/src/models/task.dart",
        "lib/src/api/tasks_api.dart",
        "lib/src/runtime/core.dart",
        "lib/src/runtime/io_transport.dart",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    let pubspec = file(&a, "pubspec.yaml");
    assert!(pubspec.contains("name: demo_client\n"));
    assert!(pubspec.contains("version: 1.2.3\n"));
    assert!(pubspec.contains("sdk: '>=2.16.0 <4.0.0'"));
    assert!(!pubspec.contains("dependencies"));
}

#[test]
fn library_exports_everything_but_dart_io() {
    let files = gen();
    let lib = file(&files, "lib/demo_client.dart");
    assert!(lib.contains("export 'src/models/task.dart';"));
    assert!(lib.contains("export 'src/api/tasks_api.dart';"));
    assert!(!lib.contains("io_transport"));
    assert!(file(&files, "lib/io.dart").contains("export 'src/runtime/io_transport.dart';"));
    for (path, text) in &files {
        if path.ends_with(".dart") && !path.ends_with("io_transport.dart") {
            assert!(!text.contains("import 'dart:io'"), "{path} imports dart:io");
        }
    }
}

#[test]
fn models() {
    let files = gen();
    let t = file(&files, "lib/src/models/task.dart");
    assert!(t.contains("class Task {"));
    assert!(t.contains("    required this.title,\n"));
    assert!(t.contains("    this.notes,\n"));
    assert!(t.contains("final String? notes;"));
    assert!(t.contains("final double? estimate;"));
    assert!(t.contains("projectId: _rt.readInt(json, 'project_id'),"));
    assert!(t.contains(
        "status: _rt.readEnum<TaskStatus>(json, 'status', TaskStatusWire.fromWireOrUnknown),"
    ));
    // An unknown enum value keeps its wire value, sent back by toJson.
    assert!(t.contains("statusRaw: _rt.unknownWire(json, 'status', TaskStatusWire.tryFromWire),"));
    assert!(t.contains("final String? statusRaw;"));
    assert!(t.contains("'status': statusRaw ?? status.wire,"));
    assert!(t.contains("statusRaw: status == null ? statusRaw : null,"));
    assert!(t.contains("statusRaw: model.statusRaw,"));
    // Unknown fields are kept.
    assert!(t.contains("extra: _rt.extraFields(json, const <String>{'id', "));
    assert!(t.contains("final Map<String, dynamic> extra;"));
    assert!(t.contains("_rt.jsonEquals(other.extra, extra)"));
    // Hidden fields are not exposed.
    assert!(!t.contains("secret"));
    // copyWith: Optional for nullable fields.
    assert!(t.contains("Optional<String?>? notes,"));
    assert!(t.contains("notes: notes == null ? this.notes : notes.value,"));
    assert!(t.contains("title: title ?? this.title,"));
    assert!(t.contains("int get hashCode => Object.hashAll(<Object?>[id, title, notes, status, statusRaw, done, estimate, projectId]);"));
    let p = file(&files, "lib/src/models/project.dart");
    assert!(p.contains("dueOn: _rt.readDateOrNull(json, 'due_on'),"));
    assert!(p.contains("'due_on': _rt.formatDateOrNull(dueOn),"));
    assert!(p.contains("createdAt: _rt.readDateTime(json, 'created_at'),"));
    let c = file(&files, "lib/src/models/comment.dart");
    assert!(c.contains("final String id;"));
}

#[test]
fn inputs() {
    let files = gen();
    let t = file(&files, "lib/src/models/task.dart");
    // Create: required named parameters for required fields, no id.
    let create = &t[t.find("class TaskCreate").unwrap()..t.find("class TaskPatch").unwrap()];
    assert!(create.contains("required this.title,"));
    assert!(create.contains("    this.notes,\n"));
    assert!(!create.contains("this.id"));
    assert!(create.contains("if (notes != null) 'notes': notes!,"));
    // Patch: plain nullable for required fields, Optional for nullable ones.
    let patch = &t[t.find("class TaskPatch").unwrap()..t.find("class TaskFilter").unwrap()];
    assert!(patch.contains("final String? title;"));
    assert!(patch.contains("final Optional<String?>? notes;"));
    assert!(patch.contains("if (notes != null) 'notes': notes!.value,"));
    assert!(patch.contains("if (status != null) 'status': status!.wire,"));
    assert!(!patch.contains("projectId") || patch.contains("final int? projectId;"));
    // Projects: server-set fields are not inputs.
    let p = file(&files, "lib/src/models/project.dart");
    let pc = &p[p.find("class ProjectCreate").unwrap()..p.find("class ProjectPatch").unwrap()];
    assert!(!pc.contains("createdAt"));
    assert!(pc.contains("if (dueOn != null) 'due_on': _rt.formatDate(dueOn!),"));
}

#[test]
fn filters_and_sort() {
    let files = gen();
    let t = file(&files, "lib/src/models/task.dart");
    assert!(t.contains("late final OrderedFilter<TaskFilter, int> id = OrderedFilter<TaskFilter, int>(this, 'id', _rt.encodeInt);"));
    assert!(t.contains(
        "late final TextFilter<TaskFilter> title = TextFilter<TaskFilter>(this, 'title');"
    ));
    assert!(t.contains("late final NullableTextFilter<TaskFilter> notes"));
    assert!(t.contains("late final EqualityFilter<TaskFilter, TaskStatus> status = EqualityFilter<TaskFilter, TaskStatus>(this, 'status', (TaskStatus v) => v.wire);"));
    assert!(t.contains("late final EqualityFilter<TaskFilter, bool> done"));
    assert!(t.contains("late final NullableOrderedFilter<TaskFilter, double> estimate"));
    // Only filterable fields (and the id).
    let filter = &t[t.find("class TaskFilter").unwrap()..t.find("class TaskSort").unwrap()];
    assert!(!filter.contains(" secret"));
    let sort = &t[t.find("class TaskSort").unwrap()..];
    assert!(sort.contains("static const SortKey<Task> title = SortKey<Task>('title');"));
    assert!(sort.contains("static const SortKey<Task> id = SortKey<Task>('id');"));
    assert!(!sort.contains(" done "));
}

#[test]
fn enums() {
    let files = gen();
    let e = file(&files, "lib/src/models/enums.dart");
    assert!(e.contains("/// Where a task is.\nenum TaskStatus {"));
    assert!(e.contains("  inProgress,\n"));
    assert!(e.contains("extension TaskStatusWire on TaskStatus {"));
    assert!(
        e.contains("const List<String> _taskStatusWire = <String>['todo', 'in_progress', 'done'];")
    );
    // The fallback for values added later.
    assert!(e.contains("  unknown,\n}"));
    assert!(e.contains(
        "static const List<TaskStatus> known = <TaskStatus>[TaskStatus.todo, TaskStatus.inProgress, TaskStatus.done];"
    ));
    assert!(e.contains("return i < 0 ? TaskStatus.unknown : TaskStatus.values[i];"));
    assert!(e.contains("if (i < 0) throw FormatException('unknown TaskStatus value', wire);"));
}

#[test]
fn api_and_client() {
    let files = gen();
    let a = file(&files, "lib/src/api/tasks_api.dart");
    assert!(a.contains(
        "class TasksApi extends ResourceApi<Task, int, TaskCreate, TaskPatch, TaskFilter> {"
    ));
    assert!(a.contains("route: '/v1/tasks',"));
    // Freshness follows the server's Cache-Control; cacheTtl only overrides.
    assert!(a.contains("cacheTtl: cacheTtl,"));
    assert!(a.contains("Cached reads are revalidated every time"));
    let p = file(&files, "lib/src/api/projects_api.dart");
    assert!(p.contains("The server lets clients reuse a read for 30 s"));
    let readme = file(&files, "README.md");
    assert!(readme.contains("| `client.projects` | 30 s (`max-age=30`) |"));
    assert!(readme.contains("| `client.tasks` | never (`no-cache`: always revalidated) |"));
    assert!(readme.contains("Every enum also has `unknown`"));
    let c = file(&files, "lib/src/api/comments_api.dart");
    assert!(c.contains("ResourceApi<Comment, String,"));
    assert!(c.contains("encodeId: (id) => id,"));
    let client = file(&files, "lib/src/client.dart");
    assert!(client.contains("final TasksApi tasks;"));
    assert!(client.contains("if (dart.library.io) 'runtime/default_transport_io.dart';"));
    // Deleting a project cascades to tasks and, through them, comments.
    assert!(client.contains(
        "  'projects': <String>['tasks', 'comments'],\n  'tasks': <String>['comments'],\n"
    ));
}

#[test]
fn readme_shows_the_flutter_patterns() {
    let files = gen();
    let r = file(&files, "README.md");
    for needle in [
        "RefreshIndicator",
        "onRefresh: widget.client.tasks.refresh",
        "optimistic: item.copyWith(done: value)",
        "StreamProvider.autoDispose.family",
        "class HttpPackageTransport extends ApiTransport",
        "class DioTransport extends ApiTransport",
        "Cubit<ApiPage<Task>?>",
        "| `client.projects` | 30 s (`max-age=30`) |",
    ] {
        assert!(r.contains(needle), "README lacks {needle}");
    }
}

#[test]
fn reserved_names_are_escaped() {
    let src = r#"
        #[api_enum] pub enum Kind { Default, Values, In }
        #[api_resource(path = "pages")]
        pub struct Optional {
            #[api(id)] pub id: String,
            #[api(filter, sort)] pub class: Option<i32>,
            #[api(rename = "hash_code")] pub h: bool,
            #[api(filter)] pub kind: Kind,
        }
    "#;
    let decl = parse_source(&[("r.rs".into(), src.into())]).unwrap();
    let files = generate(
        &decl,
        &Options {
            package: "p".into(),
            version: "0.1.0".into(),
        },
    );
    let m = file(&files, "lib/src/models/optional_model.dart");
    assert!(m.contains("class OptionalModel {"));
    assert!(m.contains("final int? class_;"));
    assert!(m.contains("final bool hashCode_;"));
    assert!(m.contains("class_: _rt.readIntOrNull(json, 'class'),"));
    let e = file(&files, "lib/src/models/enums.dart");
    assert!(e.contains("  default_,\n"));
    assert!(e.contains("  values_,\n"));
    assert!(e.contains("  in_,\n"));
    let a = file(&files, "lib/src/api/pages_api.dart");
    assert!(a.contains("class PagesApi extends ResourceApi<OptionalModel, String,"));
}

#[test]
fn cascades_follow_on_delete() {
    let src = r#"
        #[api_resource(path = "owners")]
        pub struct Owner { #[api(id)] pub id: i64 }
        #[api_resource(path = "pets")]
        pub struct Pet {
            #[api(id)] pub id: i64,
            #[api(relation(resource = "owners", on_delete = "set_null"))] pub owner_id: Option<i64>,
        }
        #[api_resource(path = "toys")]
        pub struct Toy {
            #[api(id)] pub id: i64,
            #[api(relation(resource = "pets", on_delete = "cascade"))] pub pet_id: i64,
            #[api(relation(resource = "owners"))] pub buyer_id: i64,
        }
        #[api_resource(path = "enums")]
        pub struct Enums { #[api(id)] pub id: String }
    "#;
    let decl = parse_source(&[("r.rs".into(), src.into())]).unwrap();
    let files = generate(
        &decl,
        &Options {
            package: "p".into(),
            version: "0.1.0".into(),
        },
    );
    let client = file(&files, "lib/src/client.dart");
    // set_null changes pets but deletes none, so toys are untouched; restrict
    // (the default) changes nothing.
    assert!(
        client.contains("  'owners': <String>['pets'],\n  'pets': <String>['toys'],\n};"),
        "{client}"
    );
    // A resource named like the enums file gets another file.
    assert!(file(&files, "lib/src/models/enums_model.dart").contains("class Enums {"));
    assert!(file(&files, "lib/src/models/enums.dart").contains("no enums"));
    assert!(file(&files, "lib/io.dart").contains("library p.io;"));
}

/// Resources with permissions: open, signed-in, by role, by owner.
const ACCESS_SRC: &str = r#"
#[api_resource(path = "boards", access(read = "authenticated", write = "role:editor"))]
pub struct Board { #[api(id)] pub id: i64, pub title: String }
/// A remark.
#[api_resource(path = "notes", access(
    read = "authenticated",
    create = "authenticated",
    update = "owner | role:admin",
    delete = "owner | role:admin"
))]
pub struct Note {
    #[api(id)] pub id: i64,
    /// Who wrote it.
    #[api(owner, filter)] pub author: String,
    pub body: String,
    #[api(access(read = "role:admin", write = "role:admin"))] pub flag: Option<String>,
    #[api(filter, sort, access(read = "role:admin"))] pub secret_score: i64,
    #[api(access(read = "role:admin"))] pub level: Level,
    pub done: bool,
}
#[api_enum] pub enum Level { Low, High }
#[api_resource(path = "pins", access(read = "owner", write = "owner"))]
pub struct Pin { #[api(id)] pub id: i64, #[api(owner)] pub owner: String }
#[api_resource(path = "tags")]
pub struct Tag { #[api(id)] pub id: i64 }
"#;

/// Doc comments as one line each, whatever the wrapping.
fn flat(s: &str) -> String {
    s.lines()
        .map(|l| l.trim().trim_start_matches("///").trim())
        .collect::<Vec<_>>()
        .join(" ")
}

fn access_files() -> Vec<File> {
    let decl = parse_source(&[("r.rs".into(), ACCESS_SRC.into())]).unwrap();
    generate(
        &decl,
        &Options {
            package: "demo_client".into(),
            version: "1.2.3".into(),
        },
    )
}

#[test]
fn permissions_are_documented_per_operation() {
    let files = access_files();
    let notes = flat(file(&files, "lib/src/api/notes_api.dart"));
    assert!(notes.contains("- `create`, `createMany`: Any signed-in caller. - `update`"));
    assert!(notes.contains("- `update`, `replace`: Only the owner (`author`), or role `admin`."));
    let boards = flat(file(&files, "lib/src/api/boards_api.dart"));
    assert!(boards.contains("- `delete`: Requires role `editor`."));
    let pins = flat(file(&files, "lib/src/api/pins_api.dart"));
    assert!(pins.contains("Only the owner's rows (`owner` is the caller); others' ids answer"));
    assert!(pins.contains("- `create`, `createMany`: Any signed-in caller, who becomes the owner."));
    let client = flat(file(&files, "lib/src/client.dart"));
    assert!(client.contains("Access: read: any signed-in caller. create: requires role `editor`."));
    let r = file(&files, "README.md");
    assert!(r.contains("## Sign-in and permissions"));
    assert!(r.contains("| `client.boards` | Any signed-in caller. | Requires role `editor`. |"));
    assert!(r.contains("| `client.tags` | Anyone, no token needed. |"));
    assert!(r.contains("getToken: session.accessToken,"));
    assert!(r.contains("} on ForbiddenException catch (e) {"));
    assert!(r.contains("| field | Dart type | wire name | create |"));
    assert!(r.contains("| `author` | `String` | `author` | server |"));
}

#[test]
fn owner_fields_are_not_inputs() {
    let files = access_files();
    let n = file(&files, "lib/src/models/note.dart");
    let model = flat(&n[n.find("class Note {").unwrap()..n.find("class NoteCreate").unwrap()]);
    assert!(model.contains("final String author;"));
    assert!(model.contains("Set by the server to the caller (the owner)"));
    assert!(model.contains("Visible to callers with role `admin` only"));
    let inputs = &n[n.find("class NoteCreate").unwrap()..n.find("/// Conditions for").unwrap()];
    assert!(!inputs.contains("author"), "{inputs}");
    assert!(inputs.contains("required this.body,"));
}

#[test]
fn the_runtime_sends_tokens_and_types_auth_errors() {
    let files = gen();
    let client = file(&files, "lib/src/client.dart");
    assert!(client.contains("    TokenProvider? getToken,\n    TokenProvider? refreshToken,\n"));
    assert!(client.contains("      getToken: getToken,\n      refreshToken: refreshToken,\n"));
    let lib = file(&files, "lib/demo_client.dart");
    assert!(lib.contains(
        "export 'src/runtime/core.dart' show MaintenanceApi, ResourceApi, TokenProvider;"
    ));
    let core = file(&files, "lib/src/runtime/core.dart");
    for s in [
        "typedef TokenProvider = Future<String?> Function();",
        "h['authorization'] = 'Bearer $token';",
        "if (response.status == 401 && refreshToken != null) {",
        "return _refreshing ??= _refresh();",
        "stored != null && stored.scope == scope ? stored : null",
    ] {
        assert!(core.contains(s), "core.dart lacks {s}");
    }
    let errors = file(&files, "lib/src/runtime/errors.dart");
    assert!(errors.contains("class UnauthorizedException extends ApiException {"));
    assert!(errors.contains("class ForbiddenException extends ApiException {"));
    assert!(errors.contains("if (e.status == 401) return UnauthorizedException._(e, challenge);"));
    assert!(errors.contains("if (e.status == 403) return ForbiddenException._(e, challenge);"));
    let cache = file(&files, "lib/src/runtime/cache.dart");
    assert!(cache.contains("'scope': scope,"));
}

#[test]
fn problem_types_match_the_runtime() {
    let files = gen();
    let errors = file(&files, "lib/src/runtime/errors.dart");
    for kind in resourceful::error::Kind::ALL {
        let slug = kind
            .type_uri()
            .strip_prefix("urn:resourceful:problem:")
            .unwrap();
        assert!(
            errors.contains(&format!("'${{prefix}}{slug}';")),
            "ProblemType lacks {slug}"
        );
    }
}

#[test]
fn maintenance_windows_reach_the_client() {
    let files = gen();
    let client = file(&files, "lib/src/client.dart");
    assert!(client.contains("  final MaintenanceApi maintenance;\n"));
    assert!(client.contains("        maintenance = MaintenanceApi(_core),\n"));
    let lib = file(&files, "lib/demo_client.dart");
    assert!(lib.contains("export 'src/runtime/maintenance.dart';"));
    assert!(lib.contains("show MaintenanceApi, ResourceApi, TokenProvider;"));
    let errors = file(&files, "lib/src/runtime/errors.dart");
    assert!(errors.contains("class MaintenanceException extends ApiException {"));
    assert!(errors.contains("return MaintenanceException._(e, window);"));
    let core = file(&files, "lib/src/runtime/core.dart");
    assert!(core.contains("_noteAnnouncement(response);"));
    assert!(core.contains("class MaintenanceApi {"));
    let m = file(&files, "lib/src/runtime/maintenance.dart");
    assert!(m.starts_with(HEADER));
    assert!(m.contains("static List<AnnouncedWindow> parseHeader(String? value) {"));
    let r = file(&files, "README.md");
    assert!(r.contains("## Maintenance windows"));
    assert!(r.contains("} on MaintenanceException catch (e) {"));
    assert!(r.contains("w.active && w.affects('tasks')"), "{r}");
    assert!(r.contains("| `MaintenanceException` (an `ApiException`) | 503"));
}

#[test]
fn graphql_goes_through_the_core_with_persisted_queries() {
    let files = gen();
    let client = file(&files, "lib/src/client.dart");
    assert!(client.contains("import 'runtime/graphql.dart';\n"));
    assert!(client.contains("  final GraphQLApi _graphql;\n"));
    assert!(client.contains("  Future<Map<String, dynamic>> graphql(\n    String document, {\n    Map<String, Object?>? variables,\n    String? operationName,\n    bool? persisted,\n"));
    let g = file(&files, "lib/src/runtime/graphql.dart");
    assert!(g.starts_with(HEADER));
    // The hash first, the text with the hash on a miss, the text alone
    // where the server has no persisted queries.
    assert!(g.contains(
        "var answer = await send(<String, Object?>{...base, 'extensions': extensions});"
    ));
    assert!(g.contains("answer = await send(<String, Object?>{...base, 'query': document, 'extensions': extensions});"));
    assert!(
        g.contains("'PERSISTED_QUERY_NOT_FOUND'") && g.contains("'PERSISTED_QUERY_NOT_SUPPORTED'")
    );
    // The same core, no idempotency key the server would ignore, and
    // mutations never resent after a lost answer.
    assert!(g.contains(
        "json: body, headers: headers, keyed: false, unprocessedOnly: unprocessedOnly);"
    ));
    assert!(g.contains("_send(body, headers, unprocessedOnly: !query);"));
    let core = file(&files, "lib/src/runtime/core.dart");
    assert!(core.contains("Future<ApiResponse> sendForAnswer("));
    assert!(core.contains("if (attempt >= retries || unprocessedOnly) rethrow;"));
    let sha = file(&files, "lib/src/runtime/sha256.dart");
    assert!(sha.contains("Uint8List sha256(List<int> bytes) {"));
    assert!(!sha.contains("package:"), "no dependencies");
    let errors = file(&files, "lib/src/runtime/errors.dart");
    assert!(errors.contains("class GraphQLException implements ResourcefulException {"));
    assert!(errors.contains("class GraphQLError {"));
    let lib = file(&files, "lib/demo_client.dart");
    assert!(
        lib.contains("export 'src/runtime/graphql.dart' show graphqlOperationType, graphqlPath;")
    );
    assert!(lib.contains("export 'src/runtime/sha256.dart';"));
    for name in [
        "GraphQLApi",
        "GraphQLError",
        "GraphQLException",
        "GraphQLLocation",
    ] {
        assert!(
            crate::names::TYPE_RESERVED.contains(&name),
            "{name} is not reserved"
        );
    }
    let r = file(&files, "README.md");
    assert!(r.contains("## GraphQL\n"));
    assert!(r.contains("} on GraphQLException catch (e) {"));
}

#[test]
fn a_graphql_resource_is_renamed_on_the_client() {
    let src = r#"#[api_resource(path = "graphql")] pub struct Query { #[api(id)] pub id: i64 }"#;
    let decl = parse_source(&[("r.rs".into(), src.into())]).unwrap();
    let files = generate(
        &decl,
        &Options {
            package: "p".into(),
            version: "0.1.0".into(),
        },
    );
    let client = file(&files, "lib/src/client.dart");
    assert!(
        client.contains("  final GraphqlApi graphql_;\n"),
        "{client}"
    );
    assert!(client.contains("  Future<Map<String, dynamic>> graphql(\n"));
}

#[test]
fn resources_named_like_client_members_are_renamed() {
    let src = r#"
        #[api_resource(path = "maintenance")]
        pub struct Outage { #[api(id)] pub id: i64, pub maintenance: bool }
    "#;
    let decl = parse_source(&[("r.rs".into(), src.into())]).unwrap();
    let files = generate(
        &decl,
        &Options {
            package: "p".into(),
            version: "0.1.0".into(),
        },
    );
    let client = file(&files, "lib/src/client.dart");
    assert!(client.contains("final MaintenanceApi maintenance;"));
    assert!(
        client.contains(
            "      : maintenance_ = MaintenanceResourceApi(_core, cacheTtl: cacheTtl),\n"
        ),
        "{client}"
    );
    assert!(client.contains("  final MaintenanceResourceApi maintenance_;\n"));
    // A field of that name needs no escape.
    assert!(file(&files, "lib/src/models/outage.dart").contains("final bool maintenance;"));
}

#[test]
fn a_client_without_resources_still_has_maintenance() {
    let decl = parse_source(&[("r.rs".into(), "".into())]).unwrap();
    let files = generate(
        &decl,
        &Options {
            package: "p".into(),
            version: "0.1.0".into(),
        },
    );
    let client = file(&files, "lib/src/client.dart");
    assert!(
        client.contains("  ApiClient._(this._core, Duration? cacheTtl, bool persistedQueries)\n      : maintenance = MaintenanceApi(_core),\n        _graphql = GraphQLApi(_core, persistedQueries: persistedQueries);\n"),
        "{client}"
    );
}

#[test]
fn retirement_announcements_reach_the_app() {
    let files = gen();
    let client = file(&files, "lib/src/client.dart");
    assert!(client.contains("import 'runtime/deprecation.dart';\n"));
    assert!(client.contains(
        "    TokenProvider? refreshToken,\n    DeprecationCallback? onDeprecation,\n    bool persistedQueries = true,\n  }) {\n"
    ));
    assert!(client.contains(
        "      refreshToken: refreshToken,\n      onDeprecation: onDeprecation,\n    );\n"
    ));
    assert!(client.contains("/// [onDeprecation] is called once per route"));
    let lib = file(&files, "lib/demo_client.dart");
    assert!(lib.contains("export 'src/runtime/deprecation.dart';"));
    assert!(lib.contains("export 'src/runtime/errors.dart' hide parseHttpDate, parseRetryAfter;"));
    let d = file(&files, "lib/src/runtime/deprecation.dart");
    assert!(d.starts_with(HEADER));
    assert!(d.contains("typedef DeprecationCallback = void Function(DeprecationNotice notice);"));
    assert!(d.contains("static DeprecationNotice? fromHeaders(String route, Uri url, Map<String, String> headers) {"));
    assert!(d.contains("headers['deprecation']") && d.contains("headers['sunset']"));
    assert!(d.contains("rels.contains('successor-version')"));
    assert!(!d.contains("import 'dart:io'"));
    let core = file(&files, "lib/src/runtime/core.dart");
    assert!(core.contains("this.onDeprecation,\n  })"));
    // Every answer is looked at, errors included, before its status.
    assert!(core.contains(
        "        _noteAnnouncement(response);\n        _noteDeprecation(request, response);\n"
    ));
    assert!(core.contains("if (_deprecatedRoutes.contains(route)) return;"));
    let errors = file(&files, "lib/src/runtime/errors.dart");
    assert!(errors.contains("DateTime? parseHttpDate(String s) {"));
    assert!(!errors.contains("_parseHttpDate"));
    let r = file(&files, "README.md");
    assert!(r.contains("## Retirement announcements\n"));
    assert!(r.contains(
        "import 'package:demo_client/demo_client.dart';\n\n/// A client that tells the app's log"
    ));
    assert!(r.contains("      onDeprecation: (notice) => log("));
    assert!(r.contains("(`onDeprecation`)"));
    let sections: Vec<&str> = r.lines().filter(|l| l.starts_with("## ")).collect();
    let at = |s: &str| {
        sections
            .iter()
            .position(|l| *l == s)
            .unwrap_or_else(|| panic!("{s} in {sections:?}"))
    };
    assert!(at("## Maintenance windows") < at("## Retirement announcements"));
    assert!(at("## Retirement announcements") < at("## Cache"));
}

/// A field with a read rule may be missing from a response: the model holds
/// it nullable, required or not, and the inputs keep the declared type.
#[test]
fn read_rules_make_model_fields_nullable() {
    let files = access_files();
    let n = file(&files, "lib/src/models/note.dart");
    let model = &n[n.find("class Note {").unwrap()..n.find("class NoteCreate").unwrap()];
    // Required without a read rule: unchanged.
    assert!(model.contains("    required this.body,\n"));
    assert!(model.contains("  final String body;\n"));
    assert!(model.contains("        body: _rt.readString(json, 'body'),\n"));
    assert!(model.contains("        'body': body,\n"));
    assert!(model.contains("        body: body ?? this.body,\n"));
    assert!(model.contains("    required this.done,\n"));
    assert!(model.contains("  final bool done;\n"));
    // Required with a read rule: nullable, and absent reads as null.
    assert!(model.contains("    this.secretScore,\n"), "{model}");
    assert!(!model.contains("required this.secretScore"));
    assert!(model.contains("  final int? secretScore;\n"));
    assert!(model.contains("        secretScore: _rt.readIntOrNull(json, 'secret_score'),\n"));
    assert!(!model.contains("_rt.readInt(json, 'secret_score')"));
    assert!(model.contains("        if (secretScore != null) 'secret_score': secretScore!,\n"));
    assert!(model.contains("    Optional<int?>? secretScore,\n"));
    assert!(model.contains(
        "        secretScore: secretScore == null ? this.secretScore : secretScore.value,\n"
    ));
    // An enum, too; its raw value still goes back.
    assert!(model.contains("  final Level? level;\n"));
    assert!(model.contains(
        "        level: _rt.readEnumOrNull<Level>(json, 'level', LevelWire.fromWireOrUnknown),\n"
    ));
    assert!(model.contains("        if (level != null) 'level': levelRaw ?? level!.wire,\n"));
    assert!(model.contains("    Optional<Level?>? level,\n"));
    // Optional with a read rule: nullable as before, left out when null.
    assert!(model.contains("  final String? flag;\n"));
    assert!(model.contains("        flag: _rt.readStringOrNull(json, 'flag'),\n"));
    assert!(model.contains("        if (flag != null) 'flag': flag!,\n"));
    assert!(model.contains("int get hashCode => Object.hashAll(<Object?>[id, author, body, flag, secretScore, level, levelRaw, done]);"));
    // What null means.
    let docs = flat(model);
    assert!(docs.contains(
        "Visible to callers with role `admin` only; left out of other callers' responses. \
         Null only when it is not visible to this caller (always set otherwise). final int? secretScore;"
    ), "{docs}");
    assert!(docs
        .contains("Null when it is not set, or not visible to this caller. final String? flag;"));
    assert!(!docs.contains("not visible to this caller (always set otherwise). final String body;"));
    assert!(docs.contains("A field with a read rule may be missing"));
    assert!(docs.contains("A field with a read rule is left out when null"));

    // Inputs follow the declaration (and write rules), not the read rule.
    let create = &n[n.find("class NoteCreate").unwrap()..n.find("class NotePatch").unwrap()];
    assert!(create.contains("    required this.secretScore,\n"));
    assert!(create.contains("  final int secretScore;\n"));
    assert!(create.contains("        'secret_score': secretScore,\n"));
    assert!(create.contains("  final Level level;\n"));
    // A replace from a model that lacks a required field cannot be built.
    assert!(create.contains(
        "        secretScore: model.secretScore ?? (throw StateError('NoteCreate.fromModel: `secret_score` is not visible to this caller (read rule)')),\n"
    ), "{create}");
    assert!(create.contains("        flag: model.flag,\n"));
    assert!(create.contains("        body: model.body,\n"));
    assert!(flat(create).contains("Throws [StateError] when a required field with a read rule ([secretScore], [level]) is null"));
    let patch = &n[n.find("class NotePatch").unwrap()..n.find("class NoteFilter").unwrap()];
    assert!(patch.contains("  final int? secretScore;\n"));
    assert!(patch.contains("  final Optional<String?>? flag;\n"));
    // Filters and sort keys follow the column, which is not nullable.
    assert!(n.contains("late final OrderedFilter<NoteFilter, int> secretScore"));
    assert!(n.contains("static const SortKey<Note> secretScore = SortKey<Note>('secret_score');"));

    // Models without read rules say nothing of it.
    let b = file(&files, "lib/src/models/board.dart");
    assert!(!b.contains("read rule"));
    assert!(b.contains("  final String title;\n"));
    assert!(b.contains("        'title': title,\n"));

    // The README's examples use no field that may be missing, and its
    // reference names those that may.
    let r = file(&files, "README.md");
    assert!(r.contains("| `secretScore` | `int` | `secret_score` | required |"));
    assert!(r.contains(
        "With a read rule, left out of the responses to callers outside it: `flag`, `secretScore`, `level`. `Note` holds them nullable"
    ), "{r}");
    assert!(r.contains("title: Text(item.author),"));
    assert!(r.contains("optimistic: item.copyWith(done: value),"));
}
