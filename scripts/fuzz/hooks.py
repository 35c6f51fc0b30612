"""Schemathesis hooks for the API fuzz run (scripts/fuzz/api.sh)."""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r'^"[!#-\[\]-~]{1,255}"$')


@schemathesis.hook
def map_headers(ctx, headers):
    # A valid Idempotency-Key is fresh per generated request: the generator
    # reuses the document's example, and the same key with another body is
    # (rightly) refused with 422. Invalid keys are sent as generated.
    if headers and VALID_KEY.match(headers.get("Idempotency-Key", "")):
        headers["Idempotency-Key"] = f'"{uuid.uuid4()}"'
    return headers


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # A cursor is an opaque token the server issued: no schema can tell a
    # valid one, so generated ones (all invalid, and rightly refused with
    # 400) are left out; real cursors are exercised by the test suites.
    if case.query and "cursor" in case.query:
        del case.query["cursor"]
