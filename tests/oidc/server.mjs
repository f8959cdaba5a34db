// Local OAuth 2.0 / OpenID Connect test server for keycard's device flow (RFC 8628).
//
//   node tests/oidc/server.mjs [--port N] [--device-ttl S] [--interval S]
//                              [--access-ttl S] [--no-rotate] [--ignore-stdin]
//
// Prints exactly one line to stdout once listening: {"issuer":"http://127.0.0.1:PORT"}
// Everything else goes to stderr. Exits on stdin EOF (so a dead test harness never
// leaves an orphan server), on SIGTERM and on SIGINT.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

import { actAsUser } from './user.mjs';

// oidc-provider prints its NOTICEs with console.info (i.e. to stdout); stdout is
// reserved for the single issuer line, so route every console method to stderr.
console.log = console.info = console.error;

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'device-ttl': { type: 'string', default: '600' },
    interval: { type: 'string', default: '1' },
    'access-ttl': { type: 'string', default: '3600' },
    'no-rotate': { type: 'boolean', default: false },
    // For running by hand in the background (`&` gives the process /dev/null as stdin).
    'ignore-stdin': { type: 'boolean', default: false },
  },
});
const num = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer, got ${JSON.stringify(args[name])}`);
    process.exit(2);
  }
  return n;
};
const port = num('port');
const deviceTtl = num('device-ttl');
const interval = num('interval');
const accessTtl = num('access-ttl');

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const GRANTS = [DEVICE_GRANT, 'refresh_token'];
// Routes spelled out (they are oidc-provider's defaults) because stats count by path.
const routes = {
  token: '/token',
  device_authorization: '/device/auth',
  code_verification: '/device',
  userinfo: '/me',
  revocation: '/token/revocation',
  introspection: '/token/introspection',
};

// A fresh signing key per run: nothing is persisted, and it avoids the dev-keystore warning.
// P-256 rather than RSA: generating an RSA key costs a tenth of a second of CPU on every
// start, and the suite starts dozens of servers; clients default to ES256 (below).
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-es256', alg: 'ES256', use: 'sig' };

// In-memory storage. oidc-provider's built-in dev adapter warns on every start and drops
// records the moment they expire, which turns an expired device code into
// `invalid_grant` (not found). We keep records for a grace period past expiry instead:
// the provider checks `exp` itself, so expired codes then get the RFC 8628 `expired_token`.
const GRACE_SECONDS = 600;
const records = new Map(); // "Model:id" -> { payload, until (ms) }
const indexes = new Map(); // "Model:userCode:X" / "Model:uid:X" -> id
const grantMembers = new Map(); // grantId -> Set of "Model:id"
class MemoryAdapter {
  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload, expiresIn) {
    const until = expiresIn ? Date.now() + (expiresIn + GRACE_SECONDS) * 1000 : Infinity;
    records.set(this.key(id), { payload, until });
    if (payload.userCode) indexes.set(`${this.model}:userCode:${payload.userCode}`, id);
    if (payload.uid) indexes.set(`${this.model}:uid:${payload.uid}`, id);
    if (payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(this.key(id));
    }
  }

  async find(id) {
    const record = records.get(this.key(id));
    return record && record.until > Date.now() ? record.payload : undefined;
  }

  async findByUserCode(userCode) { return this.find(indexes.get(`${this.model}:userCode:${userCode}`)); }

  async findByUid(uid) { return this.find(indexes.get(`${this.model}:uid:${uid}`)); }

  async consume(id) {
    const payload = await this.find(id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { records.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) records.delete(key);
    grantMembers.delete(grantId);
  }
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
// Minimal pages. data-page lets scripts identify a page without depending on wording.
const page = (ctx, name, title, body) => {
  ctx.type = 'html';
  ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body data-page="${name}"><h1>${esc(title)}</h1>
${body}
</body></html>`;
};

const configuration = {
  adapter: MemoryAdapter,
  clients: [
    {
      client_id: 'keycard',
      client_name: 'keycard',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: GRANTS,
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'keycard-secret',
      client_secret: 'keycard-secret-value',
      client_name: 'keycard (confidential)',
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: GRANTS,
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'keycard-basic',
      client_secret: 'keycard-basic-secret',
      client_name: 'keycard (confidential, HTTP Basic)',
      application_type: 'native',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: GRANTS,
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'introspector',
      client_secret: 'introspector-secret',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  jwks: { keys: [jwk] },
  // oidc-provider's own defaults, but ES256 (the only key) for ID tokens.
  clientDefaults: {
    grant_types: ['authorization_code'],
    id_token_signed_response_alg: 'ES256',
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  // Put the scope claims (email, name) into the ID token, not only into userinfo.
  conformIdTokenClaims: false,
  routes,
  features: {
    devInteractions: { enabled: false }, // our own pages below; avoids the dev warning
    deviceFlow: {
      enabled: true,
      userCodeInputSource(ctx, form, out, err) {
        let msg = 'Enter the code displayed on your device';
        if (err?.name === 'AbortedError') msg = 'The sign-in request was aborted (access denied).';
        else if (err?.userCode || err?.name === 'NoCodeError') msg = `The code you entered is incorrect: ${err.message}.`;
        else if (err) msg = `There was an error processing your request: ${err.message}.`;
        page(ctx, 'code-input', 'Sign-in', `<p class="${err ? 'error' : 'info'}" data-error="${esc(err?.name ?? '')}">${esc(msg)}</p>
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`);
      },
      userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
        page(ctx, 'code-confirm', 'Confirm Device', `<p><strong>${esc(client.clientName || client.clientId)}</strong> wants access. Code: <code>${esc(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>`);
      },
      successSource(ctx) {
        page(ctx, 'success', 'Sign-in Success', '<p>Your sign-in was successful, you can now close this page.</p>');
      },
    },
    introspection: {
      enabled: true,
      // Confidential clients (introspector) may introspect anyone's tokens; a public
      // client only its own (this is oidc-provider's default rule, made explicit).
      allowedPolicy: (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
    },
    revocation: {
      enabled: true,
      allowedPolicy: (ctx, client, token) => token.clientId === client.clientId,
    },
    userinfo: { enabled: true },
  },
  // Device flow clients never send prompt=consent, so tie refresh tokens to offline_access only.
  issueRefreshToken: (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
  rotateRefreshToken: () => !args['no-rotate'],
  ttl: {
    AccessToken: accessTtl,
    DeviceCode: deviceTtl,
    IdToken: 3600,
    RefreshToken: 24 * 60 * 60,
    Grant: 24 * 60 * 60,
    Session: 24 * 60 * 60,
    Interaction: 60 * 60,
  },
  clientBasedCORS: () => false,
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: `${sub}@example.test`,
          email_verified: true,
          name: sub.charAt(0).toUpperCase() + sub.slice(1),
        };
      },
    };
  },
  async renderError(ctx, out, error) {
    page(ctx, 'error', 'Error', Object.entries(out).map(([k, v]) => `<pre data-key="${esc(k)}">${esc(k)}: ${esc(v)}</pre>`).join('\n'));
  },
};

// Listen first: with --port 0 the issuer (which must carry the real port) is known only
// once bound. Nothing can reach us before the issuer line is printed anyway.
const server = createServer();
server.on('error', (err) => { console.error(err.message); process.exit(1); });
await new Promise((resolve) => { server.listen(port, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, err) => console.error('server_error', err));

// ---- test statistics ---------------------------------------------------------
const stats = {
  token_requests: {}, // grant_type -> requests received (every poll counts)
  token_successes: {}, // grant_type -> 200 responses
  token_errors: {}, // grant_type -> { error code -> n }
  device_code_polls_ms: [], // Date.now() of each device_code token request, to check poll spacing
  device_authorization_requests: 0,
  revocation_requests: 0,
  userinfo_requests: 0,
  introspection_requests: 0,
  // Every credential handed out (device codes, access, refresh and ID tokens), so tests
  // can check that none of them shows up in keycard's output.
  issued: [],
};
const issue = (...values) => { for (const v of values) if (typeof v === 'string') stats.issued.push(v); };
const inc = (obj, key) => { obj[key] = (obj[key] ?? 0) + 1; };

provider.use(async (ctx, next) => {
  if (ctx.path === '/_test/stats') {
    if (ctx.method === 'DELETE') { // reset, for harnesses that share one server
      for (const [k, v] of Object.entries(stats)) stats[k] = Array.isArray(v) ? [] : typeof v === 'object' ? {} : 0;
      ctx.status = 204;
      return;
    }
    ctx.body = stats;
    return;
  }
  // The scripted user of user.mjs, run in this process: the same pages, cookies and
  // redirects over HTTP, without starting a second node for every sign-in in the suite.
  // POST /_test/user?code=USER_CODE&login=alice[&deny=1] -> 200 "approved" | "denied",
  // or 409 with what went wrong.
  if (ctx.path === '/_test/user' && ctx.method === 'POST') {
    try {
      ctx.body = await actAsUser({
        issuer,
        code: ctx.query.code,
        login: ctx.query.login,
        deny: ctx.query.deny === '1',
      });
    } catch (err) {
      ctx.status = 409;
      ctx.body = `${err.message}${err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''}`;
    }
    return;
  }
  const path = ctx.path;
  const isPost = ctx.method === 'POST';
  const started = Date.now();
  // Count after the provider ran: it has then parsed the form body into ctx.oidc.body,
  // so we never touch the request stream ourselves.
  try {
    await next();
  } finally {
    if (isPost && path === routes.token) {
      const gty = ctx.oidc?.body?.grant_type ?? 'unknown';
      inc(stats.token_requests, gty);
      if (gty === DEVICE_GRANT) stats.device_code_polls_ms.push(started);
      if (ctx.status === 200) {
        inc(stats.token_successes, gty);
        issue(ctx.body?.access_token, ctx.body?.refresh_token, ctx.body?.id_token);
      }
      else inc((stats.token_errors[gty] ??= {}), ctx.body?.error ?? `http_${ctx.status}`);
    } else if (isPost && path === routes.device_authorization) {
      stats.device_authorization_requests += 1;
      issue(ctx.body?.device_code);
    }
    else if (isPost && path === routes.revocation) stats.revocation_requests += 1;
    else if (isPost && path === routes.introspection) stats.introspection_requests += 1;
    else if (path === routes.userinfo && ctx.method !== 'OPTIONS') stats.userinfo_requests += 1;
  }
});

// ---- device authorization response: advertise our interval --------------------
// oidc-provider omits `interval` (clients then default to 5 s per RFC 8628) and never
// answers slow_down, so advertising a short interval is safe.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === routes.device_authorization && ctx.status === 200 && ctx.body?.device_code) {
    ctx.body = { ...ctx.body, interval };
  }
});

// ---- login / consent interaction pages ---------------------------------------
async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
}

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(?:\/(login|consent|abort))?$/);
  if (!m) return next();
  const [, uid, action] = m;
  ctx.set('cache-control', 'no-store');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
  const { prompt, params, session, grantId } = details;
  const finish = async (result, merge) => {
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.status = 303;
    ctx.redirect(to);
  };

  if (ctx.method === 'GET' && !action) {
    const abort = `<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`;
    if (prompt.name === 'login') {
      return page(ctx, 'login', 'Sign-in', `<form method="post" action="/interaction/${uid}/login">
<input type="text" name="login" placeholder="any name" autofocus>
<input type="password" name="password" placeholder="any password">
<button type="submit">Sign-in</button>
</form>${abort}`);
    }
    return page(ctx, 'consent', 'Authorize', `<p>${esc(params.client_id)} asks for: ${esc(params.scope ?? '')}</p>
<form method="post" action="/interaction/${uid}/consent"><button type="submit">Continue</button></form>${abort}`);
  }
  if (ctx.method !== 'POST') ctx.throw(405);
  const form = await readForm(ctx.req);
  if (action === 'login') {
    if (prompt.name !== 'login') ctx.throw(400, 'not a login prompt');
    const login = String(form.login ?? '').trim();
    if (!login) ctx.throw(400, 'login name required');
    return finish({ login: { accountId: login } }, false);
  }
  if (action === 'consent') {
    if (prompt.name !== 'consent') ctx.throw(400, 'not a consent prompt');
    // Grant everything asked for (same as oidc-provider's dev interactions).
    const grant = grantId
      ? await provider.Grant.find(grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    return finish({ consent: { grantId: await grant.save() } }, true);
  }
  return finish({ error: 'access_denied', error_description: 'End-User aborted interaction' }, false);
});

// ---- lifecycle -------------------------------------------------------------
server.on('request', provider.callback());
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

let closing = false;
function shutdown(why) {
  if (closing) return;
  closing = true;
  console.error(`oidc test server stopping (${why})`);
  server.close(() => process.exit(0));
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
if (!args['ignore-stdin']) {
  process.stdin.on('end', () => shutdown('stdin EOF'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}
