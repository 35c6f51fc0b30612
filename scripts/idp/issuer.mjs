// Local OAuth 2.0 issuer for integration tests: client credentials grant,
// RFC 9068 JWT access tokens, keys generated at start-up and rotatable.
// Stdout carries exactly one JSON line once ready; everything else goes to stderr.
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

// oidc-provider prints notices with console.info, which would corrupt stdout.
console.log = console.info = (...args) => console.error(...args);

const AUDIENCE = process.env.IDP_AUDIENCE || 'https://api.resourceful.test';
const SCOPE = 'tasks:read tasks:write';
const TOKEN_TTL = positiveInt('IDP_TOKEN_TTL_SECS', 300);
const JWKS_MAX_AGE = positiveInt('IDP_JWKS_MAX_AGE', 300);
const PORT = process.env.IDP_PORT ? Number(process.env.IDP_PORT) : 0;
const ALGS = ['RS256', 'ES256', 'EdDSA'];

// Static clients; roles and token_alg are custom metadata (see extraClientMetadata).
const CLIENTS = [
  { id: 'alice', roles: ['editor'], alg: 'RS256' },
  { id: 'bob', roles: [], alg: 'RS256' },
  { id: 'carol', roles: ['admin'], alg: 'ES256' },
  { id: 'dave', roles: ['editor'], alg: 'EdDSA' },
].map(({ id, roles, alg }) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  // Basic is the registered method; oidc-provider accepts post for the same secret too.
  token_endpoint_auth_method: 'client_secret_basic',
  roles,
  token_alg: alg,
}));

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`${name} must be a positive integer, got ${raw}`);
  return n;
}

function fail(message) {
  console.error(`idp: ${message}`);
  process.exit(2);
}

let generation = 0;

// One private key per algorithm, with a kid that shows the algorithm and generation.
async function generateKeys() {
  generation += 1;
  const suffix = randomBytes(4).toString('hex');
  return Promise.all(ALGS.map(async (alg) => {
    const options = { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) };
    const { privateKey } = await generateKeyPair(alg, options);
    const jwk = await exportJWK(privateKey);
    return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-g${generation}-${suffix}` };
  }));
}

// signing: keys that sign new tokens; published: signing keys plus any kept older ones.
function buildProvider(issuer, signing, published) {
  const signingKid = Object.fromEntries(signing.map((k) => [k.alg, k.kid]));
  const provider = new Provider(issuer, {
    clients: CLIENTS,
    jwks: { keys: published },
    extraClientMetadata: {
      properties: ['roles', 'token_alg'],
      validator(ctx, key, value) {
        if (key === 'roles' && !(Array.isArray(value) && value.every((r) => typeof r === 'string'))) {
          throw new errors.InvalidClientMetadata('roles must be an array of strings');
        }
        if (key === 'token_alg' && value !== undefined && !ALGS.includes(value)) {
          throw new errors.InvalidClientMetadata(`token_alg must be one of ${ALGS.join(', ')}`);
        }
      },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Clients that omit `resource` still get a JWT for the API.
        defaultResource: () => AUDIENCE,
        // Only relevant to code/refresh flows, kept explicit for clarity.
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resource, client) {
          if (resource !== AUDIENCE) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          const alg = client.token_alg || 'RS256';
          return {
            scope: SCOPE,
            audience: AUDIENCE,
            accessTokenFormat: 'jwt',
            // Pin the kid so rotation with keep_old still signs with the newest key.
            jwt: { sign: { alg, kid: signingKid[alg] } },
          };
        },
      },
    },
    // sub, client_id, iat, exp, jti, iss, aud and scope are set by oidc-provider itself.
    extraTokenClaims(ctx, token) {
      const client = token.client || ctx.oidc.client;
      return { roles: client?.roles ?? [] };
    },
    ttl: { ClientCredentials: TOKEN_TTL },
    // No browser flows here, so CORS is never needed; also silences the default's notice.
    clientBasedCORS: () => false,
  });
  provider.on('server_error', (ctx, err) => console.error('idp: server_error', err));
  return provider;
}

// Swapped as a whole on rotation; the server always calls the current handler.
let issuer;
let provider;
let handler = (req, res) => json(res, 503, { error: 'starting' });
let signingKeys = [];
let publishedKids = [];
let jwksRequests = 0;

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function install(signing, published) {
  const next = buildProvider(issuer, signing, published);
  provider = next;
  handler = next.callback();
  signingKeys = signing;
  publishedKids = published.map((k) => k.kid);
}

async function rotate(keepOld) {
  const fresh = await generateKeys();
  install(fresh, keepOld ? [...fresh, ...signingKeys] : fresh);
  return {
    kids: publishedKids,
    signing: Object.fromEntries(fresh.map((k) => [k.alg, k.kid])),
  };
}

// One server for the whole run; rotation swaps the handler, so the port never changes.
const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  try {
    if (url.pathname === '/_test/rotate') {
      if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
      return json(res, 200, await rotate(url.searchParams.get('keep_old') === '1'));
    }
    if (url.pathname === '/_test/stats') {
      return json(res, 200, { jwks_requests: jwksRequests });
    }
    if (provider && url.pathname === provider.pathFor('jwks')) {
      jwksRequests += 1;
      // oidc-provider sends no caching hint for the JWKS; verifiers rely on one.
      res.setHeader('cache-control', `max-age=${JWKS_MAX_AGE}`);
    }
    return handler(req, res);
  } catch (err) {
    console.error('idp: request failed', err);
    if (!res.headersSent) json(res, 500, { error: 'internal' });
    else res.destroy();
  }
});

function shutdown(reason) {
  console.error(`idp: ${reason}, exiting`);
  server.close();
  server.closeAllConnections();
  process.exit(0);
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
// A test harness holds our stdin open; when it dies or closes it, we go too.
process.stdin.on('end', () => shutdown('stdin closed'));
process.stdin.on('error', () => shutdown('stdin error'));
process.stdin.resume();

if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) fail(`IDP_PORT must be a port number, got ${process.env.IDP_PORT}`);

server.on('error', (err) => fail(`cannot listen: ${err.message}`));
server.listen(PORT, '127.0.0.1', async () => {
  // The issuer URL embeds the port, which is only known after listening.
  issuer = `http://127.0.0.1:${server.address().port}`;
  const keys = await generateKeys();
  install(keys, keys);
  const ready = {
    issuer,
    token_endpoint: provider.urlFor('token'),
    jwks_uri: provider.urlFor('jwks'),
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  console.error(`idp: ready at ${issuer} (audience ${AUDIENCE}, token ttl ${TOKEN_TTL}s)`);
});
