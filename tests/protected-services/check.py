"""One table of what a service protected by idmap tokens must answer, run
against every example service (Rust, Python, Go, Node.js) in front of a real
auth-server. Tokens are real ones from the token endpoint, and forged ones
signed with the server's own signing key, each breaking one claim rule.

Driven by scripts/protected-services-test.sh, which starts everything and
passes: AUTH_BASE, KEY_DIR, READER_ID/READER_SECRET (scope idmap:read),
LINKER_ID/LINKER_SECRET (a partner client, scope idmap:link),
INTROSPECT_ID/INTROSPECT_SECRET (scope introspect: aud is the issuer),
SERVICES ("name=url,name=url,..."), AUTH_BIN (for the key rotation).
"""

import base64
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

AUTH = os.environ["AUTH_BASE"]
SERVICES = dict(item.split("=", 1) for item in os.environ["SERVICES"].split(","))


def token(client_id, secret):
    data = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    req = urllib.request.Request(AUTH + "/oauth/token", data=data)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    req.add_header("Authorization", "Basic " + basic)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)["access_token"]


def signing_key():
    """The newest key auth-server signs with, and its kid from the JWKS."""
    key_dir = Path(os.environ["KEY_DIR"])
    newest = sorted(key_dir.glob("signing-*.pem"))[-1]
    private = serialization.load_pem_private_key(newest.read_bytes(), password=None)
    with urllib.request.urlopen(AUTH + "/oauth/jwks.json", timeout=10) as resp:
        jwks = json.load(resp)
    mine = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    for jwk in jwks["keys"]:
        public = jwt.PyJWK(jwk).key
        if public.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo) == mine:
            return private, jwk["kid"], jwk["alg"]
    raise SystemExit("the signing key is not in the JWKS")


PRIVATE, KID, ALG = signing_key()


def forged(claims_change=None, header_change=None, key=None, alg=None):
    """A token like auth-server's, with one thing changed."""
    real = jwt.decode(token(os.environ["READER_ID"], os.environ["READER_SECRET"]),
                      options={"verify_signature": False})
    now = int(time.time())
    claims = dict(real, iat=now, nbf=now, exp=now + 300)
    if claims_change:
        claims_change(claims)
    headers = {"typ": "at+jwt", "kid": KID}
    if header_change:
        header_change(headers)
    return jwt.encode(claims, key or PRIVATE, algorithm=alg or ALG, headers=headers)


def set_claim(name, value):
    return lambda c: c.__setitem__(name, value)


def drop_claim(name):
    return lambda c: c.pop(name)


def none_token():
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "at+jwt", "kid": KID}).encode())
    real = token(os.environ["READER_ID"], os.environ["READER_SECRET"])
    return header.rstrip(b"=").decode() + "." + real.split(".")[1] + "."


def hs256_with_public_key():
    public_pem = PRIVATE.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    claims = jwt.decode(token(os.environ["READER_ID"], os.environ["READER_SECRET"]),
                        options={"verify_signature": False})
    # PyJWT refuses PEM keys for HMAC, which is the attack: sign by hand.
    import hashlib
    import hmac
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
    signing_input = enc(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": KID}).encode()) + b"." + \
        enc(json.dumps(claims).encode())
    sig = enc(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + sig).decode()


def tampered(tok):
    head, body, sig = tok.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["scope"] = claims["scope"] + " idmap:admin"
    return head + "." + base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode() + "." + sig


def get(url, path, headers):
    parsed = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    conn.putrequest("GET", path)
    for name, value in headers:
        conn.putheader(name, value)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, resp.getheader("WWW-Authenticate"), body


REALM = 'Bearer realm="idmap"'
INVALID = REALM + ', error="invalid_token"'
SCOPE = REALM + ', error="insufficient_scope", scope="idmap:read"'


def cases():
    reader = token(os.environ["READER_ID"], os.environ["READER_SECRET"])
    linker = token(os.environ["LINKER_ID"], os.environ["LINKER_SECRET"])
    other_audience = token(os.environ["INTROSPECT_ID"], os.environ["INTROSPECT_SECRET"])
    bearer = lambda t: [("Authorization", "Bearer " + t)]
    now = int(time.time())
    stranger = ec.generate_private_key(ec.SECP256R1())
    # (what, path, headers, status, WWW-Authenticate)
    return [
        ("valid token with the scope", "/reports", bearer(reader), 200, None),
        ("valid token, any-token endpoint", "/whoami", bearer(linker), 200, None),
        ("valid token without the scope", "/reports", bearer(linker), 403, SCOPE),
        ("no Authorization header", "/reports", [], 401, REALM),
        ("another scheme", "/reports", [("Authorization", "Basic dTpw")], 401, REALM),
        ("Bearer with an empty token", "/reports", [("Authorization", "Bearer ")], 401, INVALID),
        ("two Authorization headers", "/reports", bearer(reader) + bearer(reader), 401, INVALID),
        ("not a JWT", "/reports", bearer("not-a-token"), 401, INVALID),
        ("token for another audience", "/whoami", bearer(other_audience), 401, INVALID),
        ("signature tampered", "/reports", bearer(tampered(reader)), 401, INVALID),
        ("alg none", "/reports", bearer(none_token()), 401, INVALID),
        ("HS256 keyed with the public key", "/reports", bearer(hs256_with_public_key()), 401, INVALID),
        ("signed by a stranger's key", "/reports",
         bearer(forged(key=stranger, alg="ES256")), 401, INVALID),
        ("forged with the real key, nothing changed", "/reports", bearer(forged()), 200, None),
        ("typ JWT", "/reports", bearer(forged(header_change=lambda h: h.__setitem__("typ", "JWT"))), 401, INVALID),
        ("typ missing", "/reports", bearer(forged(header_change=lambda h: h.pop("typ"))), 401, INVALID),
        ("wrong iss", "/reports", bearer(forged(set_claim("iss", "https://evil.example"))), 401, INVALID),
        ("wrong aud", "/reports", bearer(forged(set_claim("aud", "someone-else"))), 401, INVALID),
        ("aud as an array with idmap", "/reports", bearer(forged(set_claim("aud", ["other", "idmap"]))), 200, None),
        ("expired beyond the 30 s leeway", "/reports", bearer(forged(set_claim("exp", now - 120))), 401, INVALID),
        ("expired within the leeway", "/reports", bearer(forged(set_claim("exp", now - 5))), 200, None),
        ("nbf in the future beyond the leeway", "/reports", bearer(forged(set_claim("nbf", now + 120))), 401, INVALID),
        ("exp missing", "/reports", bearer(forged(drop_claim("exp"))), 401, INVALID),
        ("client_id missing", "/reports", bearer(forged(drop_claim("client_id"))), 401, INVALID),
        ("jti missing", "/reports", bearer(forged(drop_claim("jti"))), 401, INVALID),
        ("scope as an array", "/whoami", bearer(forged(set_claim("scope", ["idmap:read"]))), 401, INVALID),
        ("scope names a longer scope only", "/reports",
         bearer(forged(set_claim("scope", "idmap:reader"))), 403, SCOPE),
    ]


def main():
    failures = 0
    total = 0
    table = cases()
    for name, url in SERVICES.items():
        for what, path, headers, status, challenge in table:
            total += 1
            try:
                got_status, got_challenge, _ = get(url, path, headers)
            except OSError as err:
                failures += 1
                print(f"FAIL {name}: {what}: {err!r}")
                continue
            if got_status != status or (challenge is not None and got_challenge != challenge):
                failures += 1
                print(f"FAIL {name}: {what}: {got_status} {got_challenge!r}, "
                      f"want {status} {challenge!r}")
    # A key rotated in an emergency signs at once; every service must pick
    # it up through its unknown-kid refetch, which each rate-limits (PyJWT
    # and jose wait 30 s after a fetch), so wait until that has passed.
    fetched = time.time()
    subprocess.run([os.environ["AUTH_BIN"], "admin", "keys", "rotate", "--now"],
                   check=True, stdout=subprocess.DEVNULL)
    time.sleep(max(0.0, fetched + 31 - time.time()))
    rotated = token(os.environ["READER_ID"], os.environ["READER_SECRET"])
    if jwt.get_unverified_header(rotated)["kid"] == KID:
        print("FAIL the rotated key does not sign")
        failures += 1
    for name, url in SERVICES.items():
        total += 1
        got_status, _, body = get(url, "/reports", [("Authorization", "Bearer " + rotated)])
        if got_status != 200:
            failures += 1
            print(f"FAIL {name}: token of a rotated key: {got_status} {body[:200]!r}")
    print(f"{total - failures} passed, {failures} failed "
          f"({len(table) + 1} cases x {len(SERVICES)} services: {', '.join(SERVICES)})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
