//! The access rules in the document: a `bearer` security scheme, each
//! resource operation's requirement (the roles or scopes it asks for, as
//! OpenAPI 3.1 allows for non-OAuth schemes) and its 401 and 403 answers.
//! Public operations keep no requirement; GraphQL takes an optional token.

use super::responses::problem;
use crate::error::Kind;
use crate::model::{AccessRule, ResourceModel};
use crate::registry::Registry;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, OpenApi};

pub const SCHEME: &str = "bearer";

/// Adds the scheme and requirements when some resource is not public.
pub fn describe(doc: &mut OpenApi, registry: &Registry) {
    let models: Vec<&'static ResourceModel> = registry.rest_services().map(|s| s.model).collect();
    if models.iter().all(|m| m.access.is_public()) {
        return;
    }
    let scheme = SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An OAuth 2.0 access token (RFC 9068 JWT) from the configured issuer, as `Authorization: Bearer <token>`. \
                 A requirement's list names the roles or scopes that grant the operation (any one suffices); `owner` \
                 means the caller's own rows.",
            ))
            .build(),
    );
    doc.components
        .get_or_insert_with(|| ComponentsBuilder::new().build())
        .add_security_scheme(SCHEME, scheme);
    for m in models {
        let fields_restricted = m
            .fields
            .iter()
            .any(|f| f.access.read.is_some() || f.access.write.is_some());
        let apply = |op: &mut Option<Operation>, rule: &AccessRule| {
            if let Some(op) = op {
                require(op, rule, fields_restricted);
            }
        };
        let a = &m.access;
        if let Some(item) = doc.paths.paths.get_mut(&m.route()) {
            apply(&mut item.get, &a.read);
            apply(&mut item.head, &a.read);
            apply(&mut item.post, &a.create);
        }
        if let Some(item) = doc.paths.paths.get_mut(&format!("{}/{{id}}", m.route())) {
            apply(&mut item.get, &a.read);
            apply(&mut item.head, &a.read);
            apply(&mut item.put, &a.update);
            apply(&mut item.patch, &a.update);
            apply(&mut item.delete, &a.delete);
        }
    }
    if let Some(item) = doc.paths.paths.get_mut("/graphql") {
        for op in [&mut item.get, &mut item.post].into_iter().flatten() {
            op.security = Some(vec![
                SecurityRequirement::default(),
                SecurityRequirement::new::<_, _, &str>(SCHEME, []),
            ]);
            add(op, Kind::Unauthorized);
        }
    }
}

/// One operation under `rule`.
fn require(op: &mut Operation, rule: &AccessRule, fields_restricted: bool) {
    if rule.public {
        return;
    }
    let mut grants: Vec<String> = rule.roles.iter().map(|r| format!("role:{r}")).collect();
    grants.extend(rule.scopes.iter().map(|s| format!("scope:{s}")));
    if rule.owner {
        grants.push("owner".into());
    }
    if rule.authenticated {
        // Any caller will do: no role to name.
        grants.clear();
    }
    op.security = Some(vec![SecurityRequirement::new(SCHEME, grants)]);
    add(op, Kind::Unauthorized);
    if !rule.authenticated || rule.owner || fields_restricted {
        add(op, Kind::Forbidden);
    }
}

fn add(op: &mut Operation, kind: Kind) {
    let (status, response) = problem(kind);
    op.responses.responses.entry(status).or_insert(response);
}
