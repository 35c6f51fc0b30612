//! SQL text per resource: fixed statements built once at start-up, and the
//! list query assembled from a validated [`ListQuery`].

use super::{Dialect, Param};
use crate::model::{AutoValue, FieldType, ResourceModel};
use crate::query::{Filter, ListQuery, Op, Operand};
use crate::value::Value;

/// A quoted identifier. SQLite reads a double-quoted name that matches no
/// column as a string literal (a model ahead of its table would read its
/// own column name as every row's value); a backquoted one is always an
/// identifier, and an unknown column an error.
pub fn quote(d: Dialect, s: &str) -> String {
    match d {
        Dialect::Sqlite => format!("`{}`", s.replace('`', "``")),
        Dialect::Postgres => format!("\"{}\"", s.replace('"', "\"\"")),
    }
}

/// Collects SQL text and parameters, numbering placeholders per dialect.
pub struct Builder {
    pub sql: String,
    pub params: Vec<Param>,
    dialect: Dialect,
}

impl Builder {
    pub fn new(dialect: Dialect, sql: impl Into<String>) -> Self {
        Builder {
            sql: sql.into(),
            params: Vec::new(),
            dialect,
        }
    }
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }
    /// Appends a placeholder bound to `v`.
    pub fn bind(&mut self, v: Value, ty: FieldType) -> &mut Self {
        self.params.push((v, ty));
        match self.dialect {
            Dialect::Sqlite => self.sql.push('?'),
            Dialect::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.params.len().to_string());
            }
        }
        self
    }
    pub fn finish(self) -> (String, Vec<Param>) {
        (self.sql, self.params)
    }
}

fn placeholders(d: Dialect, from: usize, n: usize) -> String {
    (0..n)
        .map(|i| match d {
            Dialect::Sqlite => "?".to_string(),
            Dialect::Postgres => format!("${}", from + i + 1),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl ResourceSql {
    /// `INSERT … VALUES (…), (…) RETURNING …` for `rows` rows (group
    /// commit); the values bound row after row in `insert_fields` order.
    pub fn insert_many(&self, rows: usize) -> String {
        let d = self.dialect;
        let width = self.insert_fields.len();
        let values: Vec<String> = (0..rows)
            .map(|r| format!("({})", placeholders(d, r * width, width)))
            .collect();
        let head = self
            .insert
            .split_once(" VALUES ")
            .map(|(h, _)| h)
            .expect("an INSERT … VALUES statement");
        let returning = self
            .insert
            .rsplit_once(" RETURNING ")
            .map(|(_, r)| r)
            .expect("an INSERT … RETURNING statement");
        format!("{head} VALUES {} RETURNING {returning}", values.join(", "))
    }

    /// PostgreSQL: `SELECT … WHERE id IN (…) ORDER BY id FOR UPDATE`, the
    /// rows of a group commit's updates locked in id order (so two batches
    /// take shared rows in one order).
    pub fn select_many_for_update(&self, ids: Vec<Value>) -> (String, Vec<Param>) {
        let (mut sql, params) = self.select_where_in(self.model.id_index(), ids);
        let id = quote(self.dialect, self.model.id_field().column);
        sql.push_str(&format!(" ORDER BY {id} FOR UPDATE"));
        (sql, params)
    }

    /// PostgreSQL: one `UPDATE … FROM (VALUES …)` for `rows` rows (a group
    /// commit's updates). Each row binds its id, then `update_fields`; the
    /// first row's values are cast to the columns' types so the `VALUES`
    /// list has them. Every name is qualified: a column may share a name
    /// with the list's own.
    pub fn update_many(&self, rows: usize) -> String {
        let d = self.dialect;
        let m = self.model;
        let width = self.update_fields.len() + 1;
        let cast = |i: usize| crate::store::schema::column_type(&m.fields[i], d);
        let row = |r: usize| {
            let cells: Vec<String> = std::iter::once(m.id_index())
                .chain(self.update_fields.iter().copied())
                .enumerate()
                .map(|(c, i)| {
                    let ph = format!("${}", r * width + c + 1);
                    if r == 0 {
                        format!("{ph}::{}", cast(i))
                    } else {
                        ph
                    }
                })
                .collect();
            format!("({})", cells.join(", "))
        };
        let names: Vec<String> = (0..width).map(|c| format!("\"_v{c}\"")).collect();
        let sets: Vec<String> = self
            .update_fields
            .iter()
            .enumerate()
            .map(|(c, &i)| format!("{} = v.\"_v{}\"", quote(d, m.fields[i].column), c + 1))
            .collect();
        let returning: Vec<String> = m
            .stored()
            .map(|(_, f)| format!("t.{}", quote(d, f.column)))
            .collect();
        format!(
            "UPDATE {} AS t SET {} FROM (VALUES {}) AS v({}) WHERE t.{} = v.\"_v0\" RETURNING {}",
            quote(d, m.table),
            sets.join(", "),
            (0..rows).map(row).collect::<Vec<_>>().join(", "),
            names.join(", "),
            quote(d, m.id_field().column),
            returning.join(", ")
        )
    }

    /// PostgreSQL: `DELETE … WHERE id IN (…)` of a group commit's deletes
    /// (their rows locked and checked already).
    pub fn delete_many(&self, ids: Vec<Value>) -> (String, Vec<Param>) {
        let head = format!("DELETE FROM {}", quote(self.dialect, self.model.table));
        self.where_in(head, self.model.id_index(), ids)
    }

    /// How many rows one multi-row update may carry (PostgreSQL binds at
    /// most 65535 values).
    pub fn rows_per_update(&self) -> usize {
        (65_000 / (self.update_fields.len() + 1)).max(1)
    }

    /// How many rows one multi-row insert may carry: SQLite binds at most
    /// 32766 values, PostgreSQL 65535.
    pub fn rows_per_insert(&self) -> usize {
        let limit = match self.dialect {
            Dialect::Sqlite => 32_000,
            Dialect::Postgres => 65_000,
        };
        (limit / self.insert_fields.len().max(1)).max(1)
    }
}

/// Statements that do not depend on the request, built once.
#[derive(Debug)]
pub struct ResourceSql {
    pub dialect: Dialect,
    pub model: &'static ResourceModel,
    /// `"id", "title", …` — every stored field, in model order.
    pub columns: String,
    pub select_by_id: String,
    /// Same, locking the row in a write transaction where supported.
    pub select_for_update: String,
    /// Field indexes bound by `insert`, in order.
    pub insert_fields: Vec<usize>,
    pub insert: String,
    /// Field indexes bound by `update` (the id comes last).
    pub update_fields: Vec<usize>,
    pub update: String,
    pub delete: String,
}

impl ResourceSql {
    pub fn new(model: &'static ResourceModel, dialect: Dialect) -> Self {
        let table = quote(dialect, model.table);
        let id = model.id_field();
        let columns = model
            .stored()
            .map(|(_, f)| quote(dialect, f.column))
            .collect::<Vec<_>>()
            .join(", ");
        let ph1 = placeholders(dialect, 0, 1);
        let select_by_id = format!(
            "SELECT {columns} FROM {table} WHERE {} = {ph1}",
            quote(dialect, id.column)
        );
        let select_for_update = match dialect {
            Dialect::Postgres => format!("{select_by_id} FOR UPDATE"),
            Dialect::Sqlite => select_by_id.clone(),
        };
        let insert_fields: Vec<usize> = model
            .stored()
            .filter(|(_, f)| f.id != Some(crate::model::IdStrategy::Generated))
            .map(|(i, _)| i)
            .collect();
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({}) RETURNING {columns}",
            insert_fields
                .iter()
                .map(|&i| quote(dialect, model.fields[i].column))
                .collect::<Vec<_>>()
                .join(", "),
            placeholders(dialect, 0, insert_fields.len())
        );
        let update_fields: Vec<usize> = model
            .stored()
            .filter(|(_, f)| f.id.is_none() && f.auto != Some(AutoValue::CreatedAt))
            .map(|(i, _)| i)
            .collect();
        let sets = update_fields
            .iter()
            .enumerate()
            .map(|(n, &i)| {
                format!(
                    "{} = {}",
                    quote(dialect, model.fields[i].column),
                    placeholders(dialect, n, 1)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let update = format!(
            "UPDATE {table} SET {sets} WHERE {} = {} RETURNING {columns}",
            quote(dialect, id.column),
            placeholders(dialect, update_fields.len(), 1)
        );
        let delete = format!(
            "DELETE FROM {table} WHERE {} = {ph1}",
            quote(dialect, id.column)
        );
        ResourceSql {
            dialect,
            model,
            columns,
            select_by_id,
            select_for_update,
            insert_fields,
            insert,
            update_fields,
            update,
            delete,
        }
    }

    /// `SELECT … WHERE field IN (…)` for batched loads.
    pub fn select_where_in(&self, field: usize, values: Vec<Value>) -> (String, Vec<Param>) {
        let head = format!(
            "SELECT {} FROM {}",
            self.columns,
            quote(self.dialect, self.model.table)
        );
        self.where_in(head, field, values)
    }

    /// `head WHERE field IN (…)`, a placeholder per value.
    fn where_in(&self, head: String, field: usize, values: Vec<Value>) -> (String, Vec<Param>) {
        let f = &self.model.fields[field];
        let column = quote(self.dialect, f.column);
        let mut b = Builder::new(self.dialect, format!("{head} WHERE {column} IN ("));
        for (n, v) in values.into_iter().enumerate() {
            if n > 0 {
                b.push(", ");
            }
            b.bind(v, f.ty);
        }
        b.push(")");
        b.finish()
    }

    /// The list query: filters, keyset or offset pagination, and one row
    /// more than the limit to learn whether a next page exists.
    pub fn list(&self, q: &ListQuery) -> (String, Vec<Param>) {
        let m = self.model;
        let mut b = Builder::new(
            self.dialect,
            format!(
                "SELECT {} FROM {}",
                self.columns,
                quote(self.dialect, m.table)
            ),
        );
        let mut first = true;
        let mut and = |b: &mut Builder| {
            b.push(if first { " WHERE " } else { " AND " });
            first = false;
        };
        for f in &q.filters {
            and(&mut b);
            self.condition(&mut b, f);
        }
        let keys = q.full_sort(m);
        if let Some(c) = &q.cursor {
            and(&mut b);
            self.keyset(&mut b, &keys, &c.values);
        }
        b.push(" ORDER BY ");
        for (n, k) in keys.iter().enumerate() {
            let f = &m.fields[k.field];
            if n > 0 {
                b.push(", ");
            }
            if f.optional {
                // NULLs last in both directions, identically on both databases.
                b.push(&format!("({} IS NULL), ", quote(self.dialect, f.column)));
            }
            b.push(&quote(self.dialect, f.column));
            b.push(if k.descending { " DESC" } else { " ASC" });
        }
        b.push(" LIMIT ");
        b.bind(Value::Int(q.limit as i64 + 1), FieldType::I64);
        if let Some(off) = q.offset {
            b.push(" OFFSET ");
            b.bind(Value::Int(off.min(i64::MAX as u64) as i64), FieldType::I64);
        }
        b.finish()
    }

    fn condition(&self, b: &mut Builder, f: &Filter) {
        let field = &self.model.fields[f.field];
        let col = quote(self.dialect, field.column);
        let like = match self.dialect {
            Dialect::Sqlite => " LIKE ",
            Dialect::Postgres => " ILIKE ",
        };
        match (&f.op, &f.operand) {
            (Op::IsNull, Operand::Flag(true)) => {
                b.push(&format!("{col} IS NULL"));
            }
            (Op::IsNull, _) => {
                b.push(&format!("{col} IS NOT NULL"));
            }
            (Op::In | Op::NotIn, Operand::Many(vals)) => {
                b.push(&col);
                b.push(if f.op == Op::In { " IN (" } else { " NOT IN (" });
                for (n, v) in vals.iter().enumerate() {
                    if n > 0 {
                        b.push(", ");
                    }
                    b.bind(v.clone(), field.ty);
                }
                b.push(")");
            }
            (Op::Contains | Op::StartsWith | Op::EndsWith, Operand::One(Value::Text(s))) => {
                let esc = s
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let pat = match f.op {
                    Op::Contains => format!("%{esc}%"),
                    Op::StartsWith => format!("{esc}%"),
                    _ => format!("%{esc}"),
                };
                b.push(&col).push(like);
                b.bind(Value::Text(pat), FieldType::String);
                b.push(" ESCAPE '\\'");
            }
            (op, Operand::One(v)) => {
                let sym = match op {
                    Op::Eq => " = ",
                    Op::Ne => " <> ",
                    Op::Lt => " < ",
                    Op::Lte => " <= ",
                    Op::Gt => " > ",
                    Op::Gte => " >= ",
                    _ => unreachable!("validated operator/operand pair"),
                };
                if *op == Op::Ne && field.optional {
                    // `<>` alone drops NULL rows; "not equal" should keep them.
                    b.push(&format!("({col} IS NULL OR {col}"));
                    b.push(sym);
                    b.bind(v.clone(), field.ty);
                    b.push(")");
                } else {
                    b.push(&col).push(sym);
                    b.bind(v.clone(), field.ty);
                }
            }
            _ => unreachable!("validated operator/operand pair"),
        }
    }

    /// Rows strictly after `last` in the order `keys` (NULLs sort last).
    fn keyset(&self, b: &mut Builder, keys: &[crate::query::SortKey], last: &[Value]) {
        let m = self.model;
        let mut ors = Vec::new();
        for i in 0..keys.len() {
            let mut parts: Vec<Box<dyn Fn(&mut Builder)>> = Vec::new();
            for j in 0..i {
                let f = &m.fields[keys[j].field];
                let col = quote(self.dialect, f.column);
                let v = last[j].clone();
                let ty = f.ty;
                parts.push(Box::new(move |b: &mut Builder| {
                    if v.is_null() {
                        b.push(&format!("{col} IS NULL"));
                    } else {
                        b.push(&format!("{col} = "));
                        b.bind(v.clone(), ty);
                    }
                }));
            }
            let f = &m.fields[keys[i].field];
            let col = quote(self.dialect, f.column);
            let v = last[i].clone();
            if v.is_null() {
                continue; // nothing sorts after NULL on this key
            }
            let ty = f.ty;
            let desc = keys[i].descending;
            let optional = f.optional;
            parts.push(Box::new(move |b: &mut Builder| {
                b.push("(");
                b.push(&col);
                b.push(if desc { " < " } else { " > " });
                b.bind(v.clone(), ty);
                if optional {
                    b.push(&format!(" OR {col} IS NULL"));
                }
                b.push(")");
            }));
            ors.push(parts);
        }
        if ors.is_empty() {
            b.push("1 = 0");
            return;
        }
        b.push("(");
        for (n, parts) in ors.iter().enumerate() {
            if n > 0 {
                b.push(" OR ");
            }
            b.push("(");
            for (k, p) in parts.iter().enumerate() {
                if k > 0 {
                    b.push(" AND ");
                }
                p(b);
            }
            b.push(")");
        }
        b.push(")");
    }
}
