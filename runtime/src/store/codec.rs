//! Binding values and decoding rows, per backend.
//!
//! SQLite stores UUIDs, date-times and dates as text (fixed-width, so text
//! order is value order); PostgreSQL uses its native types.

use super::Param;
use crate::model::{FieldType, ResourceModel};
use crate::value::{format_datetime, Record, Value};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Postgres, Row, Sqlite};
use uuid::Uuid;

type SqliteQuery<'q> = Query<'q, Sqlite, SqliteArguments<'q>>;
type PgQuery<'q> = Query<'q, Postgres, PgArguments>;

fn bind_sqlite<'q>(q: SqliteQuery<'q>, (v, _ty): Param) -> SqliteQuery<'q> {
    match v {
        Value::Null => q.bind(None::<i64>),
        Value::Bool(b) => q.bind(b),
        Value::Int(i) => q.bind(i),
        Value::Float(f) => q.bind(f),
        Value::Text(s) => q.bind(s),
        Value::Uuid(u) => q.bind(u.hyphenated().to_string()),
        Value::DateTime(d) => q.bind(format_datetime(&d)),
        Value::Date(d) => q.bind(d.format("%Y-%m-%d").to_string()),
    }
}

fn bind_pg(q: PgQuery<'_>, (v, ty): Param) -> PgQuery<'_> {
    match (v, ty) {
        (Value::Null, t) => match t {
            FieldType::I16 => q.bind(None::<i16>),
            FieldType::I32 => q.bind(None::<i32>),
            FieldType::I64 => q.bind(None::<i64>),
            FieldType::F32 => q.bind(None::<f32>),
            FieldType::F64 => q.bind(None::<f64>),
            FieldType::Bool => q.bind(None::<bool>),
            FieldType::String | FieldType::Enum(_) => q.bind(None::<String>),
            FieldType::Uuid => q.bind(None::<Uuid>),
            FieldType::DateTime => q.bind(None::<DateTime<Utc>>),
            FieldType::Date => q.bind(None::<NaiveDate>),
        },
        (Value::Int(i), FieldType::I16) => q.bind(i as i16),
        (Value::Int(i), FieldType::I32) => q.bind(i as i32),
        (Value::Int(i), _) => q.bind(i),
        (Value::Float(f), FieldType::F32) => q.bind(f as f32),
        (Value::Float(f), _) => q.bind(f),
        (Value::Bool(b), _) => q.bind(b),
        (Value::Text(s), _) => q.bind(s),
        (Value::Uuid(u), _) => q.bind(u),
        (Value::DateTime(d), _) => q.bind(d),
        (Value::Date(d), _) => q.bind(d),
    }
}

fn decode_err(col: &str, msg: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.to_string(),
        source: msg.to_string().into(),
    }
}

/// What a row holds, in column order: a model's stored fields (a skipped
/// field has no column and decodes as null), or plain types for the
/// runtime's own tables.
#[derive(Clone, Copy)]
pub enum Columns<'a> {
    Model(&'static ResourceModel),
    Types(&'a [FieldType]),
}

impl<'a> Columns<'a> {
    fn len(self) -> usize {
        match self {
            Columns::Model(m) => m.fields.len(),
            Columns::Types(t) => t.len(),
        }
    }

    /// Per value: its type and column name, or `None` for a skipped field.
    fn get(self, i: usize) -> Option<(FieldType, &'static str)> {
        match self {
            Columns::Model(m) => {
                let f = &m.fields[i];
                (!f.skip).then_some((f.ty, f.column))
            }
            Columns::Types(t) => Some((t[i], "?")),
        }
    }
}

fn decode_sqlite(row: &SqliteRow, cols: Columns<'_>) -> Result<Record, sqlx::Error> {
    let mut rec = Vec::with_capacity(cols.len());
    let mut col = 0;
    for i in 0..cols.len() {
        let Some((ty, column)) = cols.get(i) else {
            rec.push(Value::Null);
            continue;
        };
        let v = match ty {
            t if t.is_integer() => row.try_get::<Option<i64>, _>(col)?.map(Value::Int),
            t if t.is_float() => row.try_get::<Option<f64>, _>(col)?.map(Value::Float),
            FieldType::Bool => row.try_get::<Option<bool>, _>(col)?.map(Value::Bool),
            FieldType::String | FieldType::Enum(_) => {
                row.try_get::<Option<String>, _>(col)?.map(Value::Text)
            }
            FieldType::Uuid => match row.try_get::<Option<String>, _>(col)? {
                Some(s) => Some(Value::Uuid(
                    Uuid::parse_str(&s).map_err(|e| decode_err(column, e))?,
                )),
                None => None,
            },
            FieldType::DateTime => match row.try_get::<Option<String>, _>(col)? {
                Some(s) => Some(Value::DateTime(
                    DateTime::parse_from_rfc3339(&s)
                        .map_err(|e| decode_err(column, e))?
                        .with_timezone(&Utc),
                )),
                None => None,
            },
            FieldType::Date => match row.try_get::<Option<String>, _>(col)? {
                Some(s) => Some(Value::Date(
                    NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| decode_err(column, e))?,
                )),
                None => None,
            },
            _ => unreachable!(),
        };
        rec.push(v.unwrap_or(Value::Null));
        col += 1;
    }
    Ok(rec)
}

fn decode_pg(row: &PgRow, cols: Columns<'_>) -> Result<Record, sqlx::Error> {
    let mut rec = Vec::with_capacity(cols.len());
    let mut col = 0;
    for i in 0..cols.len() {
        let Some((ty, _)) = cols.get(i) else {
            rec.push(Value::Null);
            continue;
        };
        let v = match ty {
            FieldType::I16 => row
                .try_get::<Option<i16>, _>(col)?
                .map(|i| Value::Int(i as i64)),
            FieldType::I32 => row
                .try_get::<Option<i32>, _>(col)?
                .map(|i| Value::Int(i as i64)),
            FieldType::I64 => row.try_get::<Option<i64>, _>(col)?.map(Value::Int),
            FieldType::F32 => row
                .try_get::<Option<f32>, _>(col)?
                .map(|x| Value::Float(x as f64)),
            FieldType::F64 => row.try_get::<Option<f64>, _>(col)?.map(Value::Float),
            FieldType::Bool => row.try_get::<Option<bool>, _>(col)?.map(Value::Bool),
            FieldType::String | FieldType::Enum(_) => {
                row.try_get::<Option<String>, _>(col)?.map(Value::Text)
            }
            FieldType::Uuid => row.try_get::<Option<Uuid>, _>(col)?.map(Value::Uuid),
            FieldType::DateTime => row
                .try_get::<Option<DateTime<Utc>>, _>(col)?
                .map(Value::DateTime),
            FieldType::Date => row.try_get::<Option<NaiveDate>, _>(col)?.map(Value::Date),
        };
        rec.push(v.unwrap_or(Value::Null));
        col += 1;
    }
    Ok(rec)
}

pub(super) async fn sqlite_fetch<'e, E>(
    ex: E,
    cols: Columns<'_>,
    sql: &str,
    params: Vec<Param>,
) -> Result<Vec<Record>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let mut q = sqlx::query(sql);
    for p in params {
        q = bind_sqlite(q, p);
    }
    let rows = q.fetch_all(ex).await?;
    rows.iter().map(|r| decode_sqlite(r, cols)).collect()
}

pub(super) async fn pg_fetch<'e, E>(
    ex: E,
    cols: Columns<'_>,
    sql: &str,
    params: Vec<Param>,
) -> Result<Vec<Record>, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let mut q = sqlx::query(sql);
    for p in params {
        q = bind_pg(q, p);
    }
    let rows = q.fetch_all(ex).await?;
    rows.iter().map(|r| decode_pg(r, cols)).collect()
}

pub(super) async fn sqlite_execute<'e, E>(
    ex: E,
    sql: &str,
    params: Vec<Param>,
) -> Result<u64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Sqlite>,
{
    let mut q = sqlx::query(sql);
    for p in params {
        q = bind_sqlite(q, p);
    }
    Ok(q.execute(ex).await?.rows_affected())
}

pub(super) async fn pg_execute<'e, E>(
    ex: E,
    sql: &str,
    params: Vec<Param>,
) -> Result<u64, sqlx::Error>
where
    E: sqlx::Executor<'e, Database = Postgres>,
{
    let mut q = sqlx::query(sql);
    for p in params {
        q = bind_pg(q, p);
    }
    Ok(q.execute(ex).await?.rows_affected())
}
