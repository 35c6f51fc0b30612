//! Identifier and literal helpers: casing, quoting, doc comments.

/// `task_items` / `task-items` / `TaskItems` → `TaskItems`.
pub fn pascal(s: &str) -> String {
    let mut out = String::new();
    for part in s.split(['_', '-', ' ']).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// `task_items` → `taskItems`; `TaskStatus` → `taskStatus`.
pub fn camel(s: &str) -> String {
    lower_first(&pascal(s))
}

pub fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `TaskStatus` → `TASK_STATUS`.
pub fn screaming(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == ' ' {
            out.push('_');
            continue;
        }
        let boundary = i > 0
            && c.is_uppercase()
            && (chars[i - 1].is_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase()))
            && chars[i - 1] != '_';
        if boundary {
            out.push('_');
        }
        out.extend(c.to_uppercase());
    }
    out
}

/// Whether `s` can be written as a bare TypeScript property name.
pub fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A property key: bare when possible, else a string literal.
pub fn prop(s: &str) -> String {
    if is_ident(s) {
        s.to_string()
    } else {
        string(s)
    }
}

/// A TypeScript (JSON-compatible) double-quoted string literal.
pub fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSDoc block from paragraphs (blank paragraphs are dropped), indented.
/// Short single-line docs stay on one line.
pub fn doc(paragraphs: &[String], indent: &str) -> String {
    let paras: Vec<String> = paragraphs
        .iter()
        .map(|p| p.trim().replace("*/", "*\\/"))
        .filter(|p| !p.is_empty())
        .collect();
    if paras.is_empty() {
        return String::new();
    }
    if paras.len() == 1 && !paras[0].contains('\n') && paras[0].len() + indent.len() < 100 {
        return format!("{indent}/** {} */\n", paras[0]);
    }
    let mut out = format!("{indent}/**\n");
    let width = WIDTH.saturating_sub(indent.len() + 3).max(40);
    for (i, p) in paras.iter().enumerate() {
        if i > 0 {
            out.push_str(&format!("{indent} *\n"));
        }
        let mut fenced = false;
        for line in p.lines() {
            let line = line.trim_end();
            if line.starts_with("```") {
                fenced = !fenced;
            }
            if line.is_empty() {
                out.push_str(&format!("{indent} *\n"));
            } else if fenced || line.starts_with("```") {
                out.push_str(&format!("{indent} * {line}\n"));
            } else {
                for l in wrap(line, width) {
                    out.push_str(&format!("{indent} * {l}\n"));
                }
            }
        }
    }
    out.push_str(&format!("{indent} */\n"));
    out
}

/// Doc comment lines are wrapped to this width.
const WIDTH: usize = 100;

/// Greedy word wrap; a list item's continuation lines are indented.
fn wrap(line: &str, width: usize) -> Vec<String> {
    if line.chars().count() <= width {
        return vec![line.to_string()];
    }
    let hang = if line.starts_with("- ") { "  " } else { "" };
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in line.split(' ') {
        let len = cur.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
            cur.push_str(hang);
        }
        if !cur.is_empty() && cur != hang {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.trim().is_empty() {
        lines.push(cur);
    }
    lines
}

/// Rust doc comments arrive with one leading space per line; normalise.
pub fn clean_doc(doc: &str) -> String {
    doc.lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casing() {
        assert_eq!(pascal("task_items"), "TaskItems");
        assert_eq!(pascal("task-items"), "TaskItems");
        assert_eq!(pascal("Task"), "Task");
        assert_eq!(camel("tasks"), "tasks");
        assert_eq!(camel("task_items"), "taskItems");
        assert_eq!(camel("TaskStatus"), "taskStatus");
        assert_eq!(screaming("TaskStatus"), "TASK_STATUS");
        assert_eq!(screaming("HTTPMethod"), "HTTP_METHOD");
        assert_eq!(screaming("Level2Item"), "LEVEL2_ITEM");
    }

    #[test]
    fn properties_are_quoted_when_needed() {
        assert_eq!(prop("due_at"), "due_at");
        assert_eq!(prop("due-at"), "\"due-at\"");
        assert_eq!(prop("2fa"), "\"2fa\"");
        assert_eq!(string("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
    }

    #[test]
    fn doc_blocks() {
        assert_eq!(doc(&[], ""), "");
        assert_eq!(doc(&["Short.".into()], "  "), "  /** Short. */\n");
        assert_eq!(
            doc(&["One.".into(), "".into(), "Two */ x.".into()], ""),
            "/**\n * One.\n *\n * Two *\\/ x.\n */\n"
        );
        let long = "word ".repeat(40);
        let d = doc(&[long.trim().to_string(), "```ts\nconst x = 1; // a code line that is long enough to need wrapping if it were prose, but stays whole\n```".into()], "  ");
        assert!(
            d.lines().all(|l| l.len() <= 100 || l.contains("const x")),
            "{d}"
        );
        assert!(d.contains("const x = 1; // a code line that is long enough to need wrapping if it were prose, but stays whole\n"));
        assert_eq!(wrap("- a b c", 4), ["- a", "  b", "  c"]);
    }
}
