//! Reads the runtime's own Prometheus exposition text back into samples.
//!
//! The exporter offers no structured snapshot of what it holds, only this
//! text; it is the exporter's own output (one `name{labels} value` per
//! line, `#` comments), read every few seconds off the request path, so a
//! small parser for that subset is enough.

/// One series' value.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    pub name: &'a str,
    pub labels: Vec<(&'a str, String)>,
    pub value: f64,
}

impl Line<'_> {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every sample line of `text` (comments and malformed lines skipped).
pub fn parse(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.lines().filter_map(line)
}

fn line(l: &str) -> Option<Line<'_>> {
    let l = l.trim();
    if l.is_empty() || l.starts_with('#') {
        return None;
    }
    let (series, value) = l.rsplit_once(' ')?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    let (name, labels) = match series.split_once('{') {
        None => (series, Vec::new()),
        Some((name, rest)) => (name, labels(rest.strip_suffix('}')?)?),
    };
    Some(Line {
        name,
        labels,
        value,
    })
}

/// `a="x",b="y \"q\""` → pairs, escapes (`\\`, `\"`, `\n`) undone.
fn labels(mut s: &str) -> Option<Vec<(&str, String)>> {
    let mut out = Vec::new();
    while !s.is_empty() {
        let (key, rest) = s.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        out.push((key.trim_start_matches(','), value));
        s = &rest[end + 1..];
        s = s.strip_prefix(',').unwrap_or(s);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_exporters_lines() {
        let text =
            "# TYPE x counter\nhttp_requests_total{route=\"/v1/a/{id}\",status_class=\"2xx\"} 12\n\
                    up 1\nh_bucket{le=\"+Inf\",q=\"a \\\"b\\\", c\"} 3.5\nbroken{ 1\n";
        let lines: Vec<Line> = parse(text).collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].name, "http_requests_total");
        assert_eq!(lines[0].label("route"), Some("/v1/a/{id}"));
        assert_eq!(lines[0].value, 12.0);
        assert_eq!(lines[1].labels, vec![]);
        assert_eq!(lines[2].label("q"), Some("a \"b\", c"));
        assert_eq!(lines[2].label("le"), Some("+Inf"));
    }
}
