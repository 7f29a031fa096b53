"""Authorization code with PKCE (S256) and refresh, with authlib and
requests-oauthlib as the client; the browser leg is plain HTTP."""

import os
import secrets

import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from requests_oauthlib import OAuth2Session

from common import REDIRECT_URI, browser_authorize, metadata, run
from test_client_credentials import verify

PUBLIC_ID = os.environ["PUBLIC_ID"]
CONF_ID = os.environ["CONF_ID"]
CONF_SECRET = os.environ["CONF_SECRET"]


def authlib_session(client_id, scope, secret=None):
    """An authlib client using PKCE (S256); public unless it has a secret."""
    return AuthlibSession(
        client_id,
        secret,
        token_endpoint_auth_method="client_secret_basic" if secret else "none",
        scope=scope,
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )


def authlib_code_flow(s, md, **login):
    """The flow with a fresh verifier, the user of `login` (the test user
    by default) consenting; returns the token, the redirect and the state."""
    verifier = secrets.token_urlsafe(48)
    url, state = s.create_authorization_url(md["authorization_endpoint"], code_verifier=verifier)
    location = browser_authorize(url, **login)
    token = s.fetch_token(md["token_endpoint"], authorization_response=location, code_verifier=verifier)
    return token, location, state


def test_authlib_public_client_pkce_and_refresh():
    md = metadata()
    assert md["code_challenge_methods_supported"] == ["S256"]
    s = authlib_session(PUBLIC_ID, "profile idmap:read")
    token, location, state = authlib_code_flow(s, md)
    assert f"state={state}" in location
    claims = verify(token["access_token"])
    assert claims["client_id"] == PUBLIC_ID
    info = requests.get(md["userinfo_endpoint"], headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert info.status_code == 200 and info.json()["email"] == os.environ["USER_EMAIL"]

    old = token["refresh_token"]
    new = s.refresh_token(md["token_endpoint"], refresh_token=old)
    assert new["refresh_token"] != old
    verify(new["access_token"])
    # The rotated-away token is refused (and the family revoked).
    res = requests.post(
        md["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": old, "client_id": PUBLIC_ID},
        timeout=10,
    )
    assert res.status_code == 400 and res.json()["error"] == "invalid_grant"


def test_authlib_confidential_client_with_pkce():
    md = metadata()
    s = authlib_session(CONF_ID, "profile", CONF_SECRET)
    token, _, _ = authlib_code_flow(s, md)
    assert token["scope"] == "profile"
    new = s.refresh_token(md["token_endpoint"], refresh_token=token["refresh_token"])
    verify(new["access_token"], audience=md["issuer"])


def test_requests_oauthlib_public_client_pkce_and_refresh():
    md = metadata()
    s = OAuth2Session(PUBLIC_ID, redirect_uri=REDIRECT_URI, scope=["idmap:read"], pkce="S256")
    url, state = s.authorization_url(md["authorization_endpoint"])
    location = browser_authorize(url)
    token = s.fetch_token(md["token_endpoint"], authorization_response=location, include_client_id=True)
    assert token["scope"] == ["idmap:read"] or token["scope"] == "idmap:read"
    verify(token["access_token"])
    new = s.refresh_token(md["token_endpoint"], refresh_token=token["refresh_token"], client_id=PUBLIC_ID)
    assert new["refresh_token"] != token["refresh_token"]
    verify(new["access_token"])


def test_scopes_a_user_is_not_entitled_to_are_dropped():
    """The second user holds no entitlement: the library asks for
    idmap:read and gets a token for profile only, as the answer's scope
    says (RFC 6749 3.3)."""
    md = metadata()
    s = authlib_session(PUBLIC_ID, "profile idmap:read")
    token, _, _ = authlib_code_flow(s, md, email=os.environ["OTHER_EMAIL"], password=os.environ["USER_PASSWORD"])
    assert token["scope"] == "profile"
    assert verify(token["access_token"], audience=md["issuer"])["scope"] == "profile"


def test_denied_consent_returns_access_denied_with_state():
    md = metadata()
    s = OAuth2Session(PUBLIC_ID, redirect_uri=REDIRECT_URI, scope=["profile"], pkce="S256")
    url, state = s.authorization_url(md["authorization_endpoint"])
    location = browser_authorize(url, decision="deny")
    assert "error=access_denied" in location and f"state={state}" in location


if __name__ == "__main__":
    run([
        test_authlib_public_client_pkce_and_refresh,
        test_authlib_confidential_client_with_pkce,
        test_requests_oauthlib_public_client_pkce_and_refresh,
        test_scopes_a_user_is_not_entitled_to_are_dropped,
        test_denied_consent_returns_access_denied_with_state,
    ])
