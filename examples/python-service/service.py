"""An internal service protected by idmap access tokens, in Python.

Validates every bearer token locally with PyJWT against the issuer's JWKS
(no call to auth-server per request), with the same checks and the same
RFC 6750 answers as the Rust extractors in `idmap-actix-auth`.

    pip install -r requirements.txt
    ISSUER=http://127.0.0.1:8081 AUDIENCE=idmap LISTEN=127.0.0.1:8091 python3 service.py

Settings: ISSUER (auth-server's AUTH_ISSUER), AUDIENCE (default idmap),
LISTEN (default 127.0.0.1:8091), JWKS_URL (optional: where to fetch the keys
when the public issuer URL is not reachable from the service).
"""

import json
import os
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

ISSUER = os.environ.get("ISSUER", "http://127.0.0.1:8081")
AUDIENCE = os.environ.get("AUDIENCE", "idmap")
LISTEN = os.environ.get("LISTEN", "127.0.0.1:8091")
# Only asymmetric algorithms: accepting HS256 would let anyone holding the
# public key sign tokens.
ALGORITHMS = ["RS256", "ES256", "EdDSA"]
LEEWAY_SECONDS = 30
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope"]


def jwks_url():
    explicit = os.environ.get("JWKS_URL")
    if explicit:
        return explicit
    metadata_url = ISSUER.rstrip("/") + "/.well-known/oauth-authorization-server"
    with urllib.request.urlopen(metadata_url, timeout=5) as resp:
        return json.load(resp)["jwks_uri"]


class Unauthorized(Exception):
    """401: no usable token. `code` is None when none was sent at all."""

    def __init__(self, code, description):
        super().__init__(description)
        self.code = code
        self.description = description


class Forbidden(Exception):
    """403: a valid token without the scope the endpoint needs."""

    def __init__(self, scope):
        super().__init__(scope)
        self.scope = scope


class TokenValidator:
    def __init__(self):
        # PyJWKClient caches the key set and refetches it on an unknown kid,
        # which is how keys rotated by auth-server are picked up.
        self.keys = jwt.PyJWKClient(jwks_url(), cache_keys=True, lifespan=300)

    def claims(self, authorization_headers):
        if not authorization_headers:
            raise Unauthorized(None, "missing bearer token")
        if len(authorization_headers) > 1:
            raise Unauthorized("invalid_token", "more than one Authorization header")
        scheme, _, token = authorization_headers[0].partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthorized(None, "missing bearer token")
        token = token.strip()
        if not token:
            raise Unauthorized("invalid_token", "empty bearer token")
        try:
            header = jwt.get_unverified_header(token)
            # RFC 9068: an access token says so, so an ID token or any other
            # JWT signed by the same key is not accepted in its place.
            if header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt"):
                raise jwt.InvalidTokenError("typ is not at+jwt")
            key = self.keys.get_signing_key_from_jwt(token)
            # The key decides the algorithm, never the token's header.
            if key.algorithm_name not in ALGORITHMS or header.get("alg") != key.algorithm_name:
                raise jwt.InvalidTokenError("alg does not match the key")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except (jwt.PyJWTError, ValueError, TypeError) as err:
            raise Unauthorized("invalid_token", "the access token is invalid") from err
        if not all(isinstance(claims[name], str) for name in ("sub", "jti", "client_id", "scope")):
            raise Unauthorized("invalid_token", "the access token is invalid")
        return claims


def has_scope(claims, wanted):
    # One space-separated string (RFC 9068 section 2.2.3), checked above.
    return wanted in claims["scope"].split(" ")


VALIDATOR = None


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            claims = VALIDATOR.claims(self.headers.get_all("Authorization") or [])
            if self.path == "/whoami":
                body = {k: claims.get(k) for k in ("sub", "client_id", "scope", "partner")}
            elif self.path == "/reports":
                if not has_scope(claims, "idmap:read"):
                    raise Forbidden("idmap:read")
                body = {"reports": [], "requested_by": claims["client_id"]}
            else:
                self.answer(404, {"error": "not_found", "error_description": "no such resource"})
                return
            self.answer(200, body)
        except Unauthorized as err:
            challenge = f'Bearer realm="{AUDIENCE}"'
            if err.code:
                challenge += f', error="{err.code}"'
            self.answer(401, {"error": err.code or "unauthorized", "error_description": err.description},
                        challenge)
        except Forbidden as err:
            challenge = f'Bearer realm="{AUDIENCE}", error="insufficient_scope", scope="{err.scope}"'
            self.answer(403, {"error": "insufficient_scope",
                              "error_description": f"the token lacks scope {err.scope}"}, challenge)

    def answer(self, status, body, challenge=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if challenge:
            self.send_header("WWW-Authenticate", challenge)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        # Request lines only; never headers (they carry tokens).
        print(f"{self.address_string()} {fmt % args}", flush=True)


def main():
    global VALIDATOR
    VALIDATOR = TokenValidator()
    host, port = LISTEN.rsplit(":", 1)
    print(f"protected service listening on {LISTEN}", flush=True)
    ThreadingHTTPServer((host, int(port)), Handler).serve_forever()


if __name__ == "__main__":
    main()
