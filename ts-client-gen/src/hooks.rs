//! `src/react.ts`: TanStack Query hooks per resource, on the generic ones
//! in `runtime/hooks.ts`.

use crate::access::{sentence, Action};
use crate::names::{doc, string};
use crate::{Api, Res};
use std::fmt::Write;

const PRELUDE: &str = include_str!("../templates/react_prelude.ts");

pub fn render(api: &Api) -> String {
    let mut out = String::from(PRELUDE);
    if !api.resources.is_empty() {
        let mut names = Vec::new();
        for r in &api.resources {
            for s in ["", "Create", "Id", "ListParams", "Types"] {
                names.push(r.n(s));
            }
        }
        names.sort();
        writeln!(
            out,
            "import type {{ {} }} from \"./models\";",
            names.join(", ")
        )
        .unwrap();
    }
    for r in &api.resources {
        out.push('\n');
        out.push_str(&resource_hooks(r));
    }
    out
}

fn resource_hooks(r: &Res) -> String {
    let route = r.model.route();
    let (ty, id, keys, p) = (&r.ty, r.n("Id"), r.keys(), &r.prop);
    let types = r.n("Types");
    let who = |a: Action| format!("Access: {}", sentence(&r.model, a));
    let mut out = format!(
        "// ---- {ty} ({route}) {}\n\n",
        "-".repeat(60usize.saturating_sub(ty.len() + route.len()))
    );

    out.push_str(&doc(
        &[format!(
            "Query keys of {ty}: `{keys}.all`, `.lists()`, `.list(params)`, `.infinite(params)`, `.details()`, `.detail(id)`. Invalidate `{keys}.lists()` to refresh every list."
        )],
        "",
    ));
    writeln!(
        out,
        "export const {keys} = resourceKeys<{types}, {path}>({path});\n",
        path = string(r.model.path)
    )
    .unwrap();

    out.push_str(&doc(
        &[
            format!("One {ty} (`GET {route}/{{id}}`); waits while `id` is null or undefined."),
            who(Action::Read),
        ],
        "",
    ));
    writeln!(
        out,
        "export function {}<TData = {ty}>(id: {id} | null | undefined, options?: ItemQueryOptions<{ty}, TData> & WithClient) {{\n  const [client, rest] = split(options);\n  return useItemQuery(useApiClient(client).{p}, {keys}, id, rest);\n}}\n",
        r.hook("", "")
    )
    .unwrap();

    out.push_str(&doc(
        &[
            format!("One page of {ty} items (`GET {route}`)."),
            who(Action::Read),
        ],
        "",
    ));
    writeln!(
        out,
        "export function {}<TData = Page<{ty}>>(params?: {lp}, options?: ListQueryOptions<{ty}, TData> & WithClient) {{\n  const [client, rest] = split(options);\n  return useListQuery(useApiClient(client).{p}, {keys}, params, rest);\n}}\n",
        r.hook("", "List"),
        lp = r.n("ListParams")
    )
    .unwrap();

    out.push_str(&doc(
        &[
            format!("{ty} items page by page for infinite scrolling: `fetchNextPage()` follows `next_cursor`; `hasNextPage` is false on the last page. `flattenPages(data)` gives the items."),
            who(Action::Read),
        ],
        "",
    ));
    writeln!(
        out,
        "export function {}(params?: InfiniteParamsOf<{types}>, options?: InfiniteQueryOptions<{ty}> & WithClient) {{\n  const [client, rest] = split(options);\n  return useInfiniteListQuery(useApiClient(client).{p}, {keys}, params, rest);\n}}\n",
        r.hook("", "Infinite")
    )
    .unwrap();

    out.push_str(&doc(
        &[
            format!(
                "Creates a {ty}: `mutate(input)`; caches the new item and refreshes the lists."
            ),
            who(Action::Create),
        ],
        "",
    ));
    writeln!(
        out,
        "export function {}(options?: MutationHookOptions<{ty}, {create}> & WithClient) {{\n  const [client, rest] = split(options);\n  return useCreateMutation(useApiClient(client).{p}, {keys}, rest);\n}}\n",
        r.hook("Create", ""),
        create = r.n("Create")
    )
    .unwrap();

    out.push_str(&doc(
        &[
            format!("Updates a {ty} (PATCH): `mutate({{ id, patch, ifMatch? }})`. The patch shows at once in the cached item and lists, and is rolled back if the server refuses it."),
            who(Action::Update),
        ],
        "",
    ));
    writeln!(
        out,
        "export function {}(options?: MutationHookOptions<{ty}, UpdateVariables<{types}>> & WithClient) {{\n  const [client, rest] = split(options);\n  return useUpdateMutation(useApiClient(client).{p}, {keys}, rest);\n}}\n",
        r.hook("Update", "")
    )
    .unwrap();

    out.push_str(&doc(
        &[
            format!("Replaces a {ty} (PUT): `mutate({{ id, input, ifMatch? }})`."),
            who(Action::Update),
        ],
        "",
    ));
    writeln!(
        out,
        "export function {}(options?: MutationHookOptions<{ty}, ReplaceVariables<{types}>> & WithClient) {{\n  const [client, rest] = split(options);\n  return useReplaceMutation(useApiClient(client).{p}, {keys}, rest);\n}}\n",
        r.hook("Replace", "")
    )
    .unwrap();

    out.push_str(&doc(
        &[
            format!("Deletes a {ty}: `mutate({{ id, ifMatch? }})`; it disappears from cached lists at once (restored on error)."),
            who(Action::Delete),
        ],
        "",
    ));
    write!(
        out,
        "export function {}(options?: MutationHookOptions<void, DeleteVariables<{types}>> & WithClient) {{\n  const [client, rest] = split(options);\n  return useDeleteMutation(useApiClient(client).{p}, {keys}, rest);\n}}\n",
        r.hook("Delete", "")
    )
    .unwrap();
    out
}
