//! The declared models against the live schema: every difference that
//! would make a query wrong, each either planned as a safe step or
//! refused with what to do instead.

use super::live::{self, Column};
use crate::model::{FieldModel, FieldType, ResourceModel};
use crate::store::schema::{self, column_type};
use crate::store::{Db, Dialect};

#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// An optional field the table lacks: `ADD COLUMN`.
    AddColumn {
        model: &'static ResourceModel,
        field: &'static FieldModel,
    },
    /// A field declared `renamed_from` the column the table still has.
    Rename {
        model: &'static ResourceModel,
        field: &'static FieldModel,
        from: &'static str,
    },
    /// Declared variants the table's check refuses: the check is widened.
    AllowVariants {
        model: &'static ResourceModel,
        field: &'static FieldModel,
        missing: Vec<String>,
        constraint: Option<String>,
    },
    /// Declared optional, `NOT NULL` in the table: the column may hold null.
    DropNotNull {
        model: &'static ResourceModel,
        field: &'static FieldModel,
    },
    /// A filtered, sorted or related field without its index.
    AddIndex {
        model: &'static ResourceModel,
        field: &'static FieldModel,
    },
    /// A column no field declares any more (the contract step of removing
    /// a field). Destructive: planned only when allowed. `blocks` when
    /// inserts would fail while it stays (NOT NULL without a default).
    DropColumn {
        model: &'static ResourceModel,
        column: String,
        ty: String,
        blocks: bool,
    },
    /// Declared required, the column allows NULL: narrowing, planned only
    /// when allowed (it fails on rows without a value, unless the field
    /// declares a default to fill them with).
    SetNotNull {
        model: &'static ResourceModel,
        field: &'static FieldModel,
    },
    /// Anything else: named, and refused.
    Refused {
        model: &'static ResourceModel,
        column: String,
        why: String,
    },
}

impl Change {
    /// Planned without being asked: nothing is lost and no row can fail it.
    pub fn is_safe(&self) -> bool {
        !matches!(
            self,
            Change::Refused { .. } | Change::DropColumn { .. } | Change::SetNotNull { .. }
        )
    }

    /// Planned only with `--allow-destructive`: drops data, or fails on
    /// rows that do not fit.
    pub fn is_destructive(&self) -> bool {
        matches!(self, Change::DropColumn { .. } | Change::SetNotNull { .. })
    }

    /// Whether the service would answer wrongly while this difference
    /// stays. A column nobody declares any more does no harm, unless
    /// inserts must fill it.
    pub fn blocks_serving(&self) -> bool {
        match self {
            Change::DropColumn { blocks, .. } => *blocks,
            // An index only makes queries faster.
            Change::AddIndex { .. } => false,
            _ => true,
        }
    }

    pub fn table(&self) -> &'static str {
        match self {
            Change::AddColumn { model, .. }
            | Change::Rename { model, .. }
            | Change::AllowVariants { model, .. }
            | Change::DropNotNull { model, .. }
            | Change::AddIndex { model, .. }
            | Change::DropColumn { model, .. }
            | Change::SetNotNull { model, .. }
            | Change::Refused { model, .. } => model.table,
        }
    }

    /// One line for a person: where, and what differs.
    pub fn describe(&self) -> String {
        match self {
            Change::AddColumn { model, field } => format!(
                "{}.{}: declared ({}), but the table has no such column",
                model.table,
                field.column,
                type_name(field)
            ),
            Change::Rename { model, field, from } => format!(
                "{}.{}: declared as renamed from `{from}`, which the table still has",
                model.table, field.column
            ),
            Change::AllowVariants { model, field, missing, .. } => format!(
                "{}.{}: the table refuses {} (its check allows fewer values than the declared enum)",
                model.table,
                field.column,
                missing.join(", ")
            ),
            Change::DropNotNull { model, field } => format!(
                "{}.{}: declared optional, but NOT NULL in the table",
                model.table, field.column
            ),
            Change::AddIndex { model, field } => format!(
                "{}.{}: filtered, sorted or related, but not indexed",
                model.table, field.column
            ),
            Change::DropColumn { model, column, blocks, .. } => format!(
                "{}.{column}: no field declares it any more{}; dropping it is the contract step (`--allow-destructive`)",
                model.table,
                if *blocks { " and inserts would fail while it stays (NOT NULL without a default)" } else { "" }
            ),
            Change::SetNotNull { model, field } => format!(
                "{}.{}: declared required, but the column allows NULL; making it NOT NULL {} (`--allow-destructive`)",
                model.table,
                field.column,
                if field.default.is_some() { "fills empty rows with the declared default" } else { "fails while any row holds none: fill them first" }
            ),
            Change::Refused { model, column, why } => format!("{}.{column}: {why}", model.table),
        }
    }
}

fn type_name(f: &FieldModel) -> String {
    let t = match f.ty {
        FieldType::Enum(e) => e.name.to_string(),
        t => format!("{t:?}"),
    };
    if f.optional {
        format!("Option<{t}>")
    } else {
        t
    }
}

/// Every difference between `models` and the tables that exist (tables
/// that do not exist yet are created from the models, not diffed).
pub async fn diff(db: &Db, models: &[&'static ResourceModel]) -> Result<Vec<Change>, sqlx::Error> {
    let mut out = Vec::new();
    for &m in models {
        let Some(table) = live::table(db, m.table).await? else {
            continue;
        };
        for (_, f) in m.stored() {
            match (
                table.column(f.column),
                f.renamed_from.and_then(|old| table.column(old)),
            ) {
                (None, Some(old)) => {
                    out.push(Change::Rename {
                        model: m,
                        field: f,
                        from: f.renamed_from.expect("matched"),
                    });
                    out.extend(differences(m, f, old, &table, db.dialect()));
                }
                (None, None) => out.push(missing(m, f)),
                (Some(c), _) => out.extend(differences(m, f, c, &table, db.dialect())),
            }
        }
        for c in &table.columns {
            let known = m
                .stored()
                .any(|(_, f)| f.column == c.name || f.renamed_from == Some(c.name.as_str()));
            if !known && !c.primary_key {
                out.push(Change::DropColumn {
                    model: m,
                    column: c.name.clone(),
                    ty: c.ty.clone(),
                    blocks: c.not_null && !c.has_default,
                });
            }
        }
        for (_, f) in m.stored() {
            let indexed = schema::index_statement(m, f, db.dialect()).is_none()
                || table.indexes.iter().any(|i| *i == schema::index_name(m, f));
            let fresh = table.column(f.column).is_none();
            if !indexed && !fresh {
                out.push(Change::AddIndex { model: m, field: f });
            }
        }
    }
    Ok(out)
}

fn missing(m: &'static ResourceModel, f: &'static FieldModel) -> Change {
    // Rows already there take null, or the declared default.
    if f.optional || f.default.is_some() {
        Change::AddColumn { model: m, field: f }
    } else {
        Change::Refused {
            model: m,
            column: f.column.to_string(),
            why: format!(
                "declared ({}), but the table has no such column; a new required field needs a value for the rows \
                 already there: give it `default = ..`, or add it as Option<…> first, fill it, then make it required \
                 (expand, backfill, contract)",
                type_name(f)
            ),
        }
    }
}

fn differences(
    m: &'static ResourceModel,
    f: &'static FieldModel,
    c: &Column,
    table: &live::Table,
    d: Dialect,
) -> Vec<Change> {
    let mut out = Vec::new();
    let refused = |why: String| Change::Refused {
        model: m,
        column: f.column.to_string(),
        why,
    };
    if !same_type(column_type(f, d), &c.ty, d) {
        out.push(refused(format!(
            "declared ({}), the table's column is {}; changing a column's type is not planned: \
             add a new field, copy the values, then drop the old one",
            type_name(f),
            c.ty
        )));
    }
    if f.id.is_none() {
        if f.optional && c.not_null {
            out.push(Change::DropNotNull { model: m, field: f });
        } else if !f.optional && !c.not_null {
            out.push(Change::SetNotNull { model: m, field: f });
        }
    }
    if let FieldType::Enum(e) = f.ty {
        if let Some((allowed, constraint)) = table.allowed.get(f.column) {
            let missing: Vec<String> = e
                .variants
                .iter()
                .filter(|v| !allowed.iter().any(|a| a == *v))
                .map(|v| v.to_string())
                .collect();
            if !missing.is_empty() {
                out.push(Change::AllowVariants {
                    model: m,
                    field: f,
                    missing,
                    constraint: constraint.clone(),
                });
            }
            let dropped: Vec<&String> = allowed
                .iter()
                .filter(|a| !e.variants.contains(&a.as_str()))
                .collect();
            if !dropped.is_empty() {
                out.push(refused(format!(
                    "the table allows {} that the enum no longer declares (rows may hold them): keep the \
                     variants until no row uses them",
                    dropped.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    out
}

/// Whether a live column type holds what the model's type needs: SQLite by
/// its affinity rules, PostgreSQL by name.
fn same_type(declared: &str, live: &str, d: Dialect) -> bool {
    match d {
        Dialect::Sqlite => affinity(declared) == affinity(live),
        Dialect::Postgres => {
            let expected = match declared {
                "TIMESTAMPTZ" => "TIMESTAMP WITH TIME ZONE",
                t => t,
            };
            expected == live
        }
    }
}

/// SQLite's column affinity (section 3.1 of its datatype document).
fn affinity(t: &str) -> &'static str {
    let t = t.to_ascii_uppercase();
    if t.contains("INT") {
        "INTEGER"
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        "TEXT"
    } else if t.contains("BLOB") || t.is_empty() {
        "BLOB"
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_types_compare_by_affinity() {
        assert!(same_type("INTEGER", "BIGINT", Dialect::Sqlite));
        assert!(same_type("TEXT", "VARCHAR(20)", Dialect::Sqlite));
        assert!(same_type("BOOLEAN", "BOOLEAN", Dialect::Sqlite));
        assert!(!same_type("TEXT", "INTEGER", Dialect::Sqlite));
        assert!(same_type(
            "TIMESTAMPTZ",
            "TIMESTAMP WITH TIME ZONE",
            Dialect::Postgres
        ));
        assert!(!same_type("BIGINT", "INTEGER", Dialect::Postgres));
    }
}
