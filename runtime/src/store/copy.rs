//! Rows for PostgreSQL's `COPY … FROM STDIN` in its text format: one line
//! a row, tab-separated, `\N` for null, backslash escapes. For bulk
//! inserts of the runtime's own rows (the audit trail), where a
//! statement with thousands of parameters would be parsed, planned and
//! bound for every batch.

use crate::value::Value;

/// Appends `row` as one line of COPY text.
pub fn push_row(out: &mut Vec<u8>, row: &[Value]) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match v {
            Value::Null => out.extend_from_slice(b"\\N"),
            Value::Text(s) => push_escaped(out, s),
            Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
            other => push_escaped(out, &other.to_text()),
        }
    }
    out.push(b'\n');
}

fn push_escaped(out: &mut Vec<u8>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_escapes() {
        let mut out = Vec::new();
        push_row(
            &mut out,
            &[
                Value::Text("a\tb\\c\nd\re".into()),
                Value::Null,
                Value::Int(-7),
                Value::Float(0.125),
                Value::Bool(true),
                Value::Text(String::new()),
            ],
        );
        assert_eq!(out, b"a\\tb\\\\c\\nd\\re\t\\N\t-7\t0.125\tt\t\n");
    }
}
