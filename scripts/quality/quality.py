"""Linkage-quality benchmark driver (run it through scripts/quality.sh).

For every scenario, rule set and within-partner policy: a fresh
idmap-server on a fresh SQLite database, the rule set's keys registered
through the admin API, every partner's file linked with the real `idmap run`
(partner after partner, as cron jobs would), the answers scored against the
truth (see score.py for the definitions). One auth-server serves all runs.
Prints one table; `--json` keeps every figure, `--check` compares them with
floors and exits 1 below any.
"""

import argparse
import base64
import csv
import json
import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import febrl
import population
from score import merged, score

HERE = Path(__file__).resolve().parent
SALT = "quality-benchmark-salt-not-a-secret"
POLICIES = ["ambiguous", "separate", "link", "evidence"]
GENERATED = list(population.SCENARIOS)
FEBRL = ["febrl4", "febrl3-split", "febrl3-one"]


def log(msg):
    print(f"[quality] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, token=None, basic=None, form=None):
    data, headers = None, {}
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = "&".join(f"{k}={v}" for k, v in form.items()).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_ready(url, proc, log_path):
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(f"server exited; see {log_path}:\n{Path(log_path).read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"timed out waiting for {url}")


class Service:
    def __init__(self, argv, env, log_path, ready):
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_ready(ready, self.proc, log_path)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Network:
    """auth-server with the partners' and the admin's clients."""

    def __init__(self, bins, work, partners):
        self.bins, self.work = bins, work
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ, AUTH_LISTEN=f"127.0.0.1:{port}", AUTH_ISSUER=self.url,
                        AUTH_DATABASE_URL=f"sqlite://{work}/auth.db",
                        AUTH_SIGNING_KEY_DIR=str(work / "keys"), AUTH_RATE_LIMIT_ENABLED="false",
                        RUST_LOG="warn")
        self.auth = Service([bins["auth-server"], "serve"], self.env, work / "auth.log",
                            f"{self.url}/health/ready")
        self.clients = {}
        for p in partners:
            self.admin_cli("partner", "add", p, "--name", f"Partner {p}")
            self.clients[p] = self.admin_cli("client", "add", "--partner", p, "--scope", "idmap:link")
        self.admin = self.admin_cli("client", "add", "--scope", "idmap:admin")

    def admin_cli(self, *args):
        out = subprocess.run([self.bins["auth-server"], "admin", *args], env=self.env, check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out) if out.strip().startswith("{") else None

    def token(self, client):
        status, body = http("POST", f"{self.url}/oauth/token", basic=(client["client_id"], client["client_secret"]),
                            form={"grant_type": "client_credentials"})
        if status != 200:
            raise SystemExit(f"token request failed: {status} {body}")
        return body["access_token"]

    def stop(self):
        self.auth.stop()


def start_idmap(bins, net, run_dir, policy, server_env=()):
    port = free_port()
    env = dict(os.environ, IDMAP_LISTEN=f"127.0.0.1:{port}",
               IDMAP_DATABASE_URL=f"sqlite://{run_dir}/idmap.db", IDMAP_ISSUER=net.url,
               RUST_LOG="warn")
    env.update(server_env)
    if policy:
        env["IDMAP_SAME_PARTNER_POLICY"] = policy
    url = f"http://127.0.0.1:{port}"
    return url, Service([bins["idmap-server"], "serve"], env, run_dir / "idmap.log", f"{url}/health/ready")


def server_config(url, token):
    """The server's linkage settings, or None for a server without policies."""
    status, body = http("GET", f"{url}/api/v1/admin/config", token=token)
    return body if status == 200 else None


def register_rules(bins, url, token, ruleset, with_priority, weights=None):
    """Registers the rule set's keys as an admin would (`idmap rules --json`
    prints the bodies); with `weights` ({code: (m, u)}) sets them too, on
    the built-in rules through PATCH."""
    lines = subprocess.run([bins["idmap"], "--config", str(ruleset), "rules", "--json"], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    keys = set()
    for i, line in enumerate(lines):
        body = json.loads(line)
        keys.add(body["code"])
        if with_priority:
            # After the six built-ins (10 to 60), in the CLI's order.
            body["priority"] = 100 + 10 * i
        if weights and body["code"] in weights:
            body["m"], body["u"] = weights[body["code"]]
        status, answer = http("POST", f"{url}/api/v1/admin/rules", body=body, token=token)
        if status != 201:
            raise SystemExit(f"registering {body['code']}: {status} {answer}")
    for code, (m, u) in (weights or {}).items():
        if code not in keys:
            status, answer = http("PATCH", f"{url}/api/v1/admin/rules/{code}", body={"m": m, "u": u}, token=token)
            if status != 200:
                raise SystemExit(f"setting the weights of {code}: {status} {answer}")


def estimate_weights(url, token):
    """EM estimate over the comparisons the server counted: {code: (m, u)}."""
    status, body = http("POST", f"{url}/api/v1/admin/rules/estimate",
                        body={"apply": False, "min_comparisons": 1}, token=token)
    if status != 200:
        raise SystemExit(f"estimating weights: {status} {body}")
    # A rule whose estimate is no evidence (u >= m) stays without weights.
    return {r["code"]: (r["m"], r["u"]) for r in body["rules"]
            if r.get("m") is not None and r["m"] > r["u"]}


def link_partner(bins, net, url, partner, data, ruleset, out):
    client = net.clients[partner]
    env = dict(os.environ, IDMAP_SALT=SALT, IDMAP_CLIENT_SECRET=client["client_secret"])
    proc = subprocess.run(
        [bins["idmap"], "--config", str(ruleset), "run", str(data), "-o", str(out),
         "--url", url, "--issuer", net.url, "--client-id", client["client_id"], "--batch-size", "1000"],
        env=env, capture_output=True, text=True)
    if proc.returncode not in (0, 2):  # 2: some rows had no hash and were not sent
        raise SystemExit(f"idmap run for {partner} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    answers = {}
    with open(out, encoding="utf-8") as f:
        next(f)
        for line in f:
            ref, uuid = line.rstrip("\n").rsplit(",", 1)
            answers[(partner, ref.strip('"'))] = uuid
    screened = [l.split(": ", 1)[1] for l in proc.stderr.splitlines() if "placeholders screened" in l]
    return answers, screened


def prepare(name, size, seed, data_dir):
    d = data_dir / name
    d.mkdir(parents=True, exist_ok=True)
    if name in FEBRL:
        return febrl.scenario(name, d)
    return population.generate(name, size, seed, d)


def link_all(bins, net, files, ruleset, policy, run_dir, server_env, weights=None):
    """A fresh registry linking every partner's file; returns the answers,
    the screening notes and, after a counting run, the EM weights."""
    run_dir.mkdir(parents=True, exist_ok=True)
    url, server = start_idmap(bins, net, run_dir, policy, server_env)
    try:
        admin = net.token(net.admin)
        config = server_config(url, admin)
        if policy and (config is None or config.get("same_partner_policy") != policy):
            raise SystemExit(f"the server did not take IDMAP_SAME_PARTNER_POLICY={policy}: {config}")
        register_rules(bins, url, admin, ruleset, with_priority=config is not None, weights=weights)
        answers, screened = {}, []
        started = time.monotonic()
        for partner, data in files.items():
            got, note = link_partner(bins, net, url, partner, data, ruleset, run_dir / f"{partner}.out.csv")
            answers.update(got)
            screened += note
        elapsed = time.monotonic() - started
        estimated = estimate_weights(url, admin) if weights is None and config is not None else None
    finally:
        server.stop()
    return answers, screened, elapsed, estimated


def one_run(bins, net, scenario, files, truth, ruleset, policy, em, run_dir, server_env, false_pairs=0):
    """One measured run; with `em`, a counting run first whose EM estimate
    weights every rule of the measured run (on a fresh registry). With
    `false_pairs`, keeps that many of the UUIDs answered to several people,
    the records' fields included, to see which keys merged them."""
    weights = None
    if em:
        _, _, _, weights = link_all(bins, net, files, ruleset, policy, run_dir / "count", server_env)
    answers, screened, elapsed, _ = link_all(bins, net, files, ruleset, policy, run_dir, server_env,
                                             weights or {})
    # A registry takes tens of megabytes; a full run has a hundred of them.
    for db in run_dir.rglob("idmap.db*"):
        db.unlink()
    result = {"scenario": scenario, "rules": ruleset.stem, "policy": (policy or "today") + ("+em" if em else ""),
              "records": len(truth), "not_sent": len(truth) - len(answers), "seconds": round(elapsed, 1),
              "screened": screened, "weights": weights}
    for scope in ("all", "cross"):
        result[scope] = score(truth, answers, scope)
    if false_pairs:
        rows = records(files)
        result["merged"] = [{person: [[*k, *rows[k]] for k in keys] for person, keys in people.items()}
                            for _, people in merged(truth, answers)[:false_pairs]]
    return result


def records(files):
    """{(partner, ref): [the row's other cells]} of every partner's file."""
    out = {}
    for partner, path in files.items():
        with open(path, newline="", encoding="utf-8") as f:
            rows = csv.reader(f)
            next(rows)
            for row in rows:
                out[(partner, row[0])] = row[1:]
    return out


def fmt_row(r):
    a, c = r["all"], r["cross"]
    cross = f"{c['precision']:.4f}  {c['recall']:.4f}" if c["true_pairs"] else "     -        -"
    return (f"{r['scenario']:13} {r['rules']:12} {r['policy']:12} {a['precision']:.4f}  {a['recall']:.4f}  "
            f"{a['f1']:.4f}  {cross}  {a['true_pairs']:7d} {r['not_sent']:6d} {r['seconds']:6.1f}")


def table(results):
    head = (f"{'scenario':13} {'rules':12} {'policy':12} {'P':6}  {'R':6}  {'F1':6}  "
            f"{'cross P':7} {'cross R':7} {'pairs':>7} {'unsent':>6} {'secs':>6}")
    return "\n".join([head, "-" * len(head)] + [fmt_row(r) for r in results])


def markdown(results):
    """The table of docs/linkage-quality.md."""
    out = ["| scenario | rules | policy | P | R | F1 | cross P | cross R | true pairs | not sent |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        a, c = r["all"], r["cross"]
        cross = f"{c['precision']:.4f} | {c['recall']:.4f}" if c["true_pairs"] else "- | -"
        out.append(f"| {r['scenario']} | {r['rules']} | {r['policy']} | {a['precision']:.4f} | "
                   f"{a['recall']:.4f} | {a['f1']:.4f} | {cross} | {a['true_pairs']} | {r['not_sent']} |")
    return "\n".join(out)


def check(results, floors):
    failures = []
    for f in floors:
        for r in results:
            if r["scenario"] != f["scenario"] or r["rules"] != f["rules"]:
                continue
            if f.get("policy", "*") not in ("*", r["policy"]):
                continue
            s = r[f.get("scope", "all")]
            for what in ("precision", "recall"):
                floor = f.get(f"min_{what}")
                if floor is not None and s[what] < floor:
                    failures.append(f"{r['scenario']} / {r['rules']} / {r['policy']}: "
                                    f"{f.get('scope', 'all')} {what} {s[what]:.4f} < floor {floor}")
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bin-dir", required=True, type=Path)
    ap.add_argument("--idmap-server", type=Path, help="idmap-server binary (default: the one in --bin-dir)")
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--scenarios", default=",".join(FEBRL + GENERATED))
    ap.add_argument("--rulesets", default="builtins,recommended",
                    help="names under scripts/quality/rulesets/, or paths of .toml files")
    ap.add_argument("--policies", default="auto",
                    help="comma-separated IDMAP_SAME_PARTNER_POLICY values; auto: every policy the server has")
    ap.add_argument("--weights", default="auto", choices=["auto", "none", "em"],
                    help="em: weight every rule from a counting run's EM estimate; "
                         "auto: only for the evidence policy, which needs weights")
    ap.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                    help="a setting for idmap-server, e.g. IDMAP_LINK_THRESHOLD=4 (repeatable)")
    ap.add_argument("--size", type=int, default=6000, help="people per generated scenario")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--markdown", type=Path, help="write the table as Markdown")
    ap.add_argument("--check", type=Path, help="floors file; exit 1 when a figure is below its floor")
    ap.add_argument("--false-pairs", type=int, default=0, metavar="N",
                    help="print up to N UUIDs per run that were answered to several people, with their records")
    args = ap.parse_args()

    server_env = dict(kv.split("=", 1) for kv in args.server_env)
    bins = {b: str(args.bin_dir / b) for b in ("idmap", "auth-server", "idmap-server")}
    if args.idmap_server:
        bins["idmap-server"] = str(args.idmap_server)
    scenarios = [s for s in args.scenarios.split(",") if s]
    for s in scenarios:
        if s not in FEBRL + GENERATED:
            raise SystemExit(f"unknown scenario {s}; known: {', '.join(FEBRL + GENERATED)}")
    rulesets = [Path(r) if r.endswith(".toml") else HERE / "rulesets" / f"{r}.toml"
                for r in args.rulesets.split(",") if r]
    for r in rulesets:
        tomllib.loads(r.read_text())  # fail early on a broken file

    args.work.mkdir(parents=True, exist_ok=True)
    net = Network(bins, args.work, population.PARTNERS)
    try:
        policies = args.policies.split(",")
        if args.policies == "auto":
            probe_dir = args.work / "probe"
            probe_dir.mkdir(exist_ok=True)
            url, probe = start_idmap(bins, net, probe_dir, None)
            try:
                has_policies = server_config(url, net.token(net.admin)) is not None
            finally:
                probe.stop()
            policies = POLICIES if has_policies else [None]
            log("server with same-partner policies" if has_policies
                else "server without same-partner policies: one run per rule set (its fixed behaviour)")
        results = []
        for scenario in scenarios:
            files, truth = prepare(scenario, args.size, args.seed, args.work / "data")
            log(f"{scenario}: {len(truth)} records at {len(files)} partners")
            for ruleset in rulesets:
                for policy in policies:
                    em = policy is not None and (args.weights == "em" or (
                        args.weights == "auto" and policy == "evidence"))
                    run_dir = args.work / "runs" / f"{scenario}-{ruleset.stem}-{policy or 'today'}"
                    r = one_run(bins, net, scenario, files, truth, ruleset, policy, em, run_dir, server_env,
                                args.false_pairs)
                    log(fmt_row(r))
                    for group in r.get("merged", []):
                        log("  merged: " + " | ".join(f"{person}: " + "; ".join(" ".join(rec) for rec in recs)
                                                      for person, recs in group.items()))
                    results.append(r)
    finally:
        net.stop()
    print(table(results))
    if args.json:
        args.json.write_text("\n".join(json.dumps(r) for r in results) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(results) + "\n")
    if args.check:
        failures = check(results, json.loads(args.check.read_text())["floors"])
        for f in failures:
            print(f"BELOW FLOOR: {f}")
        if failures:
            sys.exit(1)
        print("every figure is at or above its floor")


if __name__ == "__main__":
    main()
