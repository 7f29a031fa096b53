"""Client credentials with authlib and requests-oauthlib; PyJWT's
PyJWKClient verifies the tokens from our jwks_uri alone."""

import os

import jwt
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from common import BASE, metadata, run

CC_ID = os.environ["CC_ID"]
CC_SECRET = os.environ["CC_SECRET"]


def verify(token, audience="idmap"):
    jwks = jwt.PyJWKClient(metadata()["jwks_uri"])
    key = jwks.get_signing_key_from_jwt(token)
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt"
    return jwt.decode(
        token,
        key.key,
        algorithms=["RS256", "ES256", "EdDSA"],
        audience=audience,
        issuer=BASE,
        options={"require": ["exp", "iat", "nbf", "iss", "sub", "aud", "jti"]},
    )


def test_authlib_client_secret_basic():
    s = AuthlibSession(CC_ID, CC_SECRET, token_endpoint_auth_method="client_secret_basic", scope="idmap:read")
    token = s.fetch_token(metadata()["token_endpoint"], grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer"
    assert "refresh_token" not in token
    claims = verify(token["access_token"])
    assert claims["client_id"] == CC_ID and claims["scope"] == "idmap:read"


def test_authlib_client_secret_post():
    s = AuthlibSession(CC_ID, CC_SECRET, token_endpoint_auth_method="client_secret_post")
    token = s.fetch_token(metadata()["token_endpoint"], grant_type="client_credentials")
    claims = verify(token["access_token"])
    assert claims["sub"] == CC_ID


def test_requests_oauthlib_backend_application():
    client = BackendApplicationClient(client_id=CC_ID)
    s = OAuth2Session(client=client)
    token = s.fetch_token(
        token_url=metadata()["token_endpoint"], client_id=CC_ID, client_secret=CC_SECRET, scope=["idmap:link"]
    )
    claims = verify(token["access_token"])
    assert claims["scope"] == "idmap:link"


def test_pyjwt_refuses_a_tampered_token():
    s = AuthlibSession(CC_ID, CC_SECRET)
    token = s.fetch_token(metadata()["token_endpoint"], grant_type="client_credentials")["access_token"]
    head, body, sig = token.split(".")
    bad = ".".join([head, body, sig[:-4] + ("AAAA" if not sig.endswith("AAAA") else "BBBB")])
    try:
        verify(bad)
    except jwt.InvalidSignatureError:
        return
    raise AssertionError("a tampered token verified")


if __name__ == "__main__":
    run([
        test_authlib_client_secret_basic,
        test_authlib_client_secret_post,
        test_requests_oauthlib_backend_application,
        test_pyjwt_refuses_a_tampered_token,
    ])
