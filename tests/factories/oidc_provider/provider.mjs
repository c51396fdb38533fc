// A real OpenID provider (panva/oidc-provider, OpenID Certified) for Plantão's tests.
//
//   node provider.mjs CONFIG.json
//
// CONFIG.json: {"port": 8123, "clients": [{client_id, client_secret, redirect_uris,
// post_logout_redirect_uris, ...any other client metadata}], "accounts": {"ana": {"email": ...,
// "name": ..., "preferred_username": ..., "groups": [...]}}}
//
// It serves plain http on 127.0.0.1 with issuer http://127.0.0.1:PORT, requires PKCE (S256) on the
// code flow, puts the profile, email and custom `groups` claims in the id_token (so a relying party
// can map groups without calling userinfo), enables RP-initiated logout and uses the package's
// built-in login and consent forms (devInteractions), where the login field is the account id.
// Those forms accept any login; the middleware below refuses ids not in CONFIG.json, so a test can
// check that an unknown person is turned away by the provider itself. Signing and cookie keys are
// made fresh at each start: nothing here is a secret worth keeping.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as querystring from 'node:querystring';

import Provider from 'oidc-provider';

const configPath = process.argv[2];
if (!configPath) {
  console.error('usage: node provider.mjs CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const port = Number(config.port);
const issuer = `http://127.0.0.1:${port}`;
// Accounts are read from CONFIG.json at each use, so a test can change what the provider says
// about a person (their groups) between two logins by rewriting the file.
const accounts = () => JSON.parse(readFileSync(configPath, 'utf8')).accounts ?? {};

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: config.clients ?? [],
  jwks: { keys: [{ ...signingKey, kid: 'test-rs256', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  pkce: { required: () => true },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // Claims of the granted scopes go into the id_token even though an access token is issued too.
  conformIdTokenClaims: false,
  // Short lifetimes, set so the provider does not log a notice for each default it falls back to.
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600,
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, id) {
    const known = accounts();
    if (!Object.hasOwn(known, id)) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, email_verified: true, ...known[id] };
      },
    };
  },
});

// Reads the login form itself and refuses an account id this provider does not know, answering
// with the same form and an error; a known id goes on to oidc-provider, which reuses the parsed
// body (it reads ctx.request.body when the stream was consumed upstream).
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || !/^\/interaction\/[A-Za-z0-9_-]+$/.test(ctx.path)) return next();
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  const raw = Buffer.concat(chunks).toString('utf8');
  const form = querystring.parse(raw);
  if (form.prompt === 'login' && !Object.hasOwn(accounts(), String(form.login))) {
    ctx.status = 401;
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign-in</title></head><body>
<h1>Sign-in</h1><p class="error" role="alert">Unknown account</p>
<form autocomplete="off" action="${ctx.path}" method="post">
<input type="hidden" name="prompt" value="login"/>
<input required type="text" name="login" placeholder="Enter any login" autofocus="on">
<input required type="password" name="password" placeholder="and password">
<button type="submit" class="login login-submit">Sign-in</button></form></body></html>`;
    return undefined;
  }
  ctx.request.body = raw;
  return next();
});

// Errors inside the provider go to stderr, which the test fixture shows when a flow fails.
provider.on('server_error', (ctx, error) => console.error('server_error', error));

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ready ${issuer}`);
});

function shutdown() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
