//! Migration files: `<dir>/<dialect>/<version>_<name>.up.sql` and
//! `.down.sql`, versions counting up from 1, reviewed and committed with
//! the code. A file whose first line is `-- resourceful: own-transaction`
//! runs statement by statement on one connection (it says BEGIN and
//! COMMIT itself); any other runs inside one transaction.

use crate::store::Dialect;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const OWN_TRANSACTION: &str = "-- resourceful: own-transaction";

#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    pub version: i64,
    pub name: String,
    pub up: String,
    pub path: PathBuf,
}

impl Migration {
    /// SHA-256 of the up script: an applied file edited later shows.
    pub fn checksum(&self) -> String {
        hex::encode(Sha256::digest(self.up.as_bytes()))
    }

    pub fn own_transaction(&self) -> bool {
        self.up
            .lines()
            .next()
            .is_some_and(|l| l.trim() == OWN_TRANSACTION)
    }

    /// The statements: split at lines ending in `;`, comments dropped.
    pub fn statements(&self) -> Vec<String> {
        statements(&self.up)
    }
}

pub fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in sql.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("--") {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if t.ends_with(';') {
            let stmt = current.trim().trim_end_matches(';').trim().to_string();
            if !stmt.is_empty() {
                out.push(stmt);
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

pub fn dialect_dir(dir: &Path, d: Dialect) -> PathBuf {
    dir.join(match d {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    })
}

/// Every migration of the dialect, by version.
pub fn read(dir: &Path, d: Dialect) -> std::io::Result<Vec<Migration>> {
    let dir = dialect_dir(dir, d);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for e in entries {
        let path = e?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        let Some(stem) = file.strip_suffix(".up.sql") else {
            continue;
        };
        let Some((version, name)) = stem.split_once('_') else {
            continue;
        };
        let Ok(version) = version.parse::<i64>() else {
            continue;
        };
        out.push(Migration {
            version,
            name: name.to_string(),
            up: std::fs::read_to_string(&path)?,
            path,
        });
    }
    out.sort_by_key(|m| m.version);
    Ok(out)
}

/// Writes the next migration; returns the up file's path.
pub fn write(dir: &Path, d: Dialect, name: &str, up: &str, down: &str) -> std::io::Result<PathBuf> {
    let next = read(dir, d)?.last().map_or(1, |m| m.version + 1);
    let dir = dialect_dir(dir, d);
    std::fs::create_dir_all(&dir)?;
    let stem = format!("{next:04}_{name}");
    let up_path = dir.join(format!("{stem}.up.sql"));
    std::fs::write(&up_path, up)?;
    std::fs::write(dir.join(format!("{stem}.down.sql")), down)?;
    Ok(up_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_at_semicolons_ending_a_line() {
        let sql =
            "-- header\nALTER TABLE `t`\n  ADD COLUMN `x` TEXT;\n\nCREATE INDEX i ON t (x);\n";
        assert_eq!(
            statements(sql),
            vec![
                "ALTER TABLE `t`\n  ADD COLUMN `x` TEXT",
                "CREATE INDEX i ON t (x)"
            ]
        );
    }
}
