"""Client side of scripts/compose-e2e.sh: drives the deployment only through
nginx's published HTTPS port, trusting the development CA, with client
libraries we did not write (authlib for OAuth, PyJWT for the JWKS, requests).

Every check prints one line, `ok    NAME` or `FAIL  NAME: why`; figures print
as `figure NAME: VALUE`. The script counts both per step. Exit status 1 when
a check failed.

Subcommands (all take --base https://host:port and --ca ca.pem):
  basic      token, metadata, JWKS, link, save, lookup, limits, redirect
  mail       password reset mailed through the SMTP relay (reads the relay's log)
  load       concurrent partners linking overlapping new patients
  rotation   after a key rotation: every token carries the new key and passes
  verify     patients recorded earlier answer the same UUIDs again
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session

# requests prefers these over a session's own `verify`; the deployment's
# development CA is passed explicitly instead.
for _name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_name, None)

FAILED = 0


def ok(name):
    print(f"ok    {name}", flush=True)


def fail(name, why):
    global FAILED
    FAILED += 1
    print(f"FAIL  {name}: {why}", flush=True)


def check(name, cond, why=""):
    if cond:
        ok(name)
    else:
        fail(name, why or "condition not met")
    return cond


def figure(name, value):
    print(f"figure {name}: {value}", flush=True)


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def load_client(path):
    with open(path) as f:
        return json.load(f)


class Deployment:
    def __init__(self, args):
        self.base = args.base.rstrip("/")
        self.ca = args.ca

    def url(self, path):
        return self.base + path

    def oauth(self, client):
        """An authlib session for a confidential client (client_secret_basic)."""
        s = OAuth2Session(
            client["client_id"],
            client["client_secret"],
            token_endpoint_auth_method="client_secret_basic",
        )
        s.verify = self.ca
        return s

    def token(self, client, scope=None, attempts=10):
        """A client-credentials token; retries 429 as the CLI does."""
        for attempt in range(1, attempts + 1):
            s = self.oauth(client)
            try:
                extra = {"scope": scope} if scope else {}
                return s.fetch_token(
                    self.url("/oauth/token"), grant_type="client_credentials", verify=self.ca, **extra
                )["access_token"]
            except Exception as e:  # authlib raises OAuthError on a 429 too
                if attempt == attempts:
                    raise
                print(f"token attempt {attempt} failed ({e!r}); retrying", file=sys.stderr, flush=True)
                time.sleep(backoff(attempt, None))
        raise AssertionError("unreachable")

    def post(self, session, path, body, token, timeout=120):
        return session.post(
            self.url(path),
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=self.ca,
            timeout=timeout,
        )


def backoff(attempt, retry_after):
    """The CLI's policy: 1 s doubling per attempt, capped at 60 s, half to
    full jitter, at least the server's Retry-After."""
    base = min(1.0 * 2 ** (attempt - 1), 60.0)
    wait = base * random.uniform(0.5, 1.0)
    if retry_after is not None and retry_after > wait:
        wait = retry_after
    return wait


def transient(status):
    return status in (408, 429) or status >= 500


def post_with_retry(dep, session, path, body, token, stats, attempts=10):
    """POSTs like the CLI: network errors, 408, 429 and 5xx are retried with
    its backoff; returns the final response (or raises after the last try)."""
    for attempt in range(1, attempts + 1):
        try:
            r = dep.post(session, path, body, token)
        except requests.RequestException as e:
            stats.note("network error", None)
            if attempt == attempts:
                raise
            time.sleep(backoff(attempt, None))
            continue
        stats.note(r.status_code, r)
        if not transient(r.status_code) or attempt == attempts:
            return r
        ra = r.headers.get("Retry-After")
        time.sleep(backoff(attempt, float(ra) if ra and ra.isdigit() else None))
    raise AssertionError("unreachable")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses = {}
        self.latencies = []

    def note(self, status, response):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if response is not None and response.status_code == 200:
                self.latencies.append(response.elapsed.total_seconds())

    def count(self, pred):
        return sum(n for s, n in self.statuses.items() if pred(s))


# ---- basic ---------------------------------------------------------------


def person_hashes(tag, k):
    return [
        {"rule": "F_L_D_S", "hash": sha(f"{tag}/{k}/F_L_D_S")},
        {"rule": "F_L_D_R", "hash": sha(f"{tag}/{k}/F_L_D_R")},
    ]


def cmd_basic(args):
    dep = Deployment(args)
    partner = load_client(args.client)
    other = load_client(args.client2)
    reader = load_client(args.reader)
    http = requests.Session()

    meta = http.get(dep.url("/.well-known/oauth-authorization-server"), verify=dep.ca).json()
    check("metadata names the public issuer", meta.get("issuer") == dep.base, meta.get("issuer"))
    check(
        "metadata's token endpoint is behind nginx",
        meta.get("token_endpoint") == dep.url("/oauth/token"),
        meta.get("token_endpoint"),
    )

    token = dep.token(partner)
    ok("token from authlib (client_credentials, client_secret_basic)")
    jwks = http.get(dep.url("/oauth/jwks.json"), verify=dep.ca).json()
    header = jwt.get_unverified_header(token)
    try:
        key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
        claims = jwt.decode(
            token, key=key.key, algorithms=[header["alg"]], audience="idmap", issuer=dep.base
        )
        check("PyJWT verifies the token with the published JWKS", "idmap:link" in claims.get("scope", ""))
    except Exception as e:
        fail("PyJWT verifies the token with the published JWKS", repr(e))

    # A session that authlib itself authorises.
    s = dep.oauth(partner)
    s.fetch_token(dep.url("/oauth/token"), grant_type="client_credentials", verify=dep.ca)
    patients = [{"ref": f"{args.tag}-{k}", "hashes": person_hashes(args.tag, k)} for k in range(20)]
    r = s.post(dep.url("/api/v1/link"), json={"patients": patients}, verify=dep.ca)
    uuids = {}
    if check("link 20 new patients", r.status_code == 200, f"{r.status_code} {r.text[:200]}"):
        uuids = {res["ref"]: res["uuid"] for res in r.json()["results"]}
        check("link answers a distinct UUID each", len(set(uuids.values())) == 20)
    r = s.post(dep.url("/api/v1/link"), json={"patients": patients}, verify=dep.ca)
    check(
        "link again: the same UUIDs",
        r.status_code == 200 and {x["ref"]: x["uuid"] for x in r.json()["results"]} == uuids,
        r.text[:200],
    )

    # The second partner sees the same people without refs in common.
    token2 = dep.token(other)
    p2 = [{"ref": f"other-{k}", "hashes": person_hashes(args.tag, k)[1:]} for k in range(20)]
    r = dep.post(http, "/api/v1/link", {"patients": p2}, token2)
    check(
        "another partner's patients with a shared hash get the same UUIDs",
        r.status_code == 200
        and [x["uuid"] for x in r.json()["results"]] == [uuids.get(f"{args.tag}-{k}") for k in range(20)],
        r.text[:200],
    )

    # The older clients' endpoint.
    legacy = {"data": {str(k): {"1": person_hashes(args.tag, k)[0]["hash"]} for k in range(3)}}
    legacy["data"]["3"] = {"1": sha(f"{args.tag}/legacy-new")}
    r = dep.post(http, "/api/save", legacy, token)
    if check("/api/save answers success", r.status_code == 200 and r.json().get("status") == "success", r.text[:200]):
        data = r.json()["data"]
        check(
            "/api/save answers the known UUIDs (32 hex)",
            all(data[str(k)]["uuid"] == uuids[f"{args.tag}-{k}"].replace("-", "") for k in range(3)),
            json.dumps(data)[:200],
        )

    # Lookup with a reader client.
    rtoken = dep.token(reader)
    hashes = [person_hashes(args.tag, k)[0]["hash"] for k in range(20)] + [sha(f"{args.tag}/unknown")]
    r = dep.post(http, "/api/v1/lookup", {"hashes": hashes}, rtoken)
    if check("lookup answers", r.status_code == 200, r.text[:200]):
        got = [x["uuid"] for x in r.json()["results"]]
        check(
            "lookup finds every linked hash, null for an unknown one",
            got[:20] == [uuids[f"{args.tag}-{k}"] for k in range(20)] and got[20] is None,
            str(got[:3]),
        )
    r = dep.post(http, "/api/v1/lookup", {"hashes": hashes[:1]}, token)
    check("lookup refuses a token without idmap:read (403)", r.status_code == 403, str(r.status_code))
    r = http.post(dep.url("/api/v1/link"), json={"patients": patients[:1]}, verify=dep.ca)
    check("link without a token: 401", r.status_code == 401, str(r.status_code))

    # What nginx does itself.
    big = b'{"patients":[' + b" " * (16 * 1024 * 1024 + 1) + b"]}"
    r = http.post(
        dep.url("/api/v1/link"),
        data=big,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        verify=dep.ca,
    )
    check(
        "413 JSON for a body over 16 MiB on /api/",
        r.status_code == 413 and r.json().get("error") == "request_too_large",
        f"{r.status_code} {r.text[:100]}",
    )
    r = http.post(dep.url("/oauth/token"), data={"grant_type": "x" * (65 * 1024)}, verify=dep.ca)
    check("413 for a body over 64 KiB on /oauth/token", r.status_code == 413, str(r.status_code))
    for path in ("/metrics", "/openapi.json", "/health/ready"):
        r = http.get(dep.url(path), verify=dep.ca)
        check(f"{path} is not routed (404)", r.status_code == 404, str(r.status_code))
    r = http.get(dep.url("/static/user-center.css"), verify=dep.ca)
    check(
        "the user center's stylesheet is served",
        r.status_code == 200 and r.headers.get("Content-Type", "").startswith("text/css"),
        f"{r.status_code} {r.headers.get('Content-Type')}",
    )
    r = http.get(dep.url("/health"), verify=dep.ca)
    check(
        "HSTS and X-Request-Id on HTTPS answers",
        "max-age" in r.headers.get("Strict-Transport-Security", "") and r.headers.get("X-Request-Id"),
    )
    r = http.get(args.http_base + "/api/v1/link?x=1", allow_redirects=False)
    check(
        "plain HTTP answers 301 to HTTPS",
        r.status_code == 301 and r.headers.get("Location", "").startswith("https://"),
        f"{r.status_code} {r.headers.get('Location')}",
    )

    # 429 from the token endpoint's limit (10/s, burst 20), with Retry-After.
    def bad_token(_):
        return http.post(
            dep.url("/oauth/token"),
            data={"grant_type": "client_credentials"},
            auth=(partner["client_id"], "wrong"),
            verify=dep.ca,
        )

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(bad_token, range(60)))
    limited = [a for a in answers if a.status_code == 429]
    check(
        "429 with Retry-After past the token endpoint's burst",
        limited and limited[0].headers.get("Retry-After") and limited[0].json().get("error") == "rate_limited",
        str(sorted({a.status_code for a in answers})),
    )
    time.sleep(3)

    if args.record:
        with open(args.record, "w") as f:
            json.dump({"tag": args.tag, "uuids": uuids}, f)
    return FAILED


# ---- mail ----------------------------------------------------------------


def cmd_mail(args):
    """Password reset through nginx; the link arrives through the SMTP relay."""
    dep = Deployment(args)
    s = requests.Session()
    s.verify = dep.ca
    r = s.get(dep.url("/accounts/password_reset/"))
    m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    if not check("password-reset form", r.status_code == 200 and m, str(r.status_code)):
        return FAILED
    r = s.post(
        dep.url("/accounts/password_reset/"),
        data={"csrf_token": m.group(1), "email": args.email},
        allow_redirects=False,
    )
    check("password-reset request accepted", r.status_code in (200, 303), str(r.status_code))
    link = None
    for _ in range(60):
        log = subprocess.run(args.mail_log, shell=True, capture_output=True, text=True).stdout
        # The relay prints each line as a Python bytes literal: b'...'.
        links = [l for l in re.findall(r"https?://[^\s'\"]+", log) if "token=" in l and args.email_token in log]
        if links:
            link = links[-1]
            break
        time.sleep(1)
    if not check("the reset link arrived at the SMTP relay", link, "no mail"):
        return FAILED
    check("the mailed link points at the public URL", link.startswith(dep.base + "/accounts/"), link[:60])
    r = s.get(link)
    check(
        "the mailed link opens the new-password form",
        r.status_code == 200 and 'name="password"' in r.text,
        str(r.status_code),
    )
    return FAILED


# ---- load ----------------------------------------------------------------


class Recorder:
    """Every UUID answered for every person, across all clients."""

    def __init__(self):
        self.lock = threading.Lock()
        self.seen = {}

    def add(self, person, uuid):
        with self.lock:
            self.seen.setdefault(person, set()).add(uuid)


def run_load(dep, clients, args, kill_after=None, kill_cmd=None):
    """`args.clients` threads, each a partner's job sending `args.requests`
    batches of `args.batch` patients from a window of `args.window` new
    persons that all threads share at the same step (each thread a different
    slice of it, together all of it), so the same new hashes arrive
    concurrently through every replica."""
    stats = Stats()
    rec = Recorder()
    errors = []
    tokens = {}
    for c in clients:
        tokens[c["client_id"]] = dep.token(c)

    def job(t):
        client = clients[t % len(clients)]
        code = client["partner"]
        session = requests.Session()
        for step in range(args.requests):
            start = (7 * t + 13 * step) % args.window
            people = [step * args.window + (start + j) % args.window for j in range(args.batch)]
            body = {
                "patients": [
                    {"ref": f"{code}-{args.tag}-{k}", "hashes": person_hashes(args.tag, k)} for k in people
                ]
            }
            try:
                r = post_with_retry(dep, session, "/api/v1/link", body, tokens[client["client_id"]], stats)
            except Exception as e:
                errors.append(f"client {t}: {e!r}")
                return
            if r.status_code != 200:
                errors.append(f"client {t}: {r.status_code} {r.text[:120]}")
                return
            for k, res in zip(people, r.json()["results"]):
                rec.add(k, res["uuid"])

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.clients) as pool:
        futures = [pool.submit(job, t) for t in range(args.clients)]
        if kill_after is not None:
            time.sleep(kill_after)
            out = subprocess.run(kill_cmd, shell=True, capture_output=True, text=True)
            check("a replica was killed under load", out.returncode == 0, out.stderr[-200:])
        for f in futures:
            f.result()
    elapsed = time.monotonic() - started
    return stats, rec, errors, elapsed


def verify_bindings(dep, reader, tag, persons, rec, label):
    """Each person answered one UUID everywhere, and lookup agrees for both of
    its hashes."""
    split = {k: u for k, u in rec.seen.items() if len(u) != 1}
    check(
        f"{label}: every person answered exactly one UUID",
        not split,
        f"{len(split)} persons with several UUIDs",
    )
    check(f"{label}: every person was answered", len(rec.seen) == persons, f"{len(rec.seen)} of {persons}")
    token = dep.token(reader)
    http = requests.Session()
    mismatched = 0
    ks = sorted(rec.seen)
    for i in range(0, len(ks), 1000):
        chunk = ks[i : i + 1000]
        hashes = [h["hash"] for k in chunk for h in person_hashes(tag, k)]
        r = dep.post(http, "/api/v1/lookup", {"hashes": hashes}, token)
        if r.status_code != 200:
            fail(f"{label}: lookup", f"{r.status_code} {r.text[:120]}")
            return
        got = [x["uuid"] for x in r.json()["results"]]
        for j, k in enumerate(chunk):
            want = next(iter(rec.seen[k]))
            if got[2 * j] != want or got[2 * j + 1] != want:
                mismatched += 1
    check(
        f"{label}: lookup finds both hashes of every person bound to that one UUID",
        mismatched == 0,
        f"{mismatched} mismatched",
    )


def cmd_load(args):
    dep = Deployment(args)
    clients = [load_client(p) for p in args.client]
    reader = load_client(args.reader)
    kill_cmd = args.kill_cmd
    stats, rec, errors, elapsed = run_load(
        dep, clients, args, kill_after=args.kill_after if kill_cmd else None, kill_cmd=kill_cmd
    )
    label = args.label
    check(f"{label}: every client finished", not errors, "; ".join(errors[:3]))
    fivexx = stats.count(lambda s: isinstance(s, int) and s >= 500)
    if kill_cmd:
        figure(f"{label}: answers 5xx retried", fivexx)
        figure(f"{label}: network errors retried", stats.count(lambda s: s == "network error"))
    else:
        check(f"{label}: no 5xx", fivexx == 0, str(stats.statuses))
    other = stats.count(lambda s: isinstance(s, int) and 400 <= s < 500 and s != 429)
    check(f"{label}: no 4xx but 429", other == 0, str(stats.statuses))
    persons = args.requests * args.window
    verify_bindings(dep, reader, args.tag, persons, rec, label)
    ok_requests = stats.statuses.get(200, 0)
    lat = sorted(stats.latencies)
    figure(f"{label}: clients", args.clients)
    figure(f"{label}: requests answered 200", ok_requests)
    figure(f"{label}: patients per request", args.batch)
    figure(f"{label}: distinct new persons", persons)
    figure(f"{label}: 429 retried", stats.statuses.get(429, 0))
    figure(f"{label}: wall time s", f"{elapsed:.1f}")
    figure(f"{label}: requests/s", f"{ok_requests / elapsed:.1f}")
    figure(f"{label}: patients/s", f"{ok_requests * args.batch / elapsed:.0f}")
    if lat:
        figure(f"{label}: latency p50 ms", f"{1000 * statistics.median(lat):.0f}")
        figure(f"{label}: latency p95 ms", f"{1000 * lat[int(0.95 * (len(lat) - 1))]:.0f}")
    return FAILED


# ---- rotation ------------------------------------------------------------


def cmd_rotation(args):
    """Tokens issued now (by any auth-server replica) carry the new key, and
    every idmap-server replica accepts them: --replica-hits reads each
    replica's own request counter before and after."""
    dep = Deployment(args)
    client = load_client(args.client)
    kids = set()
    tokens = []
    for _ in range(args.tokens):
        t = dep.token(client)
        tokens.append(t)
        kids.add(jwt.get_unverified_header(t)["kid"])
    check("every new token is signed by the new key", kids == {args.kid}, f"kids {sorted(kids)}, new {args.kid}")
    before = json.loads(subprocess.run(args.replica_hits, shell=True, capture_output=True, text=True).stdout)
    http = requests.Session()
    statuses = {}
    body = {"patients": [{"ref": f"{args.tag}-rot", "hashes": person_hashes(args.tag, "rot")}]}
    for i in range(args.requests):
        r = dep.post(http, "/api/v1/link", body, tokens[i % len(tokens)])
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
    check("new-key tokens pass through nginx", statuses == {200: args.requests}, str(statuses))
    after = json.loads(subprocess.run(args.replica_hits, shell=True, capture_output=True, text=True).stdout)
    served = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    figure("link requests per idmap-server replica after rotation", json.dumps(served))
    check(
        f"every idmap-server replica ({len(served)}) answered new-key tokens with 200",
        len(served) == args.replicas and all(n > 0 for n in served.values()),
        json.dumps(served),
    )
    return FAILED


# ---- verify --------------------------------------------------------------


def cmd_verify(args):
    """The patients of an earlier `basic` run answer the same UUIDs."""
    dep = Deployment(args)
    with open(args.record) as f:
        rec = json.load(f)
    tag, uuids = rec["tag"], rec["uuids"]
    client = load_client(args.client)
    token = dep.token(client)
    http = requests.Session()
    patients = [{"ref": ref, "hashes": person_hashes(tag, int(ref.rsplit("-", 1)[1]))} for ref in uuids]
    r = dep.post(http, "/api/v1/link", {"patients": patients}, token)
    check(
        f"{args.label}: the same patients answer the same UUIDs",
        r.status_code == 200 and {x["ref"]: x["uuid"] for x in r.json()["results"]} == uuids,
        f"{r.status_code} {r.text[:160]}",
    )
    reader = load_client(args.reader)
    r = dep.post(http, "/api/v1/lookup", {"hashes": [p["hashes"][1]["hash"] for p in patients]}, dep.token(reader))
    check(
        f"{args.label}: lookup answers the same UUIDs",
        r.status_code == 200 and [x["uuid"] for x in r.json()["results"]] == list(uuids.values()),
        f"{r.status_code} {r.text[:160]}",
    )
    return FAILED


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--base", required=True)
        sp.add_argument("--ca", required=True)
        sp.add_argument("--tag", default=f"run{os.getpid()}")

    b = sub.add_parser("basic")
    common(b)
    b.add_argument("--http-base", required=True)
    b.add_argument("--client", required=True)
    b.add_argument("--client2", required=True)
    b.add_argument("--reader", required=True)
    b.add_argument("--record")
    m = sub.add_parser("mail")
    common(m)
    m.add_argument("--email", required=True)
    m.add_argument("--email-token", required=True, help="text that marks this test's message")
    m.add_argument("--mail-log", required=True, help="shell command printing the relay's log")
    lo = sub.add_parser("load")
    common(lo)
    lo.add_argument("--client", action="append", required=True)
    lo.add_argument("--reader", required=True)
    lo.add_argument("--label", required=True)
    lo.add_argument("--clients", type=int, default=32)
    lo.add_argument("--requests", type=int, default=20)
    lo.add_argument("--batch", type=int, default=50)
    lo.add_argument("--window", type=int, default=100)
    lo.add_argument("--kill-cmd")
    lo.add_argument("--kill-after", type=float, default=5.0)
    r = sub.add_parser("rotation")
    common(r)
    r.add_argument("--client", required=True)
    r.add_argument("--kid", required=True)
    r.add_argument("--tokens", type=int, default=10)
    r.add_argument("--requests", type=int, default=30)
    r.add_argument("--replicas", type=int, required=True)
    r.add_argument("--replica-hits", required=True, help="shell command printing {replica: count} JSON")
    v = sub.add_parser("verify")
    common(v)
    v.add_argument("--client", required=True)
    v.add_argument("--reader", required=True)
    v.add_argument("--record", required=True)
    v.add_argument("--label", required=True)
    args = p.parse_args()
    failed = {"basic": cmd_basic, "mail": cmd_mail, "load": cmd_load, "rotation": cmd_rotation, "verify": cmd_verify}[
        args.cmd
    ](args)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
