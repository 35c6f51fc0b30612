//! API versions: the older versions a resource still serves
//! (`previous(..)`), and per field the version it arrived in, the one it
//! left in and its older wire names (`added_in`, `removed_in`, `name_in`).
//!
//! Not for the views themselves: [`crate::ResourceModel::at_version`]
//! derives those from the model.

use super::attrs::{FieldArgs, PreviousArgs};
use super::ctxt::Ctxt;
use super::is_identifier;
use super::leak;
use crate::{FieldModel, VersionModel};
use proc_macro2::Span;
use syn::spanned::Spanned;

/// `previous(v1(..), ..)` against the newest `version`, oldest first.
pub(super) fn previous_versions(
    cx: &mut Ctxt,
    args: &PreviousArgs,
    newest: u32,
) -> Vec<VersionModel> {
    let mut out: Vec<VersionModel> = Vec::new();
    for v in &args.versions {
        let Some(n) = version_number(cx, &v.name) else {
            continue;
        };
        if n >= newest {
            cx.error(
                v.name.span(),
                format!("`previous` lists versions older than the newest (`version = {newest}`); raise `version` or remove `{}`", v.name),
            );
            continue;
        }
        if out.iter().any(|o| o.version == n) {
            cx.error(
                v.name.span(),
                format!("`{}` is listed twice in `previous`", v.name),
            );
            continue;
        }
        let deprecated_at = v
            .deprecated
            .as_ref()
            .and_then(|d| date(cx, d, "deprecated"));
        let sunset_at = v.sunset.as_ref().and_then(|d| date(cx, d, "sunset"));
        if let (Some(d), Some(s), Some(lit)) = (deprecated_at, sunset_at, &v.sunset) {
            if s < d {
                cx.error(lit.span(), "`sunset` comes before `deprecated`; a version is deprecated first, then retired");
            }
        }
        out.push(VersionModel {
            version: n,
            deprecated_at,
            sunset_at,
        });
    }
    out.sort_by_key(|v| v.version);
    out
}

/// `v2` → 2.
fn version_number(cx: &mut Ctxt, ident: &syn::Ident) -> Option<u32> {
    let s = ident.to_string();
    match s.strip_prefix('v').and_then(|n| n.parse::<u32>().ok()) {
        Some(n) if n >= 1 => Some(n),
        _ => {
            cx.error(
                ident.span(),
                format!("`{s}` is not a version; write `v1`, `v2`, …"),
            );
            None
        }
    }
}

/// `"2026-12-01"` or `"2026-12-01T09:30:00Z"` → Unix seconds.
fn date(cx: &mut Ctxt, lit: &syn::LitStr, what: &str) -> Option<i64> {
    let parsed = parse_date(&lit.value());
    if parsed.is_none() {
        cx.error(
            lit.span(),
            format!(
                "`{what}` must be a UTC date such as \"2027-06-30\" or \"2027-06-30T00:00:00Z\""
            ),
        );
    }
    parsed
}

pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let (day, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z')?)),
        None => (s, None),
    };
    let mut parts = day.splitn(3, '-');
    let (y, m, d): (i64, u32, u32) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let secs = match time {
        None => 0,
        Some(t) => {
            let mut hms = t.splitn(3, ':');
            let (h, mi, se): (i64, i64, i64) = (
                hms.next()?.parse().ok()?,
                hms.next()?.parse().ok()?,
                hms.next()?.parse().ok()?,
            );
            if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..60).contains(&se) {
                return None;
            }
            h * 3600 + mi * 60 + se
        }
    };
    Some(days_from_civil(y, m, d) * 86400 + secs)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (H. Hinnant's civil-from-days inverse).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// One field's `added_in`, `removed_in` and `name_in`, checked against the
/// versions served (`served`, oldest first); the span of `name_in` for the
/// name checks across fields.
pub(super) fn field_versions(
    cx: &mut Ctxt,
    args: &FieldArgs,
    model: &mut FieldModel,
    served: &[u32],
) -> Option<Span> {
    let oldest = served.first().copied().unwrap_or(1);
    let newest = served.last().copied().unwrap_or(1);
    let bound = |cx: &mut Ctxt, lit: &syn::LitInt, what: &str| -> Option<u32> {
        match lit.base10_parse::<u32>() {
            Ok(n) if n > oldest && n <= newest => Some(n),
            _ => {
                let msg = if served.len() < 2 {
                    format!("`{what}` needs versions to differ between: this resource serves one; declare the older ones with `previous(v1)` and the newest with `version = 2`")
                } else {
                    format!("`{what}` must name a version after the oldest served ({oldest}), up to the newest ({newest})")
                };
                cx.error(lit.span(), msg);
                None
            }
        }
    };
    model.added_in = args
        .added_in
        .as_ref()
        .and_then(|l| bound(cx, l, "added_in"));
    model.removed_in = args
        .removed_in
        .as_ref()
        .and_then(|l| bound(cx, l, "removed_in"));
    if let (Some(a), Some(r), Some(lit)) = (model.added_in, model.removed_in, &args.removed_in) {
        if r <= a {
            cx.error(
                lit.span(),
                format!("`removed_in = {r}` is not after `added_in = {a}`"),
            );
        }
    }
    let versioned = args.added_in.is_some() || args.removed_in.is_some();
    if versioned {
        versioned_field_is_fillable(cx, args, model);
    }
    let name_in = args.name_in.as_ref()?;
    let mut names = Vec::new();
    for (ident, lit) in &name_in.value.names {
        let Some(n) = version_number(cx, ident) else {
            continue;
        };
        if !served[..served.len().saturating_sub(1)].contains(&n) {
            cx.error(ident.span(), format!("`name_in` names {ident}, which is not an older version this resource serves (see `previous(..)`)"));
            continue;
        }
        if !is_identifier(&lit.value()) {
            cx.error(
                lit.span(),
                "a field's name must be an identifier (letters, digits, `_`)",
            );
            continue;
        }
        if lit.value() == model.api_name {
            cx.error(lit.span(), format!("`{}` is already the field's name; `name_in` gives the name it had in an older version", model.api_name));
            continue;
        }
        names.push((n, leak(lit.value())));
    }
    model.old_names = Box::leak(names.into_boxed_slice());
    Some(name_in.span)
}

/// A version without the field writes rows without it, so the server must
/// be able to fill it.
fn versioned_field_is_fillable(cx: &mut Ctxt, args: &FieldArgs, model: &FieldModel) {
    if model.id.is_some() {
        cx.error(
            args.ty.span(),
            "the id is part of every version; remove `added_in`/`removed_in`",
        );
        return;
    }
    let fillable = model.optional || model.default.is_some() || model.auto.is_some() || model.owner;
    if !fillable {
        cx.error(
            args.ty.span(),
            format!(
                "a version without `{}` creates rows without it, so it needs a value of its own: make it `Option<…>` or give it `default = ..`",
                model.rust_name
            ),
        );
    }
}

/// In every version, the fields it has use distinct wire names.
pub(super) fn names_are_distinct(
    cx: &mut Ctxt,
    fields: &[FieldModel],
    spans: &[Span],
    served: &[u32],
) {
    for &v in served {
        let mut seen: Vec<&str> = Vec::new();
        for (f, span) in fields.iter().zip(spans) {
            if f.skip || f.hidden || !f.in_version(v) {
                continue;
            }
            let name = f.name_in(v);
            if seen.contains(&name) {
                cx.error(*span, format!("in v{v}, `{name}` names two fields; give one of them another name in `name_in`"));
            }
            seen.push(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2026-12-01"), Some(1_796_083_200));
        assert_eq!(parse_date("2000-02-29T12:00:00Z"), Some(951_825_600));
        assert_eq!(parse_date("2001-02-29"), None);
        assert_eq!(parse_date("2026-12-01T25:00:00Z"), None);
        assert_eq!(parse_date("2026-12-01T10:00:00"), None);
    }
}
