// A scripted human: approves or denies a device code through the provider's web pages,
// using plain HTTP (fetch), a tiny cookie jar, and redirects followed by hand.
//
//   node tests/oidc/user.mjs --issuer URL --code USER_CODE [--login alice] [--deny]
//                            [--verification-uri URL] [--verbose]
// --verification-uri defaults to ISSUER/device; given verification_uri_complete,
// --issuer and --code may be left out.
//
// Exit 0 and print "approved" / "denied" on stdout when the provider confirms it;
// exit 1 with a message on stderr otherwise (unknown/expired/used code, ...).
// Also importable: `await actAsUser({ issuer, code, login, deny })`.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

class CookieJar {
  #cookies = new Map(); // "path\0name" -> { name, value, path }

  store(setCookieHeaders, requestUrl) {
    for (const header of setCookieHeaders) {
      const [pair, ...attrs] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = new URL(requestUrl).pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = value === '';
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=').map((s) => s.trim());
        if (/^path$/i.test(k)) path = v || '/';
        if (/^max-age$/i.test(k) && Number(v) <= 0) expired = true;
        if (/^expires$/i.test(k) && Date.parse(v) <= Date.now()) expired = true;
      }
      const key = `${path}\0${name}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter(({ path }) => pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}

const decode = (s) => s
  .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
  .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
  .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const attrsOf = (tag) => Object.fromEntries(
  [...tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)].map(([, k, a, b]) => [k.toLowerCase(), decode(a ?? b)]),
);

// Forms with their named inputs; buttons anywhere that point at a form via form="id".
function parseForms(html, baseUrl) {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map(([, attrs, inner]) => {
    const a = attrsOf(attrs);
    const inputs = [...inner.matchAll(/<input\b[^>]*>/gi)].map(([tag]) => attrsOf(tag)).filter((i) => i.name);
    const buttons = [...inner.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)]
      .map(([, t, text]) => ({ ...attrsOf(t), text: text.replace(/<[^>]+>/g, '').trim() }));
    return {
      id: a.id, action: new URL(a.action ?? '', baseUrl).href, method: (a.method ?? 'GET').toUpperCase(), inputs, buttons,
    };
  });
  for (const [, t, text] of html.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/gi)) {
    const b = { ...attrsOf(t), text: text.replace(/<[^>]+>/g, '').trim() };
    if (b.form) forms.find((f) => f.id === b.form)?.buttons.push(b);
  }
  return forms;
}

const fieldsOf = (form) => Object.fromEntries(form.inputs.map((i) => [i.name, i.value ?? '']));
const textOf = (html) => decode(html.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();

export async function actAsUser({
  issuer, code, login = 'alice', deny = false, verificationUri, log = () => {},
}) {
  const jar = new CookieJar();

  // One navigation: request, then follow redirects by hand so cookies set on 303s are kept.
  async function navigate(url, form) {
    let method = form ? 'POST' : 'GET';
    let body = form ? new URLSearchParams(form) : undefined;
    for (let hops = 0; hops < 10; hops += 1) {
      log(`${method} ${url}`);
      const res = await fetch(url, {
        method,
        body,
        redirect: 'manual',
        headers: { cookie: jar.header(url), accept: 'text/html' },
        signal: AbortSignal.timeout(10_000),
      });
      jar.store(res.headers.getSetCookie(), url);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        url = new URL(location, url).href;
        if (res.status !== 307 && res.status !== 308) { method = 'GET'; body = undefined; }
        continue;
      }
      return { url, status: res.status, html: await res.text() };
    }
    throw new Error(`too many redirects at ${url}`);
  }

  let page = await navigate(verificationUri ?? `${issuer}/device`);
  let codeSubmitted = false;
  let abortPressed = false;
  for (let step = 0; step < 12; step += 1) {
    const { html, status, url } = page;
    const forms = parseForms(html, url);
    const title = textOf(html.match(/<title>([\s\S]*?)<\/title>/i)?.[1] ?? '');
    const hasInput = (f, name, type) => f.inputs.some((i) => i.name === name && (!type || (i.type ?? 'text') === type));
    if (status >= 400) throw new Error(`HTTP ${status} at ${url}: ${textOf(html).slice(0, 300)}`);

    // Device confirmation page: hidden user_code + confirm fields.
    const confirmForm = forms.find((f) => hasInput(f, 'confirm', 'hidden'));
    // User code entry page (also re-rendered with an error message).
    const codeForm = forms.find((f) => hasInput(f, 'user_code') && !hasInput(f, 'user_code', 'hidden'));
    const loginForm = forms.find((f) => hasInput(f, 'login'));
    // verification_uri_complete answers with a self-submitting form carrying the code.
    const autoForm = forms.find((f) => hasInput(f, 'user_code', 'hidden') && !hasInput(f, 'confirm'));

    if (confirmForm) {
      const fields = fieldsOf(confirmForm);
      if (deny) {
        const abort = confirmForm.buttons.find((b) => b.name && /abort|deny|cancel/i.test(`${b.name} ${b.text}`));
        fields[abort?.name ?? 'abort'] = abort?.value ?? 'yes';
        abortPressed = true;
      }
      page = await navigate(confirmForm.action, fields);
    } else if (codeForm) {
      if (codeSubmitted) {
        const message = textOf(html.match(/<(p|div)\b[^>]*class="[^"]*(error|red)[^"]*"[^>]*>([\s\S]*?)<\/\1>/i)?.[3] ?? html);
        if (abortPressed && /abort|interrupt|denied/i.test(message)) return 'denied';
        throw new Error(`provider rejected user code ${JSON.stringify(code)}: ${message}`);
      }
      codeSubmitted = true;
      page = await navigate(codeForm.action, { ...fieldsOf(codeForm), user_code: code });
    } else if (autoForm) {
      codeSubmitted = true;
      page = await navigate(autoForm.action, fieldsOf(autoForm));
    } else if (loginForm) {
      page = await navigate(loginForm.action, { ...fieldsOf(loginForm), login, password: 'any-password' });
    } else if (forms.length && /\/interaction\//.test(url)) {
      // Consent: submit the form that is not the cancel/abort one.
      const consent = forms.find((f) => !/\/abort$/.test(f.action)) ?? forms[0];
      page = await navigate(consent.action, fieldsOf(consent));
    } else if (/success/i.test(title) || /data-page="success"/.test(html)) {
      if (deny) throw new Error('provider reported success although we denied');
      return 'approved';
    } else {
      throw new Error(`unexpected page at ${url} (HTTP ${status}): ${textOf(html).slice(0, 300)}`);
    }
  }
  throw new Error('gave up: too many steps');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      issuer: { type: 'string' },
      code: { type: 'string' },
      login: { type: 'string', default: 'alice' },
      deny: { type: 'boolean', default: false },
      'verification-uri': { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
  });
  const vuri = values['verification-uri'];
  values.code ??= vuri && URL.parse(vuri)?.searchParams.get('user_code');
  values.issuer ??= vuri && URL.parse(vuri)?.origin;
  if (!values.issuer || !values.code) {
    console.error('usage: user.mjs --issuer URL --code USER_CODE [--login NAME] [--deny] [--verification-uri URL] [--verbose]');
    process.exit(2);
  }
  try {
    const result = await actAsUser({
      issuer: values.issuer.replace(/\/$/, ''),
      code: values.code,
      login: values.login,
      deny: values.deny,
      verificationUri: values['verification-uri'],
      log: values.verbose ? (m) => console.error(m) : undefined,
    });
    console.log(result);
  } catch (err) {
    const cause = err.cause ? ` (${err.cause.code ?? err.cause.message})` : '';
    console.error(`user.mjs: ${err.message}${cause}`);
    process.exit(1);
  }
}
