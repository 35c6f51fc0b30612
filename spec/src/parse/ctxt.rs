//! The error context of one `#[api_resource]` parse: every problem is
//! recorded here with its span, in the order it is found, and all of them
//! are reported together at the end.
//!
//! For collecting errors only: what counts as an error is decided by the
//! modules that call it. Modelled on serde_derive's `Ctxt`, built on
//! darling's accumulator so the errors keep darling's own structure.

use proc_macro2::Span;
use std::fmt::Display;
use syn::spanned::Spanned;

pub(super) struct Ctxt {
    errors: darling::error::Accumulator,
}

impl Ctxt {
    pub fn new() -> Self {
        Ctxt {
            errors: darling::Error::accumulator(),
        }
    }

    /// Records `msg` at `span`.
    pub fn error(&mut self, span: Span, msg: impl Display) {
        self.errors
            .push(darling::Error::custom(msg).with_span(&span));
    }

    /// Records `msg` at the tokens of `node`.
    pub fn error_spanned_by<T: Spanned>(&mut self, node: &T, msg: impl Display) {
        self.errors
            .push(darling::Error::custom(msg).with_span(node));
    }

    /// Records an error made elsewhere (by darling, syn or type checks).
    pub fn push(&mut self, error: darling::Error) {
        self.errors.push(error);
    }

    /// The value of `result`, or `None` once its error is recorded.
    pub fn handle<T>(&mut self, result: darling::Result<T>) -> Option<T> {
        self.errors.handle(result)
    }

    /// `Err` carrying everything recorded, if anything was.
    pub fn finish(self) -> darling::Result<()> {
        self.errors.finish()
    }
}
