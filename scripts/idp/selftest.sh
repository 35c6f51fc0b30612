#!/usr/bin/env bash
# Self-test for the test issuer: one token per client, key rotation, JWKS stats,
# env overrides and both ways of stopping it. Needs node, npm and curl.
set -uo pipefail
shopt -s lastpipe # lets `... | tally` update the counters

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here" || exit 2
if [ ! -d node_modules/oidc-provider ]; then
  npm ci --no-audit --no-fund >&2 || exit 2
fi

tmp="$(mktemp -d)"
log="$tmp/issuer.log"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1" >&2; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
# Tally PASS/FAIL lines printed by the node checks.
tally() { while IFS= read -r line; do case $line in PASS\ *) pass "${line#PASS }" ;; *) fail "${line#FAIL }" ;; esac; done; }

# Start the issuer with stdin and stdout on fifos, so closing stdin can be tested
# and the ready line read without polling. Extra env assignments go in "$@".
start() {
  rm -f "$tmp/in" "$tmp/out"
  mkfifo "$tmp/in" "$tmp/out"
  env "$@" node issuer.mjs <"$tmp/in" >"$tmp/out" 2>>"$log" &
  pid=$!
  exec {to_idp}>"$tmp/in" {from_idp}<"$tmp/out"
  ready=""
  IFS= read -r -t 20 ready <&"$from_idp"
  issuer="$(node -e 'console.log(JSON.parse(process.argv[1]).issuer)' "$ready" 2>/dev/null)"
}

# Wait up to 5 s for the issuer to exit; succeed only if it did, with status 0.
stopped() {
  for _ in $(seq 50); do
    if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; local rc=$?; pid=""; return "$rc"; fi
    sleep 0.1
  done
  return 1
}

token() { # client method [curl args...]
  local client=$1 method=$2; shift 2
  if [ "$method" = basic ]; then set -- -u "$client:$client-secret" "$@"
  else set -- -d "client_id=$client" -d "client_secret=$client-secret" "$@"; fi
  curl -sS "$@" -d grant_type=client_credentials "$issuer/token"
}

# Decode a token response, verify it against the live JWKS and check its claims.
# Expectations come from env: ALG SUB ROLES SCOPE AUD TTL and optionally KIDS.
verify() {
  RESPONSE="$1" ISSUER="$issuer" node --input-type=module - <<'EOF'
import { createLocalJWKSet, jwtVerify, decodeProtectedHeader, decodeJwt } from 'jose';
const e = process.env;
const out = (ok, name) => console.log(`${ok ? 'PASS' : 'FAIL'} ${e.SUB}/${e.ALG}: ${name}`);
let token;
try { token = JSON.parse(e.RESPONSE).access_token; } catch {}
if (!token) { out(false, `token response ${e.RESPONSE}`); process.exit(); }
const h = decodeProtectedHeader(token);
const p = decodeJwt(token);
out(h.typ === 'at+jwt', `typ ${h.typ}`);
out(h.alg === e.ALG, `alg ${h.alg}`);
out(!e.KIDS || e.KIDS.split(' ').includes(h.kid), `kid ${h.kid} among signing kids`);
out(p.iss === e.ISSUER, `iss ${p.iss}`);
out(p.aud === e.AUD, `aud ${p.aud}`);
out(p.sub === e.SUB && p.client_id === e.SUB, `sub ${p.sub}, client_id ${p.client_id}`);
out(JSON.stringify(p.roles) === e.ROLES, `roles ${JSON.stringify(p.roles)}`);
out((p.scope ?? '') === e.SCOPE, `scope "${p.scope ?? ''}"`);
out(Number.isInteger(p.iat) && p.exp - p.iat === Number(e.TTL), `exp - iat = ${p.exp - p.iat}`);
out(typeof p.jti === 'string' && p.jti.length >= 16, 'jti present');
const jwks = await (await fetch(`${e.ISSUER}/jwks`)).json();
try {
  await jwtVerify(token, createLocalJWKSet(jwks), { issuer: e.ISSUER, audience: e.AUD, typ: 'at+jwt' });
  out(true, 'signature verifies against JWKS');
} catch (err) { out(false, `signature: ${err.message}`); }
EOF
}

json() { node -e "const v = JSON.parse(process.argv[1]); console.log(String($2))" "$1" 2>/dev/null; }
kids() { json "$(curl -sS "$issuer/jwks")" 'v.keys.map((k) => k.kid).sort().join(" ")'; }
jwks_count() { json "$(curl -sS "$issuer/_test/stats")" 'v.jwks_requests'; }

echo "== default configuration"
start IDP_PORT=0
check "ready line is one JSON object" test -n "$issuer"
check "issuer is loopback http" bash -c "[[ '$issuer' =~ ^http://127\.0\.0\.1:[0-9]+$ ]]"
check "ready line format" test "$ready" = "{\"issuer\":\"$issuer\",\"token_endpoint\":\"$issuer/token\",\"jwks_uri\":\"$issuer/jwks\"}"
disco="$(curl -sS "$issuer/.well-known/openid-configuration")"
check "discovery issuer and endpoints" test "$(json "$disco" '[v.issuer, v.token_endpoint, v.jwks_uri].join(" ")')" = "$issuer $issuer/token $issuer/jwks"
check "discovery lists client_credentials" test "$(json "$disco" 'v.grant_types_supported.includes("client_credentials")')" = true
headers="$(curl -sS -D - -o "$tmp/jwks.json" "$issuer/jwks")"
check "jwks cache-control max-age=300" grep -qi '^cache-control: max-age=300' <<<"$headers"
check "jwks has RS256, ES256, EdDSA keys" test "$(json "$(cat "$tmp/jwks.json")" 'v.keys.map((k) => k.alg).sort().join(" ")')" = "ES256 EdDSA RS256"
check "jwks has no private parts" test "$(json "$(cat "$tmp/jwks.json")" 'v.keys.some((k) => "d" in k)')" = false
gen1="$(kids)"
check "stats count jwks requests" test "$(jwks_count)" = 2

aud=https://api.resourceful.test
full="tasks:read tasks:write"
ALG=RS256 SUB=alice ROLES='["editor"]' SCOPE="$full" AUD=$aud TTL=300 \
  verify "$(token alice basic -d resource=$aud -d "scope=$full")" | tally
# bob sends neither resource nor scope: the default resource applies, no scope is granted.
ALG=RS256 SUB=bob ROLES='[]' SCOPE="" AUD=$aud TTL=300 verify "$(token bob post)" | tally
ALG=ES256 SUB=carol ROLES='["admin"]' SCOPE="tasks:read" AUD=$aud TTL=300 \
  verify "$(token carol basic -d resource=$aud -d "scope=tasks:read tasks:delete")" | tally
ALG=EdDSA SUB=dave ROLES='["editor"]' SCOPE="$full" AUD=$aud TTL=300 \
  verify "$(token dave post -d resource=$aud -d "scope=$full")" | tally

check "wrong secret is invalid_client" grep -q invalid_client <<<"$(curl -sS -u alice:nope -d grant_type=client_credentials "$issuer/token")"
check "unknown resource is invalid_target" grep -q invalid_target <<<"$(token alice basic -d resource=https://elsewhere.test)"
check "rotate needs POST" test "$(curl -sS -o /dev/null -w '%{http_code}' "$issuer/_test/rotate")" = 405

rotated="$(curl -sS -X POST "$issuer/_test/rotate")"
gen2="$(json "$rotated" 'v.kids.slice().sort().join(" ")')"
check "rotate returns three new kids" test "$(wc -w <<<"$gen2")" = 3
check "rotated kids differ from the old ones" test -z "$(comm -12 <(tr ' ' '\n' <<<"$gen1" | sort) <(tr ' ' '\n' <<<"$gen2" | sort))"
check "jwks serves the rotated kids" test "$(kids)" = "$gen2"
KIDS="$gen2" ALG=ES256 SUB=carol ROLES='["admin"]' SCOPE="" AUD=$aud TTL=300 verify "$(token carol basic)" | tally

kept="$(curl -sS -X POST "$issuer/_test/rotate?keep_old=1")"
gen3="$(json "$kept" 'Object.values(v.signing).join(" ")')"
check "keep_old publishes new and previous kids" test "$(kids)" = "$(tr ' ' '\n' <<<"$gen2 $gen3" | sort | xargs)"
KIDS="$gen3" ALG=EdDSA SUB=dave ROLES='["editor"]' SCOPE="" AUD=$aud TTL=300 verify "$(token dave basic)" | tally
KIDS="$gen3" ALG=RS256 SUB=alice ROLES='["editor"]' SCOPE="" AUD=$aud TTL=300 verify "$(token alice post)" | tally
# 2 above, 1 per verify (7), kids() after each rotation (2).
check "stats count every jwks request" test "$(jwks_count)" = 11

exec {to_idp}>&-
check "exits when stdin closes" stopped
check "nothing else on stdout" test -z "$(cat <&"$from_idp")"
exec {from_idp}<&-

echo "== overrides via env"
start IDP_AUDIENCE=https://other.test IDP_TOKEN_TTL_SECS=60 IDP_JWKS_MAX_AGE=42
check "started with overrides" test -n "$issuer"
check "jwks cache-control max-age=42" grep -qi '^cache-control: max-age=42' <<<"$(curl -sS -D - -o /dev/null "$issuer/jwks")"
ALG=EdDSA SUB=dave ROLES='["editor"]' SCOPE="tasks:write" AUD=https://other.test TTL=60 \
  verify "$(token dave basic -d scope=tasks:write)" | tally
kill -TERM "$pid"
check "exits on SIGTERM" stopped
exec {to_idp}>&- {from_idp}<&-

if [ "$failed" -ne 0 ]; then echo "--- issuer log" >&2; cat "$log" >&2; fi
echo "idp: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
