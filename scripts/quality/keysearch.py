"""Which match keys a rule set can add before it merges two people.

The benchmark (quality.py) measures a rule set through the real CLI and
server, a few minutes a run; choosing keys needs thousands of runs. This
tool answers the same question offline: it normalizes the scenarios' rows
as the CLI does, forms every key of a space of candidates (first and last
name exact, initial, prefix, Soundex, NYSIIS or Metaphone; birth date
exact, year and month or year; ZIP or city; sex), and simulates the
server's `link` decision (a record takes the UUID of its highest-priority
known hash, or a new one). It then grows a rule set greedily: each step
adds the candidate that finds the most true pairs (FEBRL4 weighted most)
while every scenario keeps its precision at or above the floor, or gains
no false pair. The chosen set is finally re-run through the exact
simulation and scored with score.py.

The simulation is checked against the real runs: on `builtins`,
`recommended` and `wide` it reproduces the figures of the full run in
docs/linkage-quality.md to the fourth decimal. Phonetic codes come from
jellyfish rather than the CLI's crate, so keys using them can differ in
rare names; measure a chosen set with quality.sh before recommending it.

    python keysearch.py                       # search from the default base
    python keysearch.py --rulesets rulesets/recommended.toml  # evaluate only
"""

import argparse
import collections
import csv
import datetime
import itertools
import re
import sys
import tempfile
import tomllib
from pathlib import Path

import jellyfish

import febrl
import population
from score import score

SCENARIOS = ["febrl4", "febrl3-split", "population", "twins", "newborns", "common-names"]
# How much a true pair of each scenario counts in the search.
WEIGHTS = {"febrl4": 3.0, "febrl3-split": 1.0, "population": 1.0, "twins": 1.0,
           "newborns": 0.5, "common-names": 1.0}
# The CLI's default placeholder lists (crates/cli/src/screen.rs).
PLACEHOLDER_FIRST = {
    "unknown", "unk", "unkn", "unknwn", "boy", "girl", "infant", "newborn", "nb", "bb", "bg",
    "noname", "nofirstname", "nfn", "fnu", "none", "null", "na", "test", "testpatient", "patient",
    "anonymous", "anon", "unidentified", "unnamed", "twin", "twina", "twinb", "twinc", "male",
    "female", "xx", "xxx", "xxxx", "zz", "zzz", "zzzz"}
PLACEHOLDER_LAST = {
    "unknown", "unk", "unkn", "unknwn", "noname", "nolastname", "nln", "lnu", "none", "null", "na",
    "test", "testpatient", "patient", "anonymous", "anon", "unidentified", "unnamed", "xx", "xxx",
    "xxxx", "zz", "zzz", "zzzz"}
PLACEHOLDER_DOB = {"1899-12-31", "1900-01-01", "1901-01-01"}
PLACEHOLDER_CITY = {"unknown", "unk", "none", "null", "na", "homeless", "test", "xxx"}
BUILTINS = {
    "F_L_D_S": ["first", "last", "dob", "sex"], "F_L_D_R": ["last", "first", "dob", "race"],
    "F_L_D_Z": ["first", "last", "dob", "zip"], "L_F_D_Z": ["last", "first", "dob", "zip"],
    "F_L_D_C": ["first", "last", "dob", "city"], "L_F_D_C": ["last", "first", "dob", "city"],
}
DEFAULT_BASE = "F_L_D_Z,L_F_D_Z,F_L_D_C,L_F_D_C"


def _text(s):
    return re.sub(r"[^0-9a-z]", "", s.lower()) if s else ""


def _date(s):
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%m/%d/%Y"):
        try:
            d = datetime.datetime.strptime(s.strip(), fmt).date()
        except ValueError:
            continue
        iso = d.isoformat()
        return "" if d.year < 1880 or iso in PLACEHOLDER_DOB else iso
    return ""


def _zip(s):
    z = _text(s)
    return "" if z.startswith(("00000", "99999")) or z in ("11111", "12345") else z[:5]


def normalize(row):
    """A CSV row as the CLI reads it, placeholders screened to empty."""
    first, last, city = _text(row["first"]), _text(row["last"]), _text(row["city"])
    if first in PLACEHOLDER_FIRST or first.startswith(("baby", "trauma")):
        first = ""
    if last in PLACEHOLDER_LAST or last.startswith("baby"):
        last = ""
    sex = row["sex"].strip().upper()
    race = row["race"].strip()
    race = "0" + race if len(race) == 1 else race
    return {"first": first, "last": last, "dob": _date(row["dob"]),
            "sex": sex if sex in ("M", "F", "A") else "",
            "race": race if race in ("01", "02", "03", "04", "05", "06") else "",
            "zip": _zip(row["zip"]), "city": "" if city in PLACEHOLDER_CITY else city}


TRANSFORMS = {
    "": lambda v: v, "soundex": jellyfish.soundex, "nysiis": jellyfish.nysiis,
    "metaphone": jellyfish.metaphone, "year": lambda v: v[:4], "year_month": lambda v: v[:7],
    "initial": lambda v: v[:1],
}


def _apply(transform, value):
    if not value:
        return ""
    if transform.startswith("prefix("):
        return value[:int(transform[len("prefix("):-1])]
    return TRANSFORMS[transform](value)


def key_value(rec, fields):
    """The key's value for a record, or None when the CLI would skip it."""
    out = []
    for entry in fields:
        name, _, transform = entry.partition(":")
        v = _apply(transform, rec[name])
        if not v:
            return None
        out.append(v)
    return tuple(out)


def hashes(rec, rules):
    """What the record sends, in priority order. Built-in rules concatenate
    their fields without a separator or code, so a swapped first and last
    name meets the other built-in's hash; keys carry their code."""
    out = []
    for code, fields in rules:
        v = key_value(rec, fields)
        if v is not None:
            out.append(("", "".join(v)) if code in BUILTINS else (code, v))
    return out


def link(records, rules):
    """The server's `link` decision: {(partner, ref): uuid}."""
    bound, answers = {}, {}
    for partner, ref, rec in records:
        sent = hashes(rec, rules)
        if not sent:
            continue
        uuid = next((bound[h] for h in sent if h in bound), None)
        if uuid is None:
            uuid = len(answers) + 1
        for h in sent:
            bound.setdefault(h, uuid)
        answers[(partner, ref)] = uuid
    return answers


def load(scenario, size, seed, work):
    d = work / scenario
    d.mkdir(parents=True, exist_ok=True)
    if scenario.startswith("febrl"):
        files, truth = febrl.scenario(scenario, d)
    else:
        files, truth = population.generate(scenario, size, seed, d)
    records = []
    for partner, path in files.items():
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                records.append((partner, row["ref"], normalize(row)))
    return records, truth


def candidates():
    """Every key of first x last x birth date x place x sex with three fields or more."""
    first = {"F": "first", "FI": "first:initial", "F2": "first:prefix(2)", "F3": "first:prefix(3)",
             "F4": "first:prefix(4)", "FS": "first:soundex", "FN": "first:nysiis",
             "FM": "first:metaphone", "": None}
    last = {"L": "last", "L3": "last:prefix(3)", "LS": "last:soundex", "LN": "last:nysiis",
            "LM": "last:metaphone", "": None}
    dob = {"D": "dob", "DM": "dob:year_month", "DY": "dob:year", "": None}
    place = {"Z": "zip", "C": "city", "": None}
    sex = {"S": "sex", "": None}
    for parts in itertools.product(first.items(), last.items(), dob.items(), place.items(), sex.items()):
        fields = [f for _, f in parts if f]
        if len(fields) >= 3:
            yield "_".join(c for c, _ in parts if c), fields


class Components:
    """Records joined by the keys chosen so far, with the true and linked
    pair counts, and what adding a key's pairs would change."""

    def __init__(self, people):
        self.parent = list(range(len(people)))
        self.people = {i: collections.Counter([p]) for i, p in enumerate(people)}
        self.size = {i: 1 for i in range(len(people))}
        self.true = self.linked = 0

    def find(self, x):
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a, b):
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        if self.size[a] < self.size[b]:
            a, b = b, a
        pa, pb = self.people[a], self.people.pop(b)
        self.true += sum(n * pa.get(p, 0) for p, n in pb.items())
        self.linked += self.size[a] * self.size[b]
        pa.update(pb)
        self.size[a] += self.size.pop(b)
        self.parent[b] = a

    def gain(self, pairs):
        """(new true pairs, new linked pairs) if these pairs were joined."""
        over = {}

        def root(x):
            while over.get(x, x) != x:
                x = over[x]
            return x
        for a, b in pairs:
            ra, rb = root(self.find(a)), root(self.find(b))
            if ra != rb:
                over[rb] = ra
        groups = collections.defaultdict(list)
        for r in list(over):
            groups[root(r)].append(r)
        true = linked = 0
        for top, members in groups.items():
            people, size = collections.Counter(), 0
            for c in [top, *members]:
                people.update(self.people[c])
                size += self.size[c]
                true -= sum(n * (n - 1) // 2 for n in self.people[c].values())
                linked -= self.size[c] * (self.size[c] - 1) // 2
            true += sum(n * (n - 1) // 2 for n in people.values())
            linked += size * (size - 1) // 2
        return true, linked


def key_pairs(records, fields, max_block):
    """Pairs that connect each block of records sharing the key's value, or
    None when a block is too large to be a key (it would join crowds)."""
    blocks = collections.defaultdict(list)
    for i, (_, _, rec) in enumerate(records):
        v = key_value(rec, fields)
        if v is not None:
            blocks[v].append(i)
    pairs = []
    for members in blocks.values():
        if len(members) > max_block:
            return None
        pairs.extend((members[0], j) for j in members[1:])
    return pairs


def search(data, base, floor, max_block):
    space = {}
    for code, fields in candidates():
        per = {s: key_pairs(data[s][0], fields, max_block) for s in SCENARIOS}
        if all(p is not None for p in per.values()):
            space[code] = (fields, per)
    print(f"{len(space)} candidate keys", file=sys.stderr)
    comps = {s: Components([data[s][1][(p, r)] for p, r, _ in data[s][0]]) for s in SCENARIOS}
    totals = {s: score(data[s][1], {}, "all")["true_pairs"] for s in SCENARIOS}
    chosen = []
    for code in base:
        fields = BUILTINS.get(code) or space[code][0]
        for s in SCENARIOS:
            for a, b in key_pairs(data[s][0], fields, 10**9):
                comps[s].join(a, b)
        chosen.append((code, fields))
    while True:
        best = None
        for code, (fields, per) in space.items():
            if any(code == c for c, _ in chosen):
                continue
            value, ok = 0.0, True
            for s in SCENARIOS:
                true, linked = comps[s].gain(per[s])
                t, n = comps[s].true + true, comps[s].linked + linked
                if s != "febrl3-split" and n and t / n < floor and linked > true:
                    ok = False
                    break
                value += WEIGHTS[s] * true / totals[s]
            if ok and value > 0.002 and (best is None or value > best[0]):
                best = (value, code, fields)
        if best is None:
            return chosen
        _, code, fields = best
        for s in SCENARIOS:
            for a, b in space[code][1][s]:
                comps[s].join(a, b)
        chosen.append((code, fields))
        print(f"+ {code} {' '.join(fields)}", file=sys.stderr)


def ruleset(path):
    t = tomllib.load(open(path, "rb"))
    keys = {k["code"]: [f.replace("zip:prefix(5)", "zip") for f in k["fields"]]
            for k in t["hash"].get("keys", [])}
    return [(c, BUILTINS.get(c) or keys[c]) for c in t["hash"]["rules"]]


def report(name, data, rules):
    for s in SCENARIOS:
        records, truth = data[s]
        answers = link(records, rules)
        a, c = score(truth, answers, "all"), score(truth, answers, "cross")
        print(f"| {s} | {name} | {a['precision']:.4f} | {a['recall']:.4f} "
              f"| {c['precision']:.4f} | {c['recall']:.4f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=6000, help="people per generated scenario")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--base", default=DEFAULT_BASE, help="rule codes the search starts from")
    ap.add_argument("--floor", type=float, default=0.999, help="precision each scenario keeps")
    ap.add_argument("--max-block", type=int, default=60,
                    help="largest group of records one key value may join")
    ap.add_argument("--rulesets", nargs="*", help="only evaluate these rule set files")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        data = {s: load(s, args.size, args.seed, Path(work)) for s in SCENARIOS}
    print("| scenario | rules | P | R | cross P | cross R |\n| --- | --- | --- | --- | --- | --- |")
    if args.rulesets:
        for path in args.rulesets:
            report(Path(path).stem, data, ruleset(path))
        return
    chosen = search(data, args.base.split(","), args.floor, args.max_block)
    print("chosen: " + ", ".join(f"{c} ({' '.join(f)})" for c, f in chosen), file=sys.stderr)
    report("searched", data, chosen)


if __name__ == "__main__":
    main()
