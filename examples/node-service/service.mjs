// An internal service protected by idmap access tokens, in Node.js.
//
// Validates every bearer token locally with `jose` against the issuer's
// JWKS (no call to auth-server per request), with the same checks and the
// same RFC 6750 answers as the Rust extractors in idmap-actix-auth.
//
//   npm ci
//   ISSUER=http://127.0.0.1:8081 AUDIENCE=idmap LISTEN=127.0.0.1:8093 node service.mjs
//
// Settings: ISSUER (auth-server's AUTH_ISSUER), AUDIENCE (default idmap),
// LISTEN (default 127.0.0.1:8093), JWKS_URL (optional: where to fetch the
// keys when the public issuer URL is not reachable from the service).

import http from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";

const ISSUER = process.env.ISSUER ?? "http://127.0.0.1:8081";
const AUDIENCE = process.env.AUDIENCE ?? "idmap";
const LISTEN = process.env.LISTEN ?? "127.0.0.1:8093";
// Only asymmetric algorithms: accepting HS256 would let anyone holding the
// public key sign tokens.
const ALGORITHMS = ["RS256", "ES256", "EdDSA"];
const REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope"];

async function jwksUrl() {
  if (process.env.JWKS_URL) return new URL(process.env.JWKS_URL);
  const res = await fetch(`${ISSUER.replace(/\/$/, "")}/.well-known/oauth-authorization-server`);
  if (!res.ok) throw new Error(`issuer metadata answered ${res.status}`);
  return new URL((await res.json()).jwks_uri);
}

class AuthError extends Error {
  // code null: no token was sent at all (RFC 6750 section 3.1).
  constructor(status, code, description, scope) {
    super(description);
    this.status = status;
    this.code = code;
    this.scope = scope;
  }
}

// createRemoteJWKSet caches the key set and refetches it (rate-limited) on
// an unknown kid, which is how keys rotated by auth-server are picked up.
const keys = createRemoteJWKSet(await jwksUrl());

async function claimsOf(req) {
  const values = req.headersDistinct.authorization ?? [];
  if (values.length === 0) throw new AuthError(401, null, "missing bearer token");
  if (values.length > 1) throw new AuthError(401, "invalid_token", "more than one Authorization header");
  const [scheme, ...rest] = values[0].split(" ");
  if (scheme.toLowerCase() !== "bearer") throw new AuthError(401, null, "missing bearer token");
  const token = rest.join(" ").trim();
  if (!token) throw new AuthError(401, "invalid_token", "empty bearer token");
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ALGORITHMS,
      // RFC 9068: an access token says so, so another JWT signed by the
      // same key is not accepted in its place.
      typ: "at+jwt",
      clockTolerance: 30,
      requiredClaims: REQUIRED_CLAIMS,
    });
    if (["sub", "jti", "client_id", "scope"].every((name) => typeof payload[name] === "string")) {
      return payload;
    }
  } catch {
    // Every failure answers the same; the reason is not for the caller.
  }
  throw new AuthError(401, "invalid_token", "the access token is invalid");
}

// One space-separated string (RFC 9068 section 2.2.3), checked above.
const hasScope = (claims, wanted) => claims.scope.split(" ").includes(wanted);

function answer(res, status, body, challenge) {
  const headers = { "content-type": "application/json" };
  if (challenge) headers["www-authenticate"] = challenge;
  res.writeHead(status, headers).end(JSON.stringify(body));
}

async function handle(req, res) {
  try {
    const claims = await claimsOf(req);
    if (req.url === "/whoami") {
      const { sub, client_id, scope, partner } = claims;
      return answer(res, 200, { sub, client_id, scope, partner: partner ?? null });
    }
    if (req.url === "/reports") {
      if (!hasScope(claims, "idmap:read")) {
        throw new AuthError(403, "insufficient_scope", "the token lacks scope idmap:read", "idmap:read");
      }
      return answer(res, 200, { reports: [], requested_by: claims.client_id });
    }
    return answer(res, 404, { error: "not_found", error_description: "no such resource" });
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    let challenge = `Bearer realm="${AUDIENCE}"`;
    if (err.code) challenge += `, error="${err.code}"`;
    if (err.scope) challenge += `, scope="${err.scope}"`;
    return answer(res, err.status, { error: err.code ?? "unauthorized", error_description: err.message }, challenge);
  }
}

const [host, port] = [LISTEN.slice(0, LISTEN.lastIndexOf(":")), Number(LISTEN.slice(LISTEN.lastIndexOf(":") + 1))];
http
  .createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500, { error: "server_error" }));
  })
  .listen(port, host, () => console.log(`protected service listening on ${LISTEN}`));
