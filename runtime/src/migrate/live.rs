//! What the database holds: each table's columns (type, nullability,
//! default) and the values its `CHECK (… IN …)` constraints allow, read
//! from the catalog of either dialect.

use crate::model::FieldType;
use crate::store::{Db, Dialect};
use crate::value::Value;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// As the catalog spells it (`INTEGER`, `timestamp with time zone`).
    pub ty: String,
    pub not_null: bool,
    pub has_default: bool,
    pub primary_key: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    /// Column → the values its check constraint allows, and (PostgreSQL)
    /// the constraint's name.
    pub allowed: HashMap<String, (Vec<String>, Option<String>)>,
    /// The names of its indexes.
    pub indexes: Vec<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        v => v.to_text(),
    }
}

/// The table `name`, or `None` when there is none.
pub async fn table(db: &Db, name: &str) -> Result<Option<Table>, sqlx::Error> {
    match db.dialect() {
        Dialect::Sqlite => sqlite(db, name).await,
        Dialect::Postgres => postgres(db, name).await,
    }
}

async fn sqlite(db: &Db, name: &str) -> Result<Option<Table>, sqlx::Error> {
    let s = FieldType::String;
    let rows = db
        .fetch_typed(
            &[s, s, FieldType::I64, s, FieldType::I64],
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?)",
            vec![(Value::Text(name.into()), s)],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let columns = rows
        .iter()
        .map(|r| Column {
            name: text(&r[0]),
            ty: text(&r[1]).to_ascii_uppercase(),
            not_null: matches!(r[2], Value::Int(1)),
            has_default: !matches!(r[3], Value::Null),
            primary_key: matches!(r[4], Value::Int(n) if n > 0),
        })
        .collect();
    let sql = db
        .fetch_typed(
            &[s],
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
            vec![(Value::Text(name.into()), s)],
        )
        .await?;
    let ddl = sql.first().map(|r| text(&r[0])).unwrap_or_default();
    let allowed = sqlite_checks(&ddl)
        .into_iter()
        .map(|(c, v)| (c, (v, None)))
        .collect();
    let indexes = db
        .fetch_typed(
            &[s],
            "SELECT name FROM pragma_index_list(?)",
            vec![(Value::Text(name.into()), s)],
        )
        .await?
        .iter()
        .map(|r| text(&r[0]))
        .collect();
    Ok(Some(Table {
        columns,
        allowed,
        indexes,
    }))
}

/// `CHECK (col IN ('a', 'b'))` clauses of a `CREATE TABLE`, the column
/// quoted any way SQLite accepts.
pub fn sqlite_checks(ddl: &str) -> Vec<(String, Vec<String>)> {
    let re = regex::Regex::new(
        r#"(?i)CHECK\s*\(\s*[`"\[]?(\w+)[`"\]]?\s+IN\s*\(((?:\s*'(?:[^']|'')*'\s*,?)*)\)\s*\)"#,
    )
    .expect("a valid pattern");
    re.captures_iter(ddl)
        .map(|c| (c[1].to_string(), literals(&c[2])))
        .collect()
}

fn literals(list: &str) -> Vec<String> {
    let re = regex::Regex::new(r"'((?:[^']|'')*)'").expect("a valid pattern");
    re.captures_iter(list)
        .map(|c| c[1].replace("''", "'"))
        .collect()
}

async fn postgres(db: &Db, name: &str) -> Result<Option<Table>, sqlx::Error> {
    let s = FieldType::String;
    let rows = db
        .fetch_typed(
            &[s, s, s, s],
            "SELECT c.column_name::text, c.data_type::text, c.is_nullable::text, \
             COALESCE(c.column_default, '')::text FROM information_schema.columns c \
             WHERE c.table_schema = current_schema() AND c.table_name = $1 ORDER BY c.ordinal_position",
            vec![(Value::Text(name.into()), s)],
        )
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let keys = db
        .fetch_typed(
            &[s],
            "SELECT a.attname::text FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) \
             WHERE i.indisprimary AND n.nspname = current_schema() AND t.relname = $1",
            vec![(Value::Text(name.into()), s)],
        )
        .await?;
    let keys: Vec<String> = keys.iter().map(|r| text(&r[0])).collect();
    let columns = rows
        .iter()
        .map(|r| {
            let name = text(&r[0]);
            Column {
                primary_key: keys.contains(&name),
                name,
                ty: text(&r[1]).to_ascii_uppercase(),
                not_null: text(&r[2]) == "NO",
                has_default: !text(&r[3]).is_empty(),
            }
        })
        .collect();
    let checks = db
        .fetch_typed(
            &[s, s],
            "SELECT c.conname::text, pg_get_constraintdef(c.oid)::text FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE c.contype = 'c' AND n.nspname = current_schema() AND t.relname = $1",
            vec![(Value::Text(name.into()), s)],
        )
        .await?;
    let mut allowed = HashMap::new();
    for r in &checks {
        if let Some((col, values)) = postgres_check(&text(&r[1])) {
            allowed.insert(col, (values, Some(text(&r[0]))));
        }
    }
    let indexes = db
        .fetch_typed(
            &[s],
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1",
            vec![(Value::Text(name.into()), s)],
        )
        .await?
        .iter()
        .map(|r| text(&r[0]))
        .collect();
    Ok(Some(Table {
        columns,
        allowed,
        indexes,
    }))
}

/// `CHECK ((status = ANY (ARRAY['a'::text, 'b'::text])))`, as PostgreSQL
/// prints an `IN` list.
pub fn postgres_check(def: &str) -> Option<(String, Vec<String>)> {
    let re = regex::Regex::new(r#"\(\s*\(?"?(\w+)"?\)?\s*=\s*ANY\s*\(\s*\(?ARRAY\[(.*)\]"#)
        .expect("a valid pattern");
    let c = re.captures(def)?;
    Some((c[1].to_string(), literals(&c[2])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_lists_are_read_in_either_quoting() {
        let ddl = "CREATE TABLE \"tasks\" (\n  \"status\" TEXT NOT NULL CHECK (\"status\" IN ('todo', 'it''s done')),\n  `kind` TEXT CHECK (`kind` IN ('a'))\n)";
        assert_eq!(
            sqlite_checks(ddl),
            vec![
                (
                    "status".to_string(),
                    vec!["todo".to_string(), "it's done".to_string()]
                ),
                ("kind".to_string(), vec!["a".to_string()]),
            ]
        );
        assert_eq!(
            postgres_check("CHECK ((status = ANY (ARRAY['todo'::text, 'in_progress'::text])))"),
            Some(("status".into(), vec!["todo".into(), "in_progress".into()]))
        );
    }
}
