// A real OAuth 2.1 / OpenID authorization server for the tests: the certified oidc-provider,
// on loopback, issuing JWT access tokens by the client credentials grant for one resource.
//   node oauth-as.mjs '<config JSON>'
// config: {"resource": "<the gateway's /mcp URL>", "scope": "mcp:call",
//          "clients": [{"id": "...", "secret": "...", "groups": ["..."], "tenant": "..."}]}
// Prints one line, {"issuer": "http://127.0.0.1:<port>"}, once it listens; runs until stdin closes.
// The signing key is made at start (RS256), so each run has its own.
import { createServer } from "node:http";
import Provider from "oidc-provider";
import { exportJWK, generateKeyPair } from "jose";

const config = JSON.parse(process.argv[2]);
const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: "as-key-1", alg: "RS256", use: "sig" };
const byClient = new Map(config.clients.map((c) => [c.id, c]));

const server = createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signing] },
  clients: config.clients.map((c) => ({
    client_id: c.id,
    client_secret: c.secret,
    grant_types: ["client_credentials"],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: "client_secret_basic",
    scope: config.scope,
  })),
  scopes: [config.scope],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => config.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => {
        if (resourceIndicator !== config.resource) {
          throw new Error(`unknown resource ${resourceIndicator}`);
        }
        return { scope: config.scope, audience: config.resource, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } };
      },
    },
  },
  // The claims a gateway's Cedar policies read: the client's groups and tenant.
  extraTokenClaims: (ctx, token) => {
    const client = byClient.get(token.clientId);
    return client ? { groups: client.groups ?? [], tenant: client.tenant ?? null } : {};
  },
});
// Plain http on loopback is what the tests need; oidc-provider would otherwise insist on https behind a proxy.
provider.proxy = false;
server.on("request", provider.callback());

process.stdout.write(JSON.stringify({ issuer }) + "\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
