//! Schema migrations from the declarations, and the guarantee behind them:
//! the service never serves a model its database does not match.
//!
//! - At start-up the declared models are compared with the live schema
//!   (both databases); a difference stops the service, naming it and the
//!   command that fixes it. Tables of new resources are created from the
//!   models as before.
//! - `migrate plan` writes the next migration for the configured database
//!   (`MIGRATIONS_DIR`, default `migrations/`, one folder per dialect; up
//!   and down) from the differences that can be made safely: a new optional
//!   field (with its index), a renamed field, new enum variants, a field
//!   made optional,
//!   new indexes, a required field with a `default`.
//!   Drops and narrowing are planned only with `--allow-destructive`;
//!   anything else (a new required field without a default, a type change)
//!   is refused with the expand / backfill / contract steps to take
//!   instead.
//! - `migrate apply` runs pending migrations in order, each in a
//!   transaction (a SQLite table rebuild manages its own), recorded with a
//!   checksum; `migrate status` lists applied, pending and edited ones and
//!   what still differs.
//! - With SQLite, pending migrations apply at start-up (`MIGRATE_ON_START`,
//!   on by default there, off for PostgreSQL, where a deploy step runs
//!   `migrate apply` once); a fresh database is created from the models and
//!   every migration recorded as applied.
//!
//! A field declared `renamed_from = "old"` is planned as a rename of the
//! column, not a drop and an add.
//!
//! Removing a field takes two deploys (expand, then contract): first the
//! field becomes `Option<…>` (or gets a `default`) and the code stops
//! needing it; once no running version writes it, it leaves the struct
//! and `migrate plan --allow-destructive` writes the drop. A column no
//! field declares does not stop the service unless inserts must fill it.
//! Making a field required again (`SET NOT NULL`) is narrowing and is
//! planned the same way, filling empty rows with the field's `default`.

pub mod diff;
pub mod files;
pub mod live;
pub mod plan;
pub mod runner;

use crate::model::ResourceModel;
use crate::store::{Db, Dialect};
use std::path::PathBuf;

/// `MIGRATIONS_DIR`, `MIGRATE_ON_START`.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrateSettings {
    pub dir: PathBuf,
    /// `None`: on for SQLite, off for PostgreSQL.
    pub on_start: Option<bool>,
}

impl Default for MigrateSettings {
    fn default() -> Self {
        MigrateSettings {
            dir: PathBuf::from("migrations"),
            on_start: None,
        }
    }
}

impl MigrateSettings {
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<MigrateSettings, String> {
        let mut s = MigrateSettings::default();
        if let Some(d) = get("MIGRATIONS_DIR").filter(|d| !d.trim().is_empty()) {
            s.dir = PathBuf::from(d);
        }
        if let Some(v) = get("MIGRATE_ON_START").filter(|v| !v.trim().is_empty()) {
            s.on_start = Some(match v.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(format!("MIGRATE_ON_START={v:?}: use true or false")),
            });
        }
        Ok(s)
    }

    fn applies_on_start(&self, d: Dialect) -> bool {
        self.on_start.unwrap_or(d == Dialect::Sqlite)
    }
}

/// How to run a subcommand of this binary, for messages.
pub fn command_line(sub: &str) -> String {
    let bin = std::env::args()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "the service".into());
    format!("`{bin} migrate {sub}` (in a checkout: `cargo run -p {bin} -- migrate {sub}`)")
}

/// Before the tables are created: a fresh database records every
/// migration as applied (its tables come from the models); otherwise
/// pending ones are applied, or refused when they may not apply here.
pub async fn before_tables(
    db: &Db,
    models: &[&'static ResourceModel],
    settings: &MigrateSettings,
) -> Result<(), String> {
    let err = |e: sqlx::Error| e.to_string();
    let mut fresh = !runner::table_exists(db).await.map_err(err)?;
    for m in models {
        if live::table(db, m.table).await.map_err(err)?.is_some() {
            fresh = false;
        }
    }
    runner::ensure_table(db).await.map_err(err)?;
    let found = files::read(&settings.dir, db.dialect()).map_err(|e| e.to_string())?;
    if fresh {
        for m in &found {
            runner::baseline(db, m).await.map_err(err)?;
        }
        return Ok(());
    }
    let applied = runner::applied(db).await.map_err(err)?;
    for a in &applied {
        if let Some(m) = found.iter().find(|m| m.version == a.version) {
            if m.checksum() != a.checksum {
                return Err(format!(
                    "migration {} ({}) was changed after it was applied; restore it (a new change goes in a new migration)",
                    a.version,
                    m.path.display()
                ));
            }
        }
    }
    let pending: Vec<_> = found
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .collect();
    if pending.is_empty() {
        return Ok(());
    }
    if !settings.applies_on_start(db.dialect()) {
        return Err(format!(
            "{} migration(s) pending ({}): run {}",
            pending.len(),
            pending
                .iter()
                .map(|m| format!("{}_{}", m.version, m.name))
                .collect::<Vec<_>>()
                .join(", "),
            command_line("apply")
        ));
    }
    for m in pending {
        if runner::apply(db, m)
            .await
            .map_err(|e| format!("migration {}_{}: {e}", m.version, m.name))?
        {
            tracing::info!(version = m.version, name = %m.name, "migration applied at start-up");
        }
    }
    Ok(())
}

/// After the tables are created: the models must match the database.
pub async fn check(db: &Db, models: &[&'static ResourceModel]) -> Result<(), String> {
    let all = diff::diff(db, models).await.map_err(|e| e.to_string())?;
    for c in all.iter().filter(|c| !c.blocks_serving()) {
        tracing::warn!(change = %c.describe(), "the database differs from the models (harmless while it lasts); see `migrate plan`");
    }
    let changes: Vec<diff::Change> = all.into_iter().filter(|c| c.blocks_serving()).collect();
    if changes.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = changes
        .iter()
        .map(|c| format!("  - {}", c.describe()))
        .collect();
    let fix = if changes.iter().all(diff::Change::is_safe) {
        format!(
            "run {}, review the file it writes, then {}",
            command_line("plan"),
            command_line("apply")
        )
    } else if changes.iter().all(|c| c.is_safe() || c.is_destructive()) {
        format!(
            "some of these drop data or fail on rows that do not fit: review them, then run {} and {}",
            command_line("plan --allow-destructive"),
            command_line("apply")
        )
    } else {
        "some of these cannot be planned safely (see each line); change the declarations, or write a reviewed migration".to_string()
    };
    Err(format!(
        "the database does not match the declared models, so nothing is served:\n{}\n{fix}",
        lines.join("\n")
    ))
}

/// `migrate status | plan [name] [--allow-destructive] | apply`, for the
/// binary's arguments.
pub async fn command(
    args: &[String],
    db: &Db,
    models: &[&'static ResourceModel],
    settings: &MigrateSettings,
) -> Result<String, String> {
    let err = |e: sqlx::Error| e.to_string();
    runner::ensure_table(db).await.map_err(err)?;
    let found = files::read(&settings.dir, db.dialect()).map_err(|e| e.to_string())?;
    let applied = runner::applied(db).await.map_err(err)?;
    let pending: Vec<_> = found
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .collect();
    // Drops and narrowing steps are planned only when asked for.
    let allow_destructive = args.iter().any(|a| a == "--allow-destructive");
    let args: Vec<String> = args
        .iter()
        .filter(|a| *a != "--allow-destructive")
        .cloned()
        .collect();
    match args.first().map(String::as_str) {
        Some("status") => {
            let mut out = Vec::new();
            for a in &applied {
                let state = match found.iter().find(|m| m.version == a.version) {
                    None => "applied, file missing",
                    Some(m) if m.checksum() != a.checksum => "applied, file CHANGED since",
                    Some(_) => "applied",
                };
                out.push(format!(
                    "{:04}_{}  {state} at {}",
                    a.version, a.name, a.applied_at
                ));
            }
            for m in &pending {
                out.push(format!("{:04}_{}  pending", m.version, m.name));
            }
            if out.is_empty() {
                out.push(format!(
                    "no migrations in {}",
                    files::dialect_dir(&settings.dir, db.dialect()).display()
                ));
            }
            let changes = diff::diff(db, models).await.map_err(err)?;
            if changes.is_empty() {
                out.push("the models match the database".into());
            } else {
                out.push("differences from the models:".into());
                out.extend(changes.iter().map(|c| format!("  - {}", c.describe())));
            }
            Ok(out.join("\n"))
        }
        Some("plan") => {
            if !pending.is_empty() {
                return Err(format!(
                    "apply the pending migrations first: {}",
                    command_line("apply")
                ));
            }
            let all = diff::diff(db, models).await.map_err(err)?;
            if all.is_empty() {
                return Ok("nothing to plan: the models match the database".into());
            }
            let refused: Vec<String> = all
                .iter()
                .filter(|c| !c.is_safe() && !c.is_destructive())
                .map(|c| format!("  - {}", c.describe()))
                .collect();
            if !refused.is_empty() {
                return Err(format!("not planned:\n{}", refused.join("\n")));
            }
            let held: Vec<String> = all
                .iter()
                .filter(|c| c.is_destructive() && !allow_destructive)
                .map(|c| format!("  - {}", c.describe()))
                .collect();
            let changes: Vec<diff::Change> = all
                .into_iter()
                .filter(|c| c.is_safe() || allow_destructive)
                .collect();
            let held_note = if held.is_empty() {
                String::new()
            } else {
                format!(
                    "\nnot planned (they drop data or fail on rows that do not fit; review them, then add --allow-destructive):\n{}",
                    held.join("\n")
                )
            };
            if changes.is_empty() {
                return Ok(format!("nothing planned{held_note}"));
            }
            let mut live_columns = std::collections::HashMap::new();
            for c in &changes {
                if let Some(t) = live::table(db, c.table()).await.map_err(err)? {
                    live_columns.insert(
                        c.table(),
                        t.columns.into_iter().map(|c| c.name).collect::<Vec<_>>(),
                    );
                }
            }
            let d = db.dialect();
            let script = plan::script(
                &changes,
                models,
                &|t| live_columns.get(t).cloned().unwrap_or_default(),
                d,
            );
            let name = args.get(1).cloned().unwrap_or_else(|| name_of(&changes));
            let mut up = String::new();
            if script.own_transaction {
                up.push_str(files::OWN_TRANSACTION);
                up.push('\n');
            }
            up.push_str(
                "-- Planned by `migrate plan` from the declarations; review before applying.\n",
            );
            for c in &changes {
                up.push_str(&format!("-- {}\n", c.describe()));
            }
            for s in &script.up {
                up.push_str(s);
                up.push_str(";\n");
            }
            let down: String = script
                .down
                .iter()
                .map(|s| {
                    if s.starts_with("--") {
                        format!("{s}\n")
                    } else {
                        format!("{s};\n")
                    }
                })
                .collect();
            let path =
                files::write(&settings.dir, d, &name, &up, &down).map_err(|e| e.to_string())?;
            Ok(format!(
                "wrote {} (and its .down.sql); review it, commit it, then run {}{held_note}",
                path.display(),
                command_line("apply")
            ))
        }
        Some("apply") => {
            if pending.is_empty() {
                return Ok("no pending migrations".into());
            }
            let mut out = Vec::new();
            for m in pending {
                let ran = runner::apply(db, m)
                    .await
                    .map_err(|e| format!("migration {}_{}: {e}", m.version, m.name))?;
                out.push(format!(
                    "{:04}_{}  {}",
                    m.version,
                    m.name,
                    if ran {
                        "applied"
                    } else {
                        "already applied by another replica"
                    }
                ));
            }
            Ok(out.join("\n"))
        }
        _ => Err(
            "usage: migrate status | migrate plan [name] [--allow-destructive] | migrate apply"
                .into(),
        ),
    }
}

fn name_of(changes: &[diff::Change]) -> String {
    let first = match &changes[0] {
        diff::Change::AddColumn { model, field } => format!("add_{}_{}", model.table, field.column),
        diff::Change::Rename { model, field, .. } => {
            format!("rename_{}_{}", model.table, field.column)
        }
        diff::Change::AllowVariants { model, field, .. } => {
            format!("widen_{}_{}", model.table, field.column)
        }
        diff::Change::DropNotNull { model, field } => {
            format!("optional_{}_{}", model.table, field.column)
        }
        diff::Change::AddIndex { model, field } => {
            format!("index_{}_{}", model.table, field.column)
        }
        diff::Change::DropColumn { model, column, .. } => format!("drop_{}_{column}", model.table),
        diff::Change::SetNotNull { model, field } => {
            format!("require_{}_{}", model.table, field.column)
        }
        diff::Change::Refused { model, column, .. } => format!("change_{}_{column}", model.table),
    };
    let mut name: String = first
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(60)
        .collect();
    if changes.len() > 1 {
        name.push_str("_and_more");
    }
    name
}
