//! The resource-level options of `#[api_resource(..)]` → their model
//! values with defaults filled in, one function per option, each reporting
//! a malformed value of its own option.
//!
//! Not for the struct's fields (`field.rs`), nor for rules that relate two
//! options, such as `page_size` against `max_page_size` (`check.rs`).

use super::access::{resource_access, ResourceAccess};
use super::attrs::{RateLimitArg, ResourceArgs};
use super::ctxt::Ctxt;
use super::is_identifier;
use super::resource::parse_duration;
use crate::{defaults, RateLimitModel, RateModel};

/// The resource-level settings, every absent or malformed option at its
/// default.
pub(super) struct ResourceOptions {
    pub path: String,
    pub table: String,
    pub version: u32,
    pub cache_ttl_secs: Option<u64>,
    pub client_cache_secs: Option<u64>,
    pub page_size: u32,
    pub max_page_size: u32,
    pub rate_limit: RateLimitModel,
    pub access: ResourceAccess,
    /// Older versions still served, oldest first.
    pub previous: Vec<crate::VersionModel>,
}

impl ResourceOptions {
    /// Every version served, oldest first.
    pub fn served_versions(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.previous.iter().map(|p| p.version).collect();
        v.push(self.version);
        v
    }
}

/// The settings of the resource `name`; `args` is `None` when the
/// attribute's arguments did not parse at all.
pub(super) fn resource_options(
    cx: &mut Ctxt,
    args: Option<&ResourceArgs>,
    name: &str,
) -> ResourceOptions {
    let default_path = default_path(name);
    match args {
        Some(args) => options_from_args(cx, args, default_path),
        None => default_options(default_path),
    }
}

fn default_options(default_path: String) -> ResourceOptions {
    ResourceOptions {
        table: default_table(&default_path),
        path: default_path,
        version: defaults::VERSION,
        cache_ttl_secs: None,
        client_cache_secs: None,
        page_size: defaults::PAGE_SIZE,
        max_page_size: defaults::MAX_PAGE_SIZE,
        rate_limit: RateLimitModel::NONE,
        access: ResourceAccess::default(),
        previous: Vec::new(),
    }
}

/// Reads the options in the order they are checked (and so reported).
fn options_from_args(cx: &mut Ctxt, args: &ResourceArgs, default_path: String) -> ResourceOptions {
    let path = args.path.as_ref().and_then(|p| url_path(cx, p));
    let table = args.table.as_ref().and_then(|t| table_name(cx, t));
    let version = args.version.as_ref().and_then(|v| api_version(cx, v));
    let cache_ttl_secs = args.cache_ttl.as_ref().and_then(|t| cache_ttl(cx, t));
    let client_cache_secs = args.client_cache.as_ref().and_then(|t| client_cache(cx, t));
    let rate_limit = args.rate_limit.as_ref().map(|rl| rate_limit(cx, rl));
    let page_size = args
        .page_size
        .as_ref()
        .and_then(|l| positive_int(cx, l, "page_size"));
    let max_page_size = args
        .max_page_size
        .as_ref()
        .and_then(|l| positive_int(cx, l, "max_page_size"));
    let access = args
        .access
        .as_ref()
        .map(|a| resource_access(cx, &a.value))
        .unwrap_or_default();
    let newest = version.unwrap_or(defaults::VERSION);
    let previous = args
        .previous
        .as_ref()
        .map(|p| super::versions::previous_versions(cx, &p.value, newest))
        .unwrap_or_default();
    ResourceOptions {
        previous,
        // The default table follows the default path, not `path = ".."`.
        table: table.unwrap_or_else(|| default_table(&default_path)),
        path: path.unwrap_or(default_path),
        version: version.unwrap_or(defaults::VERSION),
        cache_ttl_secs,
        client_cache_secs,
        page_size: page_size.unwrap_or(defaults::PAGE_SIZE),
        max_page_size: max_page_size.unwrap_or(defaults::MAX_PAGE_SIZE),
        rate_limit: rate_limit.unwrap_or(RateLimitModel::NONE),
        access,
    }
}

/// `path = ".."`: one lowercase URL segment.
fn url_path(cx: &mut Ctxt, lit: &syn::LitStr) -> Option<String> {
    let v = lit.value();
    let ok = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && v.chars()
            .next()
            .map(|c| c.is_ascii_lowercase())
            .unwrap_or(false);
    if ok {
        Some(v)
    } else {
        cx.error_spanned_by(
            lit,
            "`path` must be one lowercase URL segment (a-z, 0-9, `_`, `-`), e.g. `path = \"tasks\"`",
        );
        None
    }
}

/// `table = ".."`: a plain SQL identifier.
fn table_name(cx: &mut Ctxt, lit: &syn::LitStr) -> Option<String> {
    if is_identifier(&lit.value()) {
        Some(lit.value())
    } else {
        cx.error_spanned_by(
            lit,
            "`table` must be a plain SQL identifier, e.g. `table = \"tasks\"`",
        );
        None
    }
}

/// `version = N`, N ≥ 1.
fn api_version(cx: &mut Ctxt, lit: &syn::LitInt) -> Option<u32> {
    match lit.base10_parse::<u32>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            cx.error_spanned_by(
                lit,
                "`version` must be a positive integer, e.g. `version = 2` for /v2",
            );
            None
        }
    }
}

/// `cache_ttl = "10m"`, in seconds.
fn cache_ttl(cx: &mut Ctxt, lit: &syn::LitStr) -> Option<u64> {
    let secs = parse_duration(&lit.value());
    if secs.is_none() {
        cx.error_spanned_by(
            lit,
            "`cache_ttl` must be a duration like \"30s\", \"10m\", \"1h\" or \"0s\" (no caching)",
        );
    }
    secs
}

/// `client_cache = "30s"`: how long clients may reuse a response, in seconds.
fn client_cache(cx: &mut Ctxt, lit: &syn::LitStr) -> Option<u64> {
    let secs = parse_duration(&lit.value());
    if secs.is_none() {
        cx.error_spanned_by(
            lit,
            "`client_cache` must be a duration like \"30s\", \"5m\" or \"0s\" (clients revalidate every read)",
        );
    }
    secs
}

/// `rate_limit = ".."` for both directions, or `rate_limit(read = ..,
/// write = .., on_redis_failure = ..)`; a malformed part stays unset.
fn rate_limit(cx: &mut Ctxt, arg: &RateLimitArg) -> RateLimitModel {
    let mut limit = RateLimitModel::NONE;
    if let Some(both) = &arg.both {
        limit.read = rate(cx, both);
        limit.write = limit.read;
    }
    if let Some(read) = &arg.read {
        limit.read = rate(cx, read);
    }
    if let Some(write) = &arg.write {
        limit.write = rate(cx, write);
    }
    if let Some(failure) = &arg.on_redis_failure {
        if let Some(closed) = fails_closed(cx, failure) {
            limit.fail_closed = Some(closed);
        }
    }
    limit
}

/// One rate such as `"100/s"`.
fn rate(cx: &mut Ctxt, lit: &syn::LitStr) -> Option<RateModel> {
    match RateModel::parse(&lit.value()) {
        Ok(r) => Some(r),
        Err(e) => {
            cx.error_spanned_by(lit, format!("`rate_limit`: {e}"));
            None
        }
    }
}

/// `on_redis_failure = "open" | "closed"` → whether to fail closed.
fn fails_closed(cx: &mut Ctxt, lit: &syn::LitStr) -> Option<bool> {
    match lit.value().as_str() {
        "open" => Some(false),
        "closed" => Some(true),
        _ => {
            cx.error_spanned_by(
                lit,
                "`on_redis_failure` must be \"open\" (fall back to in-process limits) or \"closed\" (503)",
            );
            None
        }
    }
}

/// `page_size = N` and `max_page_size = N`, N ≥ 1.
fn positive_int(cx: &mut Ctxt, lit: &syn::LitInt, what: &str) -> Option<u32> {
    match lit.base10_parse::<u32>() {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            cx.error_spanned_by(
                lit,
                format!("`{what}` must be a positive integer, e.g. `{what} = 50`"),
            );
            None
        }
    }
}

/// `TaskComment` → `task_comments`.
fn default_path(name: &str) -> String {
    pluralize(&snake(name))
}

/// `task-comments` → `task_comments`.
fn default_table(default_path: &str) -> String {
    default_path.replace('-', "_")
}

/// `TaskComment` → `task_comment`.
fn snake(name: &str) -> String {
    super::rename_case(name, "snake_case").unwrap_or_else(|| name.to_lowercase())
}

/// A small English pluralizer for default paths; `path = ".."` overrides it.
fn pluralize(s: &str) -> String {
    if s.ends_with('s') || s.ends_with('x') || s.ends_with("ch") || s.ends_with("sh") {
        format!("{s}es")
    } else if s.ends_with('y') && !s.ends_with("ay") && !s.ends_with("ey") && !s.ends_with("oy") {
        format!("{}ies", &s[..s.len() - 1])
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural() {
        assert_eq!(pluralize("task"), "tasks");
        assert_eq!(pluralize("category"), "categories");
        assert_eq!(pluralize("box"), "boxes");
        assert_eq!(pluralize("day"), "days");
    }
}
