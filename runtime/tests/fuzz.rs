//! The fuzz targets' bodies (`resourceful::testing::fuzz`, run without a
//! bound by `cargo +nightly fuzz run <target>` in `fuzz/`), run here on a
//! seed corpus and a bounded number of deterministic mutations of it.

mod support;

use resourceful::testing::fuzz;
use resourceful::Resource;
use support::Task;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Pieces parsers treat specially, spliced into the seeds.
const TOKENS: &[&str] = &[
    "&",
    "=",
    "[",
    "]",
    ",",
    "-",
    "+",
    "%",
    "%00",
    "%2B",
    "%ZZ",
    "\0",
    "\"",
    "\\",
    "{",
    "}",
    ":",
    "null",
    "true",
    "1e309",
    "-0",
    "9223372036854775808",
    "\u{fffd}",
    "é",
    "eq",
    "in",
    "is_null",
    "contains",
    "sort",
    "limit",
    "cursor",
    "offset",
    "title",
    "priority",
    "due",
    "id",
    " ",
];

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(4) {
            0 => {
                let t = TOKENS[rng.below(TOKENS.len())].as_bytes();
                out.splice(at..at, t.iter().copied());
            }
            1 if !out.is_empty() => {
                let end = (at + rng.below(8)).min(out.len());
                out.drain(at.min(end)..end);
            }
            2 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            _ => out.truncate(at),
        }
    }
    out
}

fn run(
    target: fn(&'static resourceful::model::ResourceModel, &[u8]),
    seeds: &[Vec<u8>],
    rounds: usize,
) {
    let model = <Task as Resource>::MODEL;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for s in seeds {
        target(model, s);
    }
    for _ in 0..rounds {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        target(model, &input);
    }
}

#[test]
fn query_strings_parse_or_are_refused_with_named_problems() {
    let seeds: Vec<Vec<u8>> = [
        "",
        "done=true&priority[gte]=2&sort=-priority,title&limit=5",
        "title[contains]=a%25b&due[is_null]=false&offset=3",
        "id[in]=1,2,3&status[nin]=todo,done&sort=due",
        "code[starts_with]=AB-&title[ne]=x&cursor=abc",
        "priority=1&priority=2&limit=50",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    run(fuzz::query_string, &seeds, 20_000);
}

#[test]
fn cursors_decode_only_when_they_are_the_servers_own() {
    let seeds: Vec<Vec<u8>> = ["", "abc", "eyJ2IjpbMV19", "AAAA", "____", "a.b.c"]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    run(fuzz::cursor, &seeds, 20_000);
}

#[test]
fn json_bodies_convert_or_are_refused_with_problems() {
    let seeds: Vec<Vec<u8>> = [
        r#"{"title":"t","done":false,"status":"todo","project_id":1,"priority":3}"#,
        r#"{"title":"","done":"no","status":"nope","project_id":-1,"due":"2025-01-01T00:00:00Z"}"#,
        r#"{"id":5,"created_at":"x","unknown":[1,2],"code":"AB-1"}"#,
        r#"[{"title":"a"}]"#,
        r#"{"priority":1e400,"due":null,"title":"\u0000"}"#,
        "null",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    run(fuzz::json_input, &seeds, 20_000);
}
