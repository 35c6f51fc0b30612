//! Generator tests: output shape, type mapping, determinism.

use super::*;
use resourceful_spec::parse::parse_source;

const SRC: &str = r#"
    use resourceful::prelude::*;

    /// Where a task is.
    #[api_enum] pub enum TaskStatus { Todo, InProgress, Done }

    /// A project.
    #[api_resource(path = "projects")]
    pub struct Project {
        #[api(id)] pub id: i64,
        #[api(filter, sort, unique, length(min = 1, max = 120))] pub name: String,
        #[api(filter, sort)] pub due_on: Option<chrono::NaiveDate>,
    }

    /// A unit of work.
    #[api_resource(path = "task_items", page_size = 20)]
    pub struct Task {
        #[api(id)] pub id: i64,
        /// What to do.
        #[api(filter, sort, length(min = 1, max = 200))] pub title: String,
        pub notes: Option<String>,
        #[api(filter)] pub status: TaskStatus,
        #[api(filter)] pub done: bool,
        #[api(filter, sort, range(min = 1, max = 5))] pub priority: i32,
        #[api(filter, sort)] pub estimate: Option<f64>,
        #[api(filter, relation(resource = "projects", on_delete = "cascade"))] pub project_id: i64,
        #[api(filter, sort)] pub due_at: Option<chrono::DateTime<chrono::Utc>>,
        #[api(created_at, sort)] pub created_at: chrono::DateTime<chrono::Utc>,
        #[api(hidden)] pub secret: Option<String>,
        #[api(read_only)] pub score: Option<i32>,
    }

    #[api_resource(path = "tags")]
    pub struct Tag {
        #[api(id)] pub code: String,
        #[api(rename = "displayName")] pub label: String,
        #[api(filter)] pub ref_id: Option<uuid::Uuid>,
    }
"#;

fn decl() -> Declarations {
    parse_source(&[("lib.rs".into(), SRC.into())]).unwrap()
}

fn opts() -> Options {
    Options {
        package: "@acme/client".into(),
        version: "1.2.3".into(),
    }
}

fn file<'a>(files: &'a [File], path: &str) -> &'a str {
    &files
        .iter()
        .find(|(p, _)| p == path)
        .unwrap_or_else(|| panic!("no {path}"))
        .1
}

/// The declaration `export interface {name} {…}` (up to its closing brace).
fn block<'a>(text: &'a str, start: &str) -> &'a str {
    let i = text.find(start).unwrap_or_else(|| panic!("no `{start}`"));
    let end = text[i..].find("\n}\n").unwrap();
    &text[i..i + end + 2]
}

#[test]
fn emits_the_package_files_sorted() {
    let files = generate(&decl(), &opts());
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    for p in [
        ".gitignore",
        "README.md",
        "package.json",
        "react/package.json",
        "src/client.ts",
        "src/index.ts",
        "src/models.ts",
        "src/react.ts",
        "src/runtime/cache.ts",
        "src/runtime/deprecation.ts",
        "src/runtime/errors.ts",
        "src/runtime/hooks.ts",
        "src/runtime/http.ts",
        "src/runtime/maintenance.ts",
        "src/runtime/query.ts",
        "src/runtime/resource.ts",
        "tsconfig.json",
    ] {
        assert!(paths.contains(&p), "missing {p}");
    }
}

#[test]
fn output_is_deterministic_and_order_independent() {
    let a = generate(&decl(), &opts());
    let b = generate(&decl(), &opts());
    assert_eq!(a, b);
    let mut reversed = decl();
    reversed.resources.reverse();
    reversed.enums.reverse();
    assert_eq!(a, generate(&reversed, &opts()));
    for (path, text) in &a {
        assert!(!text.contains("\r"), "{path} has CR");
        assert!(text.ends_with('\n'), "{path} lacks a final newline");
    }
}

#[test]
fn package_json_uses_the_options() {
    let files = generate(&decl(), &opts());
    let pkg = file(&files, "package.json");
    assert!(pkg.contains(r#""name": "@acme/client""#));
    assert!(pkg.contains(r#""version": "1.2.3""#));
    assert!(pkg.contains(r#""@tanstack/react-query": "^5"#));
    assert!(pkg.contains(r#""peerDependenciesMeta""#));
    assert!(pkg.contains(r#""./react""#));
    let ts = file(&files, "tsconfig.json");
    assert!(ts.contains(r#""strict": true"#));
    assert!(
        ts.contains(r#""lib": ["ES2020"]"#),
        "no DOM lib: the compiler must reject browser APIs"
    );
}

#[test]
fn models_have_exact_field_types() {
    let files = generate(&decl(), &opts());
    let m = file(&files, "src/models.ts");
    let task = block(m, "export interface Task {");
    for line in [
        "  id: number;",
        "  title: string;",
        "  notes: string | null;",
        "  status: TaskStatus | (string & {});",
        "  done: boolean;",
        "  priority: number;",
        "  estimate: number | null;",
        "  project_id: number;",
        "  due_at: string | null;",
        "  created_at: string;",
        "  score: number | null;",
    ] {
        assert!(task.contains(line), "Task lacks `{line}`:\n{task}");
    }
    assert!(!task.contains("secret"), "hidden fields are not exposed");
    assert!(task.contains("RFC 3339"), "date-times are documented");
    assert!(task.contains("{@link Project}"), "relations are documented");
    assert!(task.contains("What to do."), "field docs are kept");
    let tag = block(m, "export interface Tag {");
    assert!(tag.contains("  displayName: string;"));
    assert!(tag.contains("  ref_id: string | null;"));
    assert!(tag.contains("UUID"));
    let project = block(m, "export interface Project {");
    assert!(project.contains("YYYY-MM-DD"));
    assert!(
        m.contains("`task_items` ← {@link Task}.`project_id`"),
        "reverse relations are documented"
    );
    assert!(
        m.contains("`client.taskItems.list({"),
        "with how to list them"
    );
    assert!(m.contains("export type TaskId = number;"));
    assert!(m.contains("export type TagId = string;"));
}

#[test]
fn enums_are_unions_with_a_value_list() {
    let files = generate(&decl(), &opts());
    let m = file(&files, "src/models.ts");
    assert!(m.contains(r#"export type TaskStatus = "todo" | "in_progress" | "done";"#));
    assert!(
        m.contains(r#"export const TASK_STATUS_VALUES = ["todo", "in_progress", "done"] as const"#)
    );
    assert!(m.contains("export function isTaskStatus(value: unknown): value is TaskStatus"));
    // Inputs stay strict: a client only sends values it knows.
    let create = block(m, "export interface TaskCreate {");
    assert!(create.contains("  status: TaskStatus;"), "{create}");
    assert!(
        m.contains("values added by a newer server"),
        "the open read type is documented"
    );
}

#[test]
fn input_types_follow_writability() {
    let files = generate(&decl(), &opts());
    let m = file(&files, "src/models.ts");
    let create = block(m, "export interface TaskCreate {");
    assert!(create.contains("  title: string;"));
    assert!(create.contains("  notes?: string | null;"));
    assert!(create.contains("  project_id: number;"));
    for absent in ["id", "created_at", "secret", "score"] {
        assert!(
            !create.contains(&format!("  {absent}")),
            "TaskCreate must not have {absent}"
        );
    }
    let replace = block(m, "export interface TaskReplace {");
    assert!(replace.contains("  title: string;") && replace.contains("  notes?: string | null;"));
    let patch = block(m, "export interface TaskPatch {");
    assert!(patch.contains("  title?: string;"));
    assert!(patch.contains("  notes?: string | null;"));
    // Client-chosen ids are sent on create only.
    let tag_create = block(m, "export interface TagCreate {");
    assert!(tag_create.contains("  code: string;"));
    assert!(!block(m, "export interface TagPatch {").contains("code"));
}

#[test]
fn filters_list_applicable_operators_only() {
    let files = generate(&decl(), &opts());
    let m = file(&files, "src/models.ts");
    let f = block(m, "export interface TaskFilter {");
    let line = |name: &str| {
        f.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name}?:")))
            .unwrap_or_else(|| panic!("no {name}:\n{f}"))
            .to_string()
    };
    assert_eq!(
        line("done").trim(),
        r#"done?: boolean | Ops<boolean, "eq" | "ne" | "in" | "nin">;"#
    );
    assert_eq!(
        line("status").trim(),
        r#"status?: TaskStatus | Ops<TaskStatus, "eq" | "ne" | "in" | "nin">;"#
    );
    assert!(line("title").contains(r#""contains" | "starts_with" | "ends_with">"#));
    assert!(!line("title").contains("is_null"));
    assert!(line("estimate").starts_with("  estimate?: number | null | Ops<number,"));
    assert!(line("estimate").contains(r#""gte" | "in" | "nin" | "is_null">"#));
    assert!(line("due_at").contains("DateTimeValue | null | Ops<DateTimeValue"));
    assert!(
        line("id").contains(r#""lt""#),
        "the id is always filterable"
    );
    assert!(!f.contains("notes"), "only filterable fields");
    assert!(!f.contains("created_at"), "only filterable fields");
}

#[test]
fn sort_types_list_sortable_fields() {
    let files = generate(&decl(), &opts());
    let m = file(&files, "src/models.ts");
    assert!(m.contains(r#"export type TaskSortField = "id" | "title" | "priority" | "estimate" | "due_at" | "created_at";"#));
    assert!(m.contains("export type TaskSort = TaskSortField | `-${TaskSortField}`;"));
    assert!(m.contains("export type TaskListParams = ListParams<TaskFilter, TaskSort>;"));
}

#[test]
fn client_and_hooks_cover_every_resource() {
    let files = generate(&decl(), &opts());
    let c = file(&files, "src/client.ts");
    assert!(c.contains("  readonly taskItems: TaskApi;"));
    assert!(c.contains(r#"route: "/v1/task_items","#));
    assert!(c.contains("pageSize: 20,"));
    assert!(c.contains(r#"idField: "code","#));
    let h = file(&files, "src/react.ts");
    for name in [
        "useTask",
        "useTaskList",
        "useTaskInfinite",
        "useCreateTask",
        "useUpdateTask",
        "useReplaceTask",
        "useDeleteTask",
        "useTag",
        "useProject",
    ] {
        assert!(
            h.contains(&format!("export function {name}("))
                || h.contains(&format!("export function {name}<")),
            "no {name}"
        );
    }
    assert!(h.contains(
        r#"export const taskKeys = resourceKeys<TaskTypes, "task_items">("task_items");"#
    ));
    assert!(
        !file(&files, "src/index.ts").contains("react"),
        "the core entry point must not pull in React"
    );
}

#[test]
fn readme_examples_use_the_resource_with_a_toggle() {
    let files = generate(&decl(), &opts());
    let r = file(&files, "README.md");
    assert!(r.starts_with("# @acme/client\n"));
    assert!(r.contains("useUpdateTask"));
    assert!(r.contains("onEndReached"));
    assert!(r.contains("RefreshControl"));
    assert!(r.contains("AsyncStorage"));
    assert!(r.contains("MMKV"));
    assert!(
        r.contains("Relations: `project_id` → `Project`."),
        "relations are listed"
    );
    assert!(
        r.contains("Relations: `task_items` ← `Task.project_id`."),
        "with their reverse side"
    );
    assert_eq!(readme::placeholder(r), None, "unfilled placeholder");
    // Every code block names its file on its first line.
    let mut in_block = false;
    for (i, line) in r.lines().enumerate() {
        if line.starts_with("```ts") {
            in_block = true;
            let next = r.lines().nth(i + 1).unwrap();
            assert!(
                next.starts_with("// ") && (next.ends_with(".ts") || next.ends_with(".tsx")),
                "block without a file name: {next}"
            );
        } else if line == "```" {
            in_block = false;
        }
    }
    assert!(!in_block);
}

#[test]
fn problem_types_match_the_runtime() {
    let errors = templates::text("src/runtime/errors.ts");
    for kind in resourceful::error::Kind::ALL {
        let slug = kind
            .type_uri()
            .strip_prefix("urn:resourceful:problem:")
            .unwrap();
        assert!(
            errors.contains(&format!("\"{slug}\"")),
            "ProblemSlug lacks {slug}"
        );
    }
}

#[test]
fn static_modules_avoid_platform_specific_apis() {
    for (path, text) in templates::files() {
        for banned in [
            "URLSearchParams",
            "new URL(",
            "window.",
            "document.",
            "process.",
            "require(",
            "Buffer",
        ] {
            assert!(!text.contains(banned), "{path} uses {banned}");
        }
        if path != "src/runtime/hooks.ts" {
            assert!(
                !text.contains("from \"react\"") && !text.contains("@tanstack"),
                "{path} must not import React"
            );
        }
    }
}

#[test]
#[should_panic(expected = "a name the package itself exports")]
fn clashing_names_are_refused() {
    let src = r#"#[api_resource(path = "pages")] pub struct Page { #[api(id)] pub id: i64 }"#;
    let d = parse_source(&[("lib.rs".into(), src.into())]).unwrap();
    generate(&d, &opts());
}

/// Resources with permissions: open, signed-in, by role, by owner.
const ACCESS_SRC: &str = r#"
    use resourceful::prelude::*;

    #[api_resource(path = "boards", access(read = "authenticated", write = "role:editor"))]
    pub struct Board {
        #[api(id)] pub id: i64,
        pub title: String,
    }

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
    }

    #[api_resource(path = "pins", access(read = "owner", write = "owner"))]
    pub struct Pin {
        #[api(id)] pub id: i64,
        #[api(owner)] pub owner: String,
        pub note: Option<String>,
    }

    #[api_resource(path = "tags")]
    pub struct Tag { #[api(id)] pub id: i64 }
"#;

/// Doc comments as one line each, whatever the wrapping.
fn flat(s: &str) -> String {
    s.lines()
        .map(|l| l.trim().trim_start_matches("*").trim())
        .collect::<Vec<_>>()
        .join(" ")
}

fn access_files() -> Vec<File> {
    let d = parse_source(&[("lib.rs".into(), ACCESS_SRC.into())]).unwrap();
    generate(&d, &opts())
}

#[test]
fn permissions_are_documented_per_operation() {
    let files = access_files();
    let m = file(&files, "src/models.ts");
    let note = &m[m.find("/**\n * A remark.").unwrap()..m.find("export interface Note {").unwrap()];
    assert!(
        flat(note).contains("Access: read: any signed-in caller. create: any signed-in caller. update: only the owner (`author`), or role `admin`."),
        "{note}"
    );
    let c = flat(file(&files, "src/client.ts"));
    assert!(c.contains("- `create`, `createMany`: Requires role `editor`."));
    assert!(c.contains("- `list`, `pages`, `items`, `listAll`, `get`: Only the owner's rows (`owner` is the caller); others' ids answer 404."));
    assert!(c.contains("- `delete`: Only the owner (`author`), or role `admin`."));
    assert!(c.contains("getToken: () =>"), "the client example signs in");
    let h = file(&files, "src/react.ts");
    let create = &h[..h.find("export function useCreatePin(").unwrap()];
    assert!(create.ends_with(" * Access: Any signed-in caller, who becomes the owner.\n */\n"));
    let del = &h[..h.find("export function useDeleteBoard(").unwrap()];
    assert!(del.ends_with(" * Access: Requires role `editor`.\n */\n"));
    let r = file(&files, "README.md");
    assert!(r.contains("## Who may do what"));
    assert!(r.contains(
        "| `client.tags` | Anyone, no token needed. | Anyone, no token needed. | Anyone, no token needed. | Anyone, no token needed. |"
    ));
    assert!(r.contains("| `client.boards` | Any signed-in caller. | Requires role `editor`. |"));
    assert!(r.contains("UnauthorizedError"), "401 is explained");
    assert_eq!(readme::placeholder(r), None);
}

#[test]
fn owner_fields_are_server_set_and_field_rules_documented() {
    let files = access_files();
    let m = file(&files, "src/models.ts");
    let note = block(m, "export interface Note {");
    assert!(note.contains("  author: string;"));
    assert!(note.contains("Set by the server to the caller (the owner)"));
    assert!(note.contains("Visible to callers with role `admin` only"));
    for input in ["NoteCreate", "NoteReplace", "NotePatch", "PinCreate"] {
        let b = block(m, &format!("export interface {input} {{"));
        assert!(
            !b.contains("author") && !b.contains(" owner"),
            "{input} has the owner field:\n{b}"
        );
    }
    let create = block(m, "export interface NoteCreate {");
    assert!(create.contains("  body: string;"));
    assert!(create.contains("Only callers with role `admin` may set it"));
    assert!(
        !create.contains("Visible to"),
        "read rules concern responses only"
    );
    let r = file(&files, "README.md");
    assert!(r.contains("| `author` | `string` | server-set |"));
}

#[test]
fn the_runtime_sends_tokens_and_types_auth_errors() {
    let http = templates::text("src/runtime/http.ts");
    for s in [
        "getToken?: TokenProvider;",
        "refreshToken?: () => Promise<string | null | undefined>;",
        "`Bearer ${token}`",
        "private refreshing: Promise<string | null> | null",
        "entry.scope === scope",
    ] {
        assert!(http.contains(s), "http.ts lacks {s}");
    }
    let errors = templates::text("src/runtime/errors.ts");
    assert!(errors.contains("export class UnauthorizedError extends ApiError"));
    assert!(errors.contains("export class ForbiddenError extends ApiError"));
    assert!(errors.contains("if (status === 401) return new UnauthorizedError("));
    assert!(errors.contains("if (status === 403) return new ForbiddenError("));
    let index = templates::text("src/index.ts");
    for name in [
        "UnauthorizedError",
        "ForbiddenError",
        "isUnauthorizedError",
        "isForbiddenError",
        "TokenProvider",
        "AuthChallenge",
    ] {
        assert!(
            index.contains(&format!("  {name},"))
                || index.contains(&format!(" {name},"))
                || index.contains(&format!(" {name} ")),
            "index.ts does not export {name}"
        );
    }
}

#[test]
#[should_panic(expected = "a name the package itself exports")]
fn auth_error_names_are_reserved() {
    let src =
        r#"#[api_resource(path = "errs")] pub struct UnauthorizedError { #[api(id)] pub id: i64 }"#;
    let d = parse_source(&[("lib.rs".into(), src.into())]).unwrap();
    generate(&d, &opts());
}

#[test]
fn maintenance_is_announced_typed_and_hooked() {
    let files = generate(&decl(), &opts());
    let errors = templates::text("src/runtime/errors.ts");
    assert!(errors.contains("export class MaintenanceError extends ApiError"));
    assert!(errors.contains("status === 503 && init.type === PROBLEM_PREFIX + \"maintenance\""));
    let m = templates::text("src/runtime/maintenance.ts");
    for s in [
        "export function parseMaintenanceHeader(",
        "export class MaintenanceWatch",
        "path: \"/v1/maintenance\"",
    ] {
        assert!(m.contains(s), "maintenance.ts lacks {s}");
    }
    let http = templates::text("src/runtime/http.ts");
    assert!(http.contains("onMaintenance?: MaintenanceListener;"));
    assert!(http.contains("this.maintenance.observe(res.headers.get(\"maintenance\"))"));
    let c = file(&files, "src/client.ts");
    assert!(c.contains("  readonly maintenance: MaintenanceApi;"));
    assert!(c.contains("    this.maintenance = new MaintenanceApi(this.http);"));
    let index = file(&files, "src/index.ts");
    for name in [
        "MaintenanceError",
        "isMaintenanceError",
        "parseMaintenanceHeader",
        "AnnouncedWindow",
        "MaintenanceWindow",
    ] {
        assert!(
            index.contains(&format!(" {name},")) || index.contains(&format!(" {name} ")),
            "index.ts does not export {name}"
        );
    }
    let h = file(&files, "src/react.ts");
    assert!(h.contains("export function useMaintenance(options?: WithClient)"));
    let r = file(&files, "README.md");
    assert!(r.contains("## Maintenance windows"));
    assert!(r.contains("useMaintenance()"));
    assert!(r.contains("MaintenanceError"));
}

#[test]
fn retirement_announcements_reach_the_app() {
    let files = generate(&decl(), &opts());
    let d = file(&files, "src/runtime/deprecation.ts");
    assert_eq!(d, templates::text("src/runtime/deprecation.ts"));
    let notice = block(d, "export interface DeprecationNotice {");
    for field in [
        "  readonly route: string;",
        "  readonly deprecatedAt?: Date;",
        "  readonly sunset?: Date;",
        "  readonly successor?: string;",
    ] {
        assert!(notice.contains(field), "DeprecationNotice lacks {field}");
    }
    assert!(d.contains("export type DeprecationListener = (notice: DeprecationNotice) => void;"));
    // The fields as the platform's `Headers` give them (CORS-exposed names).
    for name in ["deprecation", "sunset", "link"] {
        assert!(
            d.contains(&format!("headers.get(\"{name}\")")),
            "{name} is not read through headers.get"
        );
    }
    assert!(d.contains("types.includes(\"successor-version\")"));
    // Once per route: marked before the listener runs, whose failure is
    // rethrown apart from the request.
    let observe = &d[d.find("  observe(path: string").unwrap()..];
    let marked = observe.find("this.announced.add(route);").unwrap();
    let called = observe.find("listener(notice);").unwrap();
    assert!(observe.contains("if (this.announced.has(route)) return;"));
    assert!(marked < called);
    assert!(observe.contains("} catch (e) {\n      reportUncaught(e);"));
    assert!(d.contains("g.queueMicrotask(rethrow)"));

    let http = file(&files, "src/runtime/http.ts");
    assert!(http.contains("  onDeprecation?: DeprecationListener;\n}"));
    assert!(http.contains("this.deprecations = new DeprecationWatch(config.onDeprecation);"));
    // Every answer of every attempt, errors included, before its status.
    assert!(http.contains(
        "        this.maintenance.observe(res.headers.get(\"maintenance\"));\n        // Every answer, errors included, before its status is looked at.\n        this.deprecations.observe(path, url, res.headers);\n        retryAfter ="
    ));
    let resource = file(&files, "src/runtime/resource.ts");
    assert!(resource.contains("http.deprecations.register(descriptor.route);"));

    let index = file(&files, "src/index.ts");
    assert!(index.contains(
        "export { DeprecationWatch, parseDeprecation, parseDeprecationNotice, successorLink } from \"./runtime/deprecation\";"
    ));
    assert!(index.contains(
        "export type { DeprecationListener, DeprecationNotice } from \"./runtime/deprecation\";"
    ));
    for name in [
        "DeprecationListener",
        "DeprecationNotice",
        "DeprecationWatch",
    ] {
        assert!(RESERVED.contains(&name), "{name} is not reserved");
    }

    let r = file(&files, "README.md");
    assert!(r.contains("## Retirement announcements\n"));
    assert!(r.contains("[Retirement announcements](#retirement-announcements)"));
    assert!(r.contains(
        "```ts\n// retirement.ts\nimport { createClient } from \"@acme/client\";\nimport type { ApiClient, DeprecationNotice } from \"@acme/client\";\n"
    ));
    assert!(r.contains("    onDeprecation: (notice) => log(describeRetirement(notice)),\n"));
    assert!(r.contains("rethrown in a microtask (`queueMicrotask`)"));
    let sections: Vec<&str> = r.lines().filter(|l| l.starts_with("## ")).collect();
    let at = |s: &str| {
        sections
            .iter()
            .position(|l| *l == s)
            .unwrap_or_else(|| panic!("no {s}"))
    };
    assert_eq!(
        at("## Retirement announcements"),
        at("## Maintenance windows") + 1
    );
}

#[test]
#[should_panic(expected = "a name the package itself exports")]
fn a_deprecation_notice_resource_is_refused() {
    let src = r#"#[api_resource(path = "notices")] pub struct DeprecationNotice { #[api(id)] pub id: i64 }"#;
    let d = parse_source(&[("lib.rs".into(), src.into())]).unwrap();
    generate(&d, &opts());
}

#[test]
// `MaintenanceApi` is taken, and `useMaintenance` would be.
#[should_panic(expected = "a name the package itself exports")]
fn a_maintenance_resource_is_refused() {
    let src =
        r#"#[api_resource(path = "outages")] pub struct Maintenance { #[api(id)] pub id: i64 }"#;
    let d = parse_source(&[("lib.rs".into(), src.into())]).unwrap();
    generate(&d, &opts());
}

#[test]
#[should_panic(expected = "gives the client property `maintenance`, which is taken")]
fn the_maintenance_property_is_taken() {
    let src =
        r#"#[api_resource(path = "maintenance")] pub struct Outage { #[api(id)] pub id: i64 }"#;
    let d = parse_source(&[("lib.rs".into(), src.into())]).unwrap();
    generate(&d, &opts());
}

#[test]
fn graphql_goes_through_the_transport_with_persisted_queries() {
    let files = generate(&decl(), &opts());
    let client = file(&files, "src/client.ts");
    assert!(client.contains("import { GraphQLApi } from \"./runtime/graphql\";"));
    assert!(client
        .contains("this.graphqlApi = new GraphQLApi(this.http, config.persistedQueries ?? true);"));
    assert!(client.contains("  graphql<TData = Record<string, unknown>, TVars extends object = GraphQLVariables>(\n    document: string,\n    variables?: TVars,\n    options?: GraphQLOptions,\n  ): Promise<TData> {"));

    let g = file(&files, "src/runtime/graphql.ts");
    assert_eq!(g, templates::text("src/runtime/graphql.ts"));
    // The hash first, the text with the hash on a miss, the text alone
    // where the server has no persisted queries.
    assert!(g.contains(
        "const extensions = { persistedQuery: { version: 1, sha256Hash: this.hashOf(source) } };"
    ));
    assert!(g.contains("let answer = await send({ ...base, extensions });"));
    assert!(g.contains("answer = await send({ ...base, query: source, extensions });"));
    assert!(g.contains("\"PERSISTED_QUERY_NOT_FOUND\""));
    assert!(g.contains("\"PERSISTED_QUERY_NOT_SUPPORTED\""));
    // The same transport, with no idempotency key the server would ignore,
    // and mutations never resent after a lost answer.
    assert!(g.contains("this.http.request<unknown>({ method: \"POST\", path: GRAPHQL_PATH, body, options, keyed: false, retryOn });"));
    assert!(g.contains("const retryOn = type === \"query\" ? \"transient\" : \"unprocessed\";"));
    assert!(
        !g.contains("crypto"),
        "the pure SHA-256, whatever the platform"
    );
    let http = file(&files, "src/runtime/http.ts");
    assert!(http.contains("  persistedQueries?: boolean;\n"));
    assert!(http.contains("const transient = !unprocessedOnly && e instanceof NetworkError"));

    let index = file(&files, "src/index.ts");
    for line in [
        "export { GRAPHQL_PATH, GraphQLApi, operationType } from \"./runtime/graphql\";",
        "export type { GraphQLOptions, GraphQLVariables } from \"./runtime/graphql\";",
        "export { sha256, sha256Hex, utf8Bytes } from \"./runtime/sha256\";",
        "  GraphQLResponseError,\n",
        "  isGraphQLResponseError,\n",
        "  GraphQLErrorEntry,\n",
    ] {
        assert!(index.contains(line), "index.ts lacks {line}");
    }
    for name in [
        "GraphQLApi",
        "GraphQLErrorEntry",
        "GraphQLErrorExtensions",
        "GraphQLLocation",
        "GraphQLOptions",
        "GraphQLResponseError",
        "GraphQLVariables",
    ] {
        assert!(RESERVED.contains(&name), "{name} is not reserved");
    }

    let r = file(&files, "README.md");
    assert!(r.contains("## GraphQL\n"));
    assert!(r.contains("(see [GraphQL](#graphql))"));
    // The example speaks the server's names: `task`/`taskItems` for `Task`
    // at `task_items` (lower camel of the name, of the path), GraphQL IDs
    // as strings.
    assert!(r.contains("    task(id: $id) { id title }\n"));
    assert!(r.contains("`task(id)`, `taskItems(filter, sort, first, after)`"));
    assert!(r.contains("  task: { id: string; title: string } | null;\n"));
    assert!(r.contains("updateTask(id: $id, input: $input) { id }"));
}

#[test]
#[should_panic(expected = "gives the client property `graphql`, which is taken")]
fn the_graphql_property_is_taken() {
    let src = r#"#[api_resource(path = "graphql")] pub struct Query { #[api(id)] pub id: i64 }"#;
    let d = parse_source(&[("lib.rs".into(), src.into())]).unwrap();
    generate(&d, &opts());
}

/// Fields with read rules of every shape: optional or not, filterable,
/// sortable, a date-time, an enum, the README's toggle and label kinds.
const READ_RULES_SRC: &str = r#"
    use resourceful::prelude::*;

    #[api_enum] pub enum Level { Low, High }

    #[api_resource(path = "audits", access(read = "authenticated", write = "role:editor"))]
    pub struct Audit {
        #[api(id)] pub id: i64,
        #[api(filter, sort)] pub title: String,
        #[api(filter, sort, access(read = "role:admin"))] pub score: i32,
        #[api(filter, sort, access(read = "role:admin"))] pub checked_at: Option<chrono::DateTime<chrono::Utc>>,
        #[api(filter, access(read = "role:admin | scope:audit:read", write = "role:admin"))] pub level: Option<Level>,
        #[api(access(read = "role:admin"))] pub secret_label: String,
        #[api(access(read = "role:admin"))] pub hidden_done: bool,
        pub done: bool,
    }
"#;

/// `READ_RULES_SRC` and the same declarations with every field read rule
/// taken out.
fn read_rule_files() -> (Vec<File>, Vec<File>) {
    let gen = |src: &str| {
        let d = parse_source(&[("lib.rs".into(), src.into())]).unwrap();
        generate(&d, &opts())
    };
    let without = READ_RULES_SRC
        .replace(
            "access(read = \"role:admin | scope:audit:read\", write = \"role:admin\")",
            "access(write = \"role:admin\")",
        )
        .replace(", access(read = \"role:admin\")", "")
        .replace("#[api(access(read = \"role:admin\"))] ", "");
    assert!(!without.contains("access(read = \"role"), "{without}");
    (gen(READ_RULES_SRC), gen(&without))
}

/// The interface's property lines, without their doc comments.
fn props(block: &str) -> Vec<&str> {
    block
        .lines()
        .skip(1)
        .filter(|l| {
            l.starts_with("  ")
                && !l.trim_start().starts_with('*')
                && !l.trim_start().starts_with("/**")
        })
        .collect()
}

#[test]
fn read_rules_make_response_properties_optional() {
    let files = access_files();
    let m = file(&files, "src/models.ts");
    let note = block(m, "export interface Note {");
    // Callers outside the rule get no `flag` key; the value stays nullable.
    assert!(note.contains("  flag?: string | null;"), "{note}");
    assert!(!note.contains("  flag: "), "{note}");
    // Fields without a read rule are always there.
    for line in ["  id: number;", "  author: string;", "  body: string;"] {
        assert!(note.contains(line), "Note lacks `{line}`:\n{note}");
    }
    // The note stays, on the property it describes.
    let at = note.find("  flag?:").unwrap();
    let flag_doc = flat(&note[note[..at].rfind("/**").unwrap()..at]);
    assert!(
        flag_doc.contains(
            "Visible to callers with role `admin` only; left out of other callers' responses."
        ),
        "{note}"
    );
    // Inputs follow write rules: a read rule changes nothing there.
    assert!(block(m, "export interface NoteCreate {").contains("  flag?: string | null;"));
    assert!(block(m, "export interface NoteReplace {").contains("  flag?: string | null;"));
    assert!(block(m, "export interface NotePatch {").contains("  flag?: string | null;"));
    // The other resources have no read rule: every property is required.
    for ty in ["Board", "Pin", "Tag"] {
        let b = block(m, &format!("export interface {ty} {{"));
        assert!(
            props(b).iter().all(|l| !l.contains("?:")),
            "{ty} has an optional property:\n{b}"
        );
    }
    let r = file(&files, "README.md");
    assert!(r.contains(
        "Read rules: `flag` (`role:admin`). Other callers' responses lack the key, so `Note` declares it optional (`?:`)."
    ));
    assert_eq!(
        r.matches("Read rules: ").count(),
        1,
        "only Note has read rules"
    );
}

#[test]
fn read_rules_change_presence_only() {
    let (with, without) = read_rule_files();
    let m = file(&with, "src/models.ts");
    let plain = file(&without, "src/models.ts");
    let audit = block(m, "export interface Audit {");
    let plain_audit = block(plain, "export interface Audit {");
    assert_eq!(
        props(audit),
        [
            "  id: number;",
            "  title: string;",
            "  score?: number;",
            "  checked_at?: string | null;",
            "  level?: Level | (string & {}) | null;",
            "  secret_label?: string;",
            "  hidden_done?: boolean;",
            "  done: boolean;",
        ],
        "{audit}"
    );
    // The same properties and types, only the `?` added.
    assert_eq!(
        props(audit)
            .iter()
            .map(|l| l.replacen("?:", ":", 1))
            .collect::<Vec<_>>(),
        props(plain_audit),
    );
    assert!(flat(audit).contains(
        "Visible to callers with role `admin` or callers with scope `audit:read` only; left out of other callers' responses."
    ));
    // Everything else in the models (inputs, filters, sort keys, the
    // `…Types` bundle) is the same as without the rules.
    assert_eq!(m.replace(audit, ""), plain.replace(plain_audit, ""));
    for input in ["AuditCreate", "AuditReplace", "AuditPatch"] {
        let b = block(m, &format!("export interface {input} {{"));
        assert_eq!(b, block(plain, &format!("export interface {input} {{")));
        assert!(
            !b.contains("Visible to"),
            "{input}: read rules concern responses only"
        );
    }
    assert!(block(m, "export interface AuditCreate {").contains("  score: number;"));
    assert!(block(m, "export interface AuditPatch {").contains("  score?: number;"));
    assert!(m.contains(r#"export type AuditSortField = "id" | "title" | "score" | "checked_at";"#));
    // The client, hooks and runtime modules do not depend on presence.
    for path in [
        "src/client.ts",
        "src/react.ts",
        "src/index.ts",
        "src/runtime/hooks.ts",
        "src/runtime/resource.ts",
    ] {
        assert_eq!(file(&with, path), file(&without, path), "{path}");
    }
    // The README's examples use fields every caller gets.
    let r = file(&with, "README.md");
    assert!(
        r.contains("item.done"),
        "the toggle is the unrestricted boolean"
    );
    assert!(!r.contains("item.hidden_done"));
    assert!(
        r.contains("{item.title}"),
        "the label is the unrestricted text"
    );
    assert!(!r.contains("item.secret_label"));
    assert!(r.contains(
        "Read rules: `score` (`role:admin`), `checked_at` (`role:admin`), `level` (`role:admin` or `scope:audit:read`), `secret_label` (`role:admin`), `hidden_done` (`role:admin`). Other callers' responses lack the key, so `Audit` declares them optional (`?:`)."
    ));
    let plain_r = file(&without, "README.md");
    assert!(!plain_r.contains("Read rules: "));
}

/// A cached item lacking a restricted key keeps lacking it through an
/// optimistic patch that does not set it: nothing fills in `null`.
#[test]
fn optimistic_patches_leave_absent_keys_absent() {
    let hooks = templates::text("src/runtime/hooks.ts");
    let apply = block(hooks, "export function applyPatch<");
    assert!(
        apply.contains("{ ...(item as Record<string, unknown>) }"),
        "{apply}"
    );
    assert!(
        apply.contains("if (v !== undefined) out[k] = v;"),
        "{apply}"
    );
    assert!(!apply.contains("null"), "{apply}");
}
