//! What a request may ask for before it runs.
//!
//! Data operations run on a schema limited by `GRAPHQL_MAX_DEPTH` and
//! `GRAPHQL_MAX_COMPLEXITY`. The introspection query GraphiQL and client
//! generators send nests `ofType` about 13 levels deep, over the default
//! depth, so operations that only ask for `__schema` / `__type` /
//! `__typename` run on a second copy of the schema with a looser depth
//! limit. The schema itself is small and in memory; what could blow up is
//! nesting list fields (`types → fields → type → fields → …`), so those
//! operations may nest at most [`MAX_NESTED_LISTS`] of them.

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};

/// Depth allowed to introspection-only operations (`ofType` chains).
pub const MAX_DEPTH: usize = 20;
/// Complexity allowed to introspection-only operations, at least.
pub const MIN_COMPLEXITY: usize = 1000;
/// `types → fields → args` is the deepest standard introspection query.
pub const MAX_NESTED_LISTS: usize = 3;

const LIST_FIELDS: [&str; 8] = [
    "types",
    "fields",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "args",
    "directives",
];
/// Fragment spreads followed before giving up (cycles are invalid anyway).
const MAX_SPREADS: usize = 64;

/// The operation a request selects, as far as routing cares.
pub struct Selected {
    pub ty: OperationType,
    /// Only introspection at the root (see the module docs).
    pub introspection_only: bool,
}

/// The operation `name` (or the only one) of `doc`; `None` when it is
/// ambiguous or missing, which the executor then reports.
pub fn select(doc: &ExecutableDocument, name: Option<&str>) -> Option<Selected> {
    let op: &OperationDefinition = match name {
        Some(n) => {
            &doc.operations
                .iter()
                .find(|(on, _)| on.is_some_and(|on| on.as_str() == n))?
                .1
                .node
        }
        None => {
            let mut ops = doc.operations.iter();
            let (_, op) = ops.next()?;
            if ops.next().is_some() {
                return None;
            }
            &op.node
        }
    };
    let introspection_only =
        op.ty == OperationType::Query && root_is_introspection(doc, &op.selection_set.node, 0);
    Some(Selected {
        ty: op.ty,
        introspection_only,
    })
}

fn root_is_introspection(doc: &ExecutableDocument, set: &SelectionSet, spreads: usize) -> bool {
    spreads < MAX_SPREADS
        && set.items.iter().all(|s| match &s.node {
            Selection::Field(f) => f.node.name.node.starts_with("__"),
            Selection::InlineFragment(i) => {
                root_is_introspection(doc, &i.node.selection_set.node, spreads + 1)
            }
            Selection::FragmentSpread(s) => doc
                .fragments
                .get(&s.node.fragment_name.node)
                .is_some_and(|f| {
                    root_is_introspection(doc, &f.node.selection_set.node, spreads + 1)
                }),
        })
}

/// Whether no path of the operation nests more than [`MAX_NESTED_LISTS`]
/// introspection list fields.
pub fn within_bounds(doc: &ExecutableDocument, name: Option<&str>) -> bool {
    doc.operations
        .iter()
        .filter(|(n, _)| name.is_none() || n.is_some_and(|n| Some(n.as_str()) == name))
        .all(|(_, op)| lists_within(doc, &op.node.selection_set.node, 0, 0))
}

fn lists_within(
    doc: &ExecutableDocument,
    set: &SelectionSet,
    lists: usize,
    spreads: usize,
) -> bool {
    spreads < MAX_SPREADS
        && set.items.iter().all(|s| match &s.node {
            Selection::Field(f) => {
                let n = lists + usize::from(LIST_FIELDS.contains(&f.node.name.node.as_str()));
                n <= MAX_NESTED_LISTS && lists_within(doc, &f.node.selection_set.node, n, spreads)
            }
            Selection::InlineFragment(i) => {
                lists_within(doc, &i.node.selection_set.node, lists, spreads + 1)
            }
            Selection::FragmentSpread(s) => doc
                .fragments
                .get(&s.node.fragment_name.node)
                .is_none_or(|f| lists_within(doc, &f.node.selection_set.node, lists, spreads + 1)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    #[test]
    fn routes_introspection_and_bounds_lists() {
        let doc = parse_query("{ __schema { types { fields { args { name } } } } }").unwrap();
        let s = select(&doc, None).unwrap();
        assert!(s.introspection_only);
        assert!(within_bounds(&doc, None));
        let doc =
            parse_query("{ __schema { types { fields { type { fields { type { name } } } } } } }")
                .unwrap();
        assert!(within_bounds(&doc, None));
        let doc = parse_query("{ __schema { types { ...F } } } fragment F on __Type { fields { type { fields { args { name } } } } }").unwrap();
        assert!(!within_bounds(&doc, None), "fragments count too");
        let doc = parse_query("{ __typename tasks { items { id } } }").unwrap();
        assert!(!select(&doc, None).unwrap().introspection_only);
        let doc = parse_query("query A { __typename } mutation B { __typename }").unwrap();
        assert_eq!(select(&doc, Some("B")).unwrap().ty, OperationType::Mutation);
        assert!(select(&doc, None).is_none());
    }
}
