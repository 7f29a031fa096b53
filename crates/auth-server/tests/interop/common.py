"""Shared helpers of the interoperability tests: settings from the
environment (set by scripts/interop-test.sh), server metadata, and the
browser leg of the authorization-code flow driven with plain HTTP form
posts (login page, consent page, CSRF tokens parsed from the HTML)."""

import os
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests

BASE = os.environ["AUTH_BASE"]
USER_EMAIL = os.environ["USER_EMAIL"]
USER_PASSWORD = os.environ["USER_PASSWORD"]
REDIRECT_URI = os.environ["REDIRECT_URI"]


def metadata():
    res = requests.get(f"{BASE}/.well-known/oauth-authorization-server", timeout=10)
    res.raise_for_status()
    return res.json()


class _Forms(HTMLParser):
    """Collects the inputs of every form on a page."""

    def __init__(self):
        super().__init__()
        self.inputs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") in ("hidden", None, "email", "password"):
            self.inputs.append((a["name"], a.get("value") or ""))


def hidden_inputs(html):
    p = _Forms()
    p.feed(html)
    return [(k, v) for k, v in p.inputs if k not in ("email", "password")]


def browser_authorize(authorize_url, decision="allow", email=USER_EMAIL, password=USER_PASSWORD):
    """Logs a user in (the test user by default) and consents; returns the
    redirect Location."""
    s = requests.Session()
    res = s.get(authorize_url, allow_redirects=False, timeout=10)
    assert res.status_code == 303, f"expected the login redirect, got {res.status_code}"
    login_url = urljoin(BASE, res.headers["Location"])
    page = s.get(login_url, timeout=10)
    assert page.status_code == 200
    form = dict(hidden_inputs(page.text))
    assert form.get("csrf_token"), "the login form carries a CSRF token"
    form.update({"email": email, "password": password})
    res = s.post(f"{BASE}/accounts/login/", data=form, allow_redirects=False, timeout=10)
    assert res.status_code == 303, f"login failed: {res.status_code}"
    consent = s.get(urljoin(BASE, res.headers["Location"]), allow_redirects=False, timeout=10)
    assert consent.status_code == 200, f"expected the consent page, got {consent.status_code}"
    fields = hidden_inputs(consent.text)
    assert any(k == "csrf_token" for k, _ in fields), "the consent form carries a CSRF token"
    fields.append(("decision", decision))
    res = s.post(f"{BASE}/oauth/authorize", data=fields, allow_redirects=False, timeout=10)
    assert res.status_code == 302, f"expected the redirect to the client, got {res.status_code}"
    return res.headers["Location"]


def run(tests):
    """Runs test functions; prints one line each and a summary; exits non-zero on failure."""
    passed = failed = 0
    for t in tests:
        try:
            t()
            passed += 1
            print(f"ok   {t.__module__}.{t.__name__}")
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {t.__module__}.{t.__name__}: {e!r}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
