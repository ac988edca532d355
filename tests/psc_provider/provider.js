// A Pro Santé Connect-like OpenID provider on 127.0.0.1, for ortif's sign-in tests and
// `ortif demo --psc`: the certified `oidc-provider` package, configured with PSC's claims
// (SubjectNameID, family_name, given_name, SubjectRefPro), acr `eidas1`, the authorization
// code flow with PKCE, and CIBA in poll mode.
//
//   node provider.js CONFIG.json
//
// CONFIG: {"port": N, "clients": [{client_id, client_secret, redirect_uris}],
//          "accounts": [{id, SubjectNameID, family_name, given_name, pin, fault?}]}
//
// The sign-in page asks for the national identifier and the PIN of the card (the e-CPS).
// The e-CPS app is played by `/ecps/requests` (GET: pending CIBA requests of a
// SubjectNameID) and `/ecps/requests/ID/approve|deny` (POST).
// An account's `fault` makes the provider misbehave for it, to test the platform's checks:
// "audience" signs its ID tokens for another client, "signature" signs them with a key the
// JWKS does not publish.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import * as jose from 'jose';
import Provider, { errors } from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = new Map(config.accounts.map((account) => [account.id, account]));
const bySubjectNameID = new Map(config.accounts.map((a) => [a.SubjectNameID, a]));
const pendingCiba = new Map(); // auth_req_id -> {accountId, binding_message}
const PSC_CLAIMS = ['SubjectNameID', 'family_name', 'given_name', 'SubjectRefPro', 'preferred_username'];

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await jose.exportJWK(privateKey)), kid: 'psc-test-1', alg: 'RS256', use: 'sig' };
const rogue = await jose.generateKeyPair('RS256', { extractable: true });

function claimsOf(account) {
  return {
    sub: account.id,
    SubjectNameID: account.SubjectNameID,
    preferred_username: account.SubjectNameID,
    family_name: account.family_name,
    given_name: account.given_name,
    SubjectRefPro: {
      codeCivilite: 'DR',
      exercices: [{ codeProfession: '10', codeCategorieProfessionnelle: 'C', nomDExercice: account.family_name }],
    },
  };
}

async function grantFor(provider, accountId, clientId, scope) {
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(scope);
  grant.addOIDCClaims(PSC_CLAIMS);
  await grant.save();
  return grant;
}

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    grant_types: ['authorization_code', 'urn:openid:params:grant-type:ciba'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_token_delivery_mode: 'poll',
    ...client,
  })),
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['psc-test-provider-cookie-key'] },
  scopes: ['openid', 'scope_all'],
  claims: { openid: ['sub'], scope_all: PSC_CLAIMS },
  acrValues: ['eidas1'],
  pkce: { required: () => true },
  findAccount: (ctx, id) => {
    const account = accounts.get(id);
    return account && { accountId: id, claims: () => claimsOf(account) };
  },
  // PSC asks no consent: the grant is what the client asked for.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    return grantFor(ctx.oidc.provider, ctx.oidc.session.accountId, ctx.oidc.client.clientId, ctx.oidc.params.scope);
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    introspection: { enabled: true },
    ciba: {
      enabled: true,
      deliveryModes: ['poll'],
      processLoginHint: (ctx, loginHint) => bySubjectNameID.get(loginHint)?.id,
      validateRequestContext: () => {},
      verifyUserCode: () => {},
      triggerAuthenticationDevice: (ctx, request, account) => {
        pendingCiba.set(request.jti, {
          accountId: account.accountId,
          binding_message: request.params.binding_message,
        });
      },
    },
  },
});

// Faults of the test accounts: re-sign their ID tokens as a broken provider would.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== '/token' || ctx.status !== 200 || !ctx.body?.id_token) return;
  const payload = jose.decodeJwt(ctx.body.id_token);
  const fault = accounts.get(payload.sub)?.fault;
  if (fault === 'audience') {
    ctx.body.id_token = await sign({ ...payload, aud: 'another-service' }, privateKey);
  } else if (fault === 'signature') {
    ctx.body.id_token = await sign(payload, rogue.privateKey);
  }
});

function sign(payload, key) {
  return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: signingJwk.kid }).sign(key);
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  return `<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Pro Santé Connect (test)</title></head><body>
<h1>Pro Santé Connect</h1><p>Connexion avec votre carte CPS ou votre e-CPS (fournisseur de test).</p>
${error ? `<p id="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<label for="national_id">Identifiant national</label>
<input id="national_id" name="national_id" autocomplete="off" required>
<label for="pin">Code PIN</label>
<input id="pin" name="pin" type="password" required>
<button id="submit" type="submit">Valider</button>
</form>
<p><a id="cancel" href="/interaction/${escape(uid)}/abort">Annuler</a></p>
</body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, url) {
  const [, , uid, action] = url.pathname.split('/');
  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  await provider.interactionDetails(req, res);
  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const account = bySubjectNameID.get(form.get('national_id'));
    if (!account || account.pin !== form.get('pin')) {
      return html(res, 401, loginPage(uid, 'Identifiant ou code PIN incorrect.'));
    }
    const login = { accountId: account.id, acr: 'eidas1', amr: ['pin', 'mfa'] };
    return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
  }
  return html(res, 200, loginPage(uid));
}

async function ecps(req, res, url) {
  const [, , , id, action] = url.pathname.split('/');
  if (req.method === 'GET' && !id) {
    const subject = bySubjectNameID.get(url.searchParams.get('SubjectNameID'))?.id;
    const requests = [...pendingCiba.entries()]
      .filter(([, r]) => r.accountId === subject)
      .map(([authReqId, r]) => ({ id: authReqId, binding_message: r.binding_message }));
    return json(res, 200, requests);
  }
  const pending = pendingCiba.get(id);
  if (req.method !== 'POST' || !pending) return json(res, 404, { error: 'not_found' });
  pendingCiba.delete(id);
  const request = await provider.BackchannelAuthenticationRequest.find(id);
  if (!request) return json(res, 410, { error: 'expired' });
  if (action === 'approve') {
    const grant = await grantFor(provider, request.accountId, request.clientId, request.scope);
    const authTime = Math.floor(Date.now() / 1000);
    await provider.backchannelResult(request, grant, { acr: 'eidas1', amr: ['mfa'], authTime });
  } else {
    await provider.backchannelResult(request, new errors.AccessDenied('the professional refused the request'));
  }
  return json(res, 200, { done: action });
}

function html(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (url.pathname.startsWith('/interaction/')) return await interaction(req, res, url);
    if (url.pathname.startsWith('/ecps/requests')) return await ecps(req, res, url);
    return callback(req, res);
  } catch (error) {
    return html(res, 400, `<p id="error">${escape(error.message)}</p>`);
  }
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`Pro Santé Connect test provider at ${issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
