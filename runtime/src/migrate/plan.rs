//! SQL for the safe changes, up and down, per dialect. PostgreSQL alters
//! in place (transactional DDL); SQLite, which cannot alter a column's
//! constraints, rebuilds the table: a new one from the model, the rows
//! copied, the old one dropped, the new one renamed, with foreign keys off
//! for the swap (so no cascade fires) and checked before the commit.

use super::diff::Change;
use crate::model::ResourceModel;
use crate::store::schema::{self, column_definition, enum_check, index_name, index_statement};
use crate::store::sql::quote;
use crate::store::Dialect;

/// One migration: its statements, and whether it manages its own
/// transaction (a SQLite rebuild must switch foreign keys off outside one).
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    pub up: Vec<String>,
    pub down: Vec<String>,
    pub own_transaction: bool,
}

/// The script for `changes` (all safe), against the live columns `live`
/// of each rebuilt table.
pub fn script(
    changes: &[Change],
    all: &[&'static ResourceModel],
    live_columns: &dyn Fn(&str) -> Vec<String>,
    d: Dialect,
) -> Script {
    let mut s = Script {
        up: Vec::new(),
        down: Vec::new(),
        own_transaction: false,
    };
    let mut rebuilt: Vec<&'static ResourceModel> = Vec::new();
    // Each change's down, undone in the reverse order of the ups.
    let mut downs: Vec<Vec<String>> = Vec::new();
    for c in changes {
        let mark = s.down.len();
        match (c, d) {
            (Change::AddColumn { model, field }, _) => {
                let t = quote(d, model.table);
                s.up.push(format!(
                    "ALTER TABLE {t} ADD COLUMN {}",
                    column_definition(field, all, d)
                ));
                if let Some(i) = index_statement(model, field, d) {
                    s.up.push(i);
                    s.down.push(format!(
                        "DROP INDEX IF EXISTS {}",
                        quote(d, &index_name(model, field))
                    ));
                }
                s.down.push(format!(
                    "ALTER TABLE {t} DROP COLUMN {}",
                    quote(d, field.column)
                ));
            }
            (Change::Rename { model, field, from }, _) => {
                let t = quote(d, model.table);
                s.up.push(format!(
                    "ALTER TABLE {t} RENAME COLUMN {} TO {}",
                    quote(d, from),
                    quote(d, field.column)
                ));
                let old_index = format!("{}_{from}_idx", model.table);
                s.up.push(format!("DROP INDEX IF EXISTS {}", quote(d, &old_index)));
                if let Some(i) = index_statement(model, field, d) {
                    s.up.push(i);
                    s.down.push(format!(
                        "DROP INDEX IF EXISTS {}",
                        quote(d, &index_name(model, field))
                    ));
                }
                s.down.push(format!(
                    "ALTER TABLE {t} RENAME COLUMN {} TO {}",
                    quote(d, field.column),
                    quote(d, from)
                ));
                if index_statement(model, field, d).is_some() {
                    s.down.push(format!(
                        "CREATE INDEX IF NOT EXISTS {} ON {t} ({})",
                        quote(d, &old_index),
                        quote(d, from)
                    ));
                }
            }
            (
                Change::AllowVariants {
                    model,
                    field,
                    constraint,
                    missing,
                },
                Dialect::Postgres,
            ) => {
                let t = quote(d, model.table);
                let name = constraint
                    .clone()
                    .unwrap_or_else(|| format!("{}_{}_check", model.table, field.column));
                let check = enum_check(field, d).expect("an enum field");
                s.up.push(format!(
                    "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {}",
                    quote(d, &name)
                ));
                s.up.push(format!(
                    "ALTER TABLE {t} ADD CONSTRAINT {} {check}",
                    quote(d, &name)
                ));
                // Down: back to the values the table allowed before.
                let before = variants_without(field, missing);
                s.down.push(format!(
                    "ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {}",
                    quote(d, &name)
                ));
                s.down.push(format!(
                    "ALTER TABLE {t} ADD CONSTRAINT {} CHECK ({} IN ({before}))",
                    quote(d, &name),
                    quote(d, field.column)
                ));
            }
            (Change::DropNotNull { model, field }, Dialect::Postgres) => {
                let t = quote(d, model.table);
                let col = quote(d, field.column);
                s.up.push(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP NOT NULL"));
                s.down
                    .push(format!("ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL"));
            }
            (Change::AddIndex { model, field }, _) => {
                if let Some(i) = index_statement(model, field, d) {
                    s.up.push(i);
                    s.down.push(format!(
                        "DROP INDEX IF EXISTS {}",
                        quote(d, &index_name(model, field))
                    ));
                }
            }
            (
                Change::DropColumn {
                    model, column, ty, ..
                },
                _,
            ) => {
                let t = quote(d, model.table);
                if d == Dialect::Postgres {
                    s.up.push(format!("ALTER TABLE {t} DROP COLUMN {}", quote(d, column)));
                } else if !rebuilt.contains(model) {
                    rebuilt.push(model);
                }
                s.down.push(format!(
                    "-- {}.{column} comes back empty: its values are not restored",
                    model.table
                ));
                s.down.push(format!(
                    "ALTER TABLE {t} ADD COLUMN {} {ty}",
                    quote(d, column)
                ));
            }
            (Change::SetNotNull { model, field }, _) => {
                let t = quote(d, model.table);
                let col = quote(d, field.column);
                if let Some(v) = field.default {
                    s.up.push(format!(
                        "UPDATE {t} SET {col} = {} WHERE {col} IS NULL",
                        schema::default_literal(v, d)
                    ));
                }
                if d == Dialect::Postgres {
                    s.up.push(format!("ALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL"));
                    s.down
                        .push(format!("ALTER TABLE {t} ALTER COLUMN {col} DROP NOT NULL"));
                } else if !rebuilt.contains(model) {
                    rebuilt.push(model);
                }
            }
            (
                Change::AllowVariants { model, .. } | Change::DropNotNull { model, .. },
                Dialect::Sqlite,
            ) => {
                if !rebuilt.contains(model) {
                    rebuilt.push(model);
                }
            }
            (Change::Refused { .. }, _) => unreachable!("refused changes are never planned"),
        }
        downs.push(s.down.drain(mark..).collect());
    }
    s.down = downs.into_iter().rev().flatten().collect();
    if !rebuilt.is_empty() {
        s.own_transaction = true;
        let mut up = vec!["PRAGMA foreign_keys = OFF".to_string(), "BEGIN".to_string()];
        up.append(&mut s.up);
        for m in &rebuilt {
            up.extend(rebuild(m, all, &live_columns(m.table)));
        }
        up.push("PRAGMA foreign_key_check".into());
        up.push("COMMIT".into());
        up.push("PRAGMA foreign_keys = ON".into());
        s.up = up;
        // A rebuild's down is the previous table, which the model no longer
        // describes: restore from a backup, or write it by hand.
        s.down.insert(
            0,
            "-- the rebuild of a table is not reversed here: restore the backup taken before `migrate apply`"
                .into(),
        );
    }
    s
}

/// The quoted `IN` list of the enum's variants other than `missing`.
fn variants_without(field: &crate::model::FieldModel, missing: &[String]) -> String {
    let crate::model::FieldType::Enum(e) = field.ty else {
        return String::new();
    };
    e.variants
        .iter()
        .filter(|v| !missing.iter().any(|m| m == *v))
        .map(|v| format!("'{}'", v.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The rebuild of one SQLite table, keeping every row (columns the model
/// and the table share are copied; new ones start empty).
fn rebuild(m: &ResourceModel, all: &[&'static ResourceModel], live: &[String]) -> Vec<String> {
    let d = Dialect::Sqlite;
    let new = format!("{}__rebuild", m.table);
    let shared: Vec<String> = m
        .stored()
        .filter(|(_, f)| live.iter().any(|c| c == f.column))
        .map(|(_, f)| quote(d, f.column))
        .collect();
    let mut out = vec![
        format!("DROP TABLE IF EXISTS {}", quote(d, &new)),
        schema::create_table(m, &new, all, d),
        format!(
            "INSERT INTO {} ({cols}) SELECT {cols} FROM {}",
            quote(d, &new),
            quote(d, m.table),
            cols = shared.join(", ")
        ),
        format!("DROP TABLE {}", quote(d, m.table)),
        format!(
            "ALTER TABLE {} RENAME TO {}",
            quote(d, &new),
            quote(d, m.table)
        ),
    ];
    out.extend(m.stored().filter_map(|(_, f)| index_statement(m, f, d)));
    out
}
