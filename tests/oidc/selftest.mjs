// End-to-end check of the test server and the scripted user, without keycard itself:
//   node tests/oidc/selftest.mjs      (exit 0 when everything passes)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { actAsUser } from './user.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const SCOPE = 'openid profile email offline_access';
const KEYCARD = { client_id: 'keycard' };
const KEYCARD_SECRET = { client_id: 'keycard-secret', client_secret: 'keycard-secret-value' };
const INTROSPECTOR = `Basic ${Buffer.from('introspector:introspector-secret').toString('base64')}`;

let passed = 0;
const stderrLogs = [];
function check(cond, what, detail) {
  if (!cond) throw new Error(`FAILED: ${what}${detail === undefined ? '' : `\n  got: ${JSON.stringify(detail)}`}`);
  passed += 1;
  console.log(`ok ${passed} - ${what}`);
}

async function startServer(args = []) {
  const child = spawn(process.execPath, [join(here, 'server.mjs'), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.on('data', (d) => stderrLogs.push(String(d)));
  const exited = once(child, 'exit');
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    if (out.includes('\n')) break;
  }
  const { issuer } = JSON.parse(out);
  return { issuer, child, exited };
}

async function post(url, form, headers = {}) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(form), headers });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
const getJson = async (url, headers = {}) => (await fetch(url, { headers })).json();
const jwtPayload = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));

// Poll like an RFC 8628 client: wait `interval` seconds between polls; fail on slow_down.
async function pollToken(issuer, client, da, { firstWait = true } = {}) {
  const seen = [];
  for (;;) {
    if (firstWait || seen.length) await sleep(da.interval * 1000);
    const r = await post(`${issuer}/token`, { ...client, grant_type: DEVICE_GRANT, device_code: da.device_code });
    seen.push(r.body.error ?? 'ok');
    if (r.body.error === 'slow_down') throw new Error('provider answered slow_down');
    if (r.body.error !== 'authorization_pending') return { ...r, seen };
  }
}

async function deviceAuthorize(issuer, client, scope = SCOPE) {
  return post(`${issuer}/device/auth`, { ...client, scope });
}

// Run user.mjs as the CLI a Rust test would run.
async function userCli(args) {
  const child = spawn(process.execPath, [join(here, 'user.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const [code] = await once(child, 'exit');
  return { code, stdout, stderr };
}

async function main() {
  const a = await startServer();
  const { issuer } = a;
  check(/^http:\/\/127\.0\.0\.1:\d+$/.test(issuer), 'server prints {"issuer":"http://127.0.0.1:PORT"}', issuer);

  const disco = await getJson(`${issuer}/.well-known/openid-configuration`);
  check(disco.issuer === issuer, 'discovery issuer matches');
  for (const f of ['device_authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
    check(disco[f]?.startsWith(issuer), `discovery advertises ${f}`, disco[f]);
  }

  // ---- approve run (public client keycard) ----
  const t0 = Date.now();
  const { status, body: da } = await deviceAuthorize(issuer, KEYCARD);
  check(status === 200 && da.device_code && /^[A-Z]{4}-[A-Z]{4}$/.test(da.user_code), 'device authorization response', da);
  check(da.interval === 1 && da.expires_in === 600, 'interval 1 and expires_in 600 advertised', da);
  check(da.verification_uri === `${issuer}/device`, 'verification_uri', da.verification_uri);
  check(da.verification_uri_complete === `${issuer}/device?user_code=${da.user_code}`, 'verification_uri_complete', da.verification_uri_complete);

  const first = await post(`${issuer}/token`, { ...KEYCARD, grant_type: DEVICE_GRANT, device_code: da.device_code });
  check(first.status === 400 && first.body.error === 'authorization_pending', 'immediate poll is authorization_pending', first.body);

  // The user approves (CLI, code without its dash) while the client keeps polling.
  const [user, tok] = await Promise.all([
    userCli(['--issuer', issuer, '--code', da.user_code.replace('-', ''), '--login', 'alice']),
    pollToken(issuer, KEYCARD, da),
  ]);
  const approveMs = Date.now() - t0;
  check(user.code === 0 && user.stdout === 'approved\n', 'user.mjs approves: exit 0, prints "approved"', user);
  check(tok.status === 200, 'device_code grant succeeds', tok.body);
  const t = tok.body;
  check(t.access_token && t.id_token && t.refresh_token, 'access, ID and refresh tokens issued', Object.keys(t));
  check(t.token_type === 'Bearer' && t.expires_in === 3600 && t.scope === SCOPE, 'token_type/expires_in/scope', t);
  const idt = jwtPayload(t.id_token);
  check(idt.sub === 'alice' && idt.email === 'alice@example.test' && idt.name === 'Alice' && idt.email_verified === true, 'ID token claims', idt);
  check(idt.iss === issuer && idt.aud === 'keycard', 'ID token iss/aud', idt);

  const ui = await getJson(`${issuer}/me`, { authorization: `Bearer ${t.access_token}` });
  check(ui.sub === 'alice' && ui.email === 'alice@example.test' && ui.name === 'Alice', 'userinfo', ui);

  const refresh = (rt) => post(`${issuer}/token`, { ...KEYCARD, grant_type: 'refresh_token', refresh_token: rt });
  const r1 = await refresh(t.refresh_token);
  check(r1.status === 200 && r1.body.access_token && r1.body.id_token, 'refresh_token grant succeeds', r1.body);
  check(r1.body.refresh_token && r1.body.refresh_token !== t.refresh_token, 'refresh token rotated', r1.body);

  let stats = await getJson(`${issuer}/_test/stats`);
  check(stats.device_authorization_requests === 1 && stats.userinfo_requests === 1, 'stats: 1 device authorization, 1 userinfo', stats);
  check(stats.token_successes[DEVICE_GRANT] === 1 && stats.token_requests[DEVICE_GRANT] >= 2, 'stats: 1 device_code success (every poll counted)', stats);
  check(stats.token_requests.refresh_token === 1 && stats.token_successes.refresh_token === 1, 'stats: 1 refresh_token request', stats);

  const intro = async (token) => (await post(`${issuer}/token/introspection`, { token }, { authorization: INTROSPECTOR })).body;
  const reuse = await refresh(t.refresh_token);
  check(reuse.body.error === 'invalid_grant', 'reusing a rotated refresh token gives invalid_grant', reuse.body);
  check((await intro(r1.body.refresh_token)).active === false, '...and revokes the whole grant (new refresh token dead too)');
  const again = await post(`${issuer}/token`, { ...KEYCARD, grant_type: DEVICE_GRANT, device_code: da.device_code });
  check(again.body.error === 'invalid_grant', 'polling a redeemed device code gives invalid_grant', again.body);

  // ---- second approve run (imported actAsUser): introspection and revocation ----
  const da2 = (await deviceAuthorize(issuer, KEYCARD)).body;
  await actAsUser({ issuer, code: da2.user_code, login: 'alice' });
  const { body: t2 } = await pollToken(issuer, KEYCARD, da2, { firstWait: false });
  check(t2.access_token && t2.refresh_token, 'second approve run gets tokens', t2);
  const ia = await intro(t2.access_token);
  check(ia.active === true && ia.client_id === 'keycard' && ia.sub === 'alice', 'introspector sees keycard access token active', ia);
  check((await intro(t2.refresh_token)).active === true, 'introspector sees keycard refresh token active');
  const rev = await post(`${issuer}/token/revocation`, { ...KEYCARD, token: t2.access_token, token_type_hint: 'access_token' });
  check(rev.status === 200 && rev.body === undefined, 'revocation answers 200 with empty body', rev);
  check((await intro(t2.access_token)).active === false, 'revoked access token introspects active:false');
  check((await intro(t2.refresh_token)).active === false, 'revoking the access token revoked the grant: refresh token inactive too');

  stats = await getJson(`${issuer}/_test/stats`);
  check(stats.revocation_requests === 1 && stats.introspection_requests === 5, 'stats: revocation/introspection counted', stats);
  check(!JSON.stringify(stats.token_errors).includes('slow_down'), 'no slow_down ever answered', stats.token_errors);

  // ---- deny run (confidential client, client_secret_post) ----
  const dd = (await deviceAuthorize(issuer, KEYCARD_SECRET)).body;
  const denied = await userCli(['--verification-uri', dd.verification_uri_complete, '--deny']);
  check(denied.code === 0 && denied.stdout === 'denied\n', 'user.mjs --deny via verification_uri_complete: exit 0, prints "denied"', denied);
  const dt = await pollToken(issuer, KEYCARD_SECRET, dd, { firstWait: false });
  check(dt.status === 400 && dt.body.error === 'access_denied', 'denied code polls access_denied', dt.body);
  const used = await userCli(['--issuer', issuer, '--code', dd.user_code]);
  check(used.code === 1 && /already been used/.test(used.stderr), 'user.mjs on a used code: exit 1', used);
  const unknown = await userCli(['--issuer', issuer, '--code', 'BCDF-GHJK']);
  check(unknown.code === 1 && /not found/.test(unknown.stderr), 'user.mjs on an unknown code: exit 1 with message', unknown);
  const badSecret = await deviceAuthorize(issuer, { ...KEYCARD_SECRET, client_secret: 'wrong' });
  check(badSecret.status === 401 && badSecret.body.error === 'invalid_client', 'wrong client secret: 401 invalid_client', badSecret);

  a.child.kill('SIGTERM');
  check((await a.exited)[0] === 0, 'server exits 0 on SIGTERM');

  // ---- expiry run and --no-rotate ----
  const b = await startServer(['--device-ttl', '2', '--no-rotate', '--access-ttl', '60']);
  const de = (await deviceAuthorize(b.issuer, KEYCARD)).body;
  check(de.expires_in === 2, 'device-ttl 2 gives expires_in 2', de);
  const et = await pollToken(b.issuer, KEYCARD, de, { firstWait: false });
  check(et.body.error === 'expired_token' && et.seen.slice(0, -1).every((e) => e === 'authorization_pending'), 'polling at the interval: authorization_pending then expired_token', et.seen);
  const late = await userCli(['--issuer', b.issuer, '--code', de.user_code]);
  check(late.code === 1 && /expired/.test(late.stderr), 'user.mjs on an expired code: exit 1', late);

  const dn = (await deviceAuthorize(b.issuer, KEYCARD)).body;
  await actAsUser({ issuer: b.issuer, code: dn.user_code, login: 'bob' });
  const tn = (await pollToken(b.issuer, KEYCARD, dn, { firstWait: false })).body;
  check(tn.expires_in === 60 && jwtPayload(tn.id_token).name === 'Bob', 'access-ttl 60 and login bob', tn);
  const rn = (await post(`${b.issuer}/token`, { ...KEYCARD, grant_type: 'refresh_token', refresh_token: tn.refresh_token })).body;
  check(rn.access_token && rn.refresh_token === tn.refresh_token, '--no-rotate keeps the refresh token', rn);

  b.child.stdin.end();
  check((await b.exited)[0] === 0, 'server exits 0 on stdin EOF');

  console.log(`# one approve run (device authorization -> tokens) took ${approveMs} ms`);
}

const timer = setTimeout(() => { console.error('selftest timed out'); process.exit(1); }, 60_000);
try {
  await main();
  console.log(`${passed} passed, 0 failed`);
  clearTimeout(timer);
} catch (err) {
  console.error(err.message);
  console.error(`--- server stderr ---\n${stderrLogs.join('')}`);
  console.log(`${passed} passed, 1 failed`);
  process.exit(1);
}
