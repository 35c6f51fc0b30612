//! Misuses of `#[api_resource]` / `#[api_enum]`: each case in `ui/` must fail
//! to compile with the message recorded next to it (`.stderr`), pointing at
//! the offending tokens. Regenerate with
//! `TRYBUILD=overwrite cargo test -p resourceful-macros --test compile_fail`
//! and review the diff.

#[test]
fn compile_fail_cases() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
