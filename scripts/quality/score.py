"""Pairwise precision and recall of a linkage against the truth.

A record is a (partner, ref). Two records are a true pair when the truth
gives them the same person, a linked pair when the server answered them the
same UUID. A record the CLI did not send (no hash survived) has no UUID and
is in no linked pair. Then:

    precision = |linked and true| / |linked|    (1 when nothing is linked)
    recall    = |linked and true| / |true|      (1 when there is no true pair)
    F1        = harmonic mean of the two

`cross` restricts both sets to pairs of records held by different partners
(what a network exists to find); `within` to pairs inside one partner.
"""

from collections import Counter, defaultdict


def _pairs(n):
    return n * (n - 1) // 2


SCOPES = ("all", "cross", "within")


def score(truth, answers, scope="all"):
    """truth: {(partner, ref): person}; answers: {(partner, ref): uuid}."""
    if scope not in SCOPES:
        raise ValueError(scope)
    linked = [(k, u) for k, u in answers.items() if k in truth]
    true_pairs = _count(truth.items(), scope)
    linked_pairs = _count(linked, scope)
    correct = _count(((k, (u, truth[k])) for k, u in linked), scope)
    p = correct / linked_pairs if linked_pairs else 1.0
    r = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "true_pairs": true_pairs,
            "linked_pairs": linked_pairs, "correct_pairs": correct}


def _count(items, scope):
    """Pairs of records sharing a label, restricted to the scope."""
    groups = defaultdict(list)
    for key, label in items:
        groups[label].append(key)
    total = 0
    for records in groups.values():
        n = len(records)
        if scope == "all":
            total += _pairs(n)
            continue
        within = sum(_pairs(c) for c in Counter(partner for partner, _ in records).values())
        total += within if scope == "within" else _pairs(n) - within
    return total


def merged(truth, answers):
    """The UUIDs answered to records of more than one person (the false
    pairs' groups), largest first: [(uuid, {person: [record, ...]})]."""
    groups = defaultdict(lambda: defaultdict(list))
    for key, uuid in answers.items():
        if key in truth:
            groups[uuid][truth[key]].append(key)
    out = [(u, {p: sorted(ks) for p, ks in people.items()}) for u, people in groups.items() if len(people) > 1]
    out.sort(key=lambda g: (-sum(map(len, g[1].values())), g[0]))
    return out
