"""Seeded generator of realistic patient populations spread over partners.

Every person has a true identity (names, sex, birth date, race, address) and
a history (a move, a name change at marriage); each visit to a partner
creates a record from the identity at some point of that history, with the
errors of real registration desks: typos, spelling variants, nicknames,
first and last name swapped, birth-date slips (day and month swapped, a
wrong digit that may leave an impossible date), missing fields, ZIP+4 at
some partners. A partner sometimes holds two records of one person
(duplicate registration). Scenarios add the people that break naive keys:
twins and triplets (same-sex twins share last name, birth date, address and
sex, and differ by first name), newborns registered under placeholder
names, and different people sharing common names and birth dates.

The output of a scenario is one CSV per partner in the layout the CLI reads
(ref, first, last, dob, sex, race, zip, city) and the truth: the person
behind every (partner, ref). Same seed, same files.
"""

import csv
import datetime
import random
from dataclasses import dataclass, field, replace

from faker import Faker
from faker.providers.address.en_US import Provider as AddressProvider
from faker.providers.person.en_US import Provider as PersonProvider

PARTNERS = ["P1", "P2", "P3", "P4"]
# Relative sizes: the first is a large hospital.
PARTNER_WEIGHTS = [0.4, 0.25, 0.2, 0.15]
# How each partner exports birth dates (the CLI reads all of them).
DATE_FORMATS = {"P1": "%Y-%m-%d", "P2": "%m/%d/%Y", "P3": "%Y%m%d", "P4": "%Y-%m-%d"}
# Share of a partner's records with ZIP+4 instead of five digits.
ZIP4_SHARE = {"P1": 0.0, "P2": 0.3, "P3": 0.0, "P4": 0.1}

NICKNAMES = {
    "William": ["Bill", "Will", "Billy"], "Robert": ["Bob", "Rob", "Bobby"],
    "Richard": ["Rick", "Rich"], "James": ["Jim", "Jimmy"], "John": ["Jack", "Johnny"],
    "Michael": ["Mike"], "Elizabeth": ["Liz", "Beth", "Betty"], "Katherine": ["Kate", "Katie"],
    "Catherine": ["Cathy", "Kate"], "Margaret": ["Maggie", "Peggy"], "Jennifer": ["Jen", "Jenny"],
    "Christopher": ["Chris"], "Joseph": ["Joe"], "Thomas": ["Tom"], "Daniel": ["Dan", "Danny"],
    "Anthony": ["Tony"], "Matthew": ["Matt"], "Steven": ["Steve"], "Stephen": ["Steve"],
    "Edward": ["Ed", "Eddie"], "Patricia": ["Pat", "Patty"], "Susan": ["Sue"],
    "Deborah": ["Debbie"], "Rebecca": ["Becky"], "Samantha": ["Sam"], "Alexander": ["Alex"],
    "Benjamin": ["Ben"], "Nicholas": ["Nick"], "Jonathan": ["Jon"], "Andrew": ["Andy"],
    "Timothy": ["Tim"], "Kimberly": ["Kim"], "Jessica": ["Jess"], "Victoria": ["Vicky"],
    "Jacob": ["Jake"], "Zachary": ["Zach"], "Gregory": ["Greg"], "Kenneth": ["Ken"],
    "Ronald": ["Ron"], "Donald": ["Don"], "Douglas": ["Doug"], "Gerald": ["Jerry"],
    "Lawrence": ["Larry"], "Raymond": ["Ray"], "Samuel": ["Sam"], "Abigail": ["Abby"],
    "Christina": ["Tina"], "Melissa": ["Missy"], "Pamela": ["Pam"], "Cynthia": ["Cindy"],
}
# Spelling variants a clerk may write for what they hear.
VARIANTS = [("ph", "f"), ("y", "i"), ("i", "y"), ("c", "k"), ("k", "c"), ("ll", "l"),
            ("tt", "t"), ("ey", "y"), ("ie", "y"), ("ck", "k"), ("th", "t"), ("s", "z")]
NEWBORN_NAMES = {"M": ["BABY BOY", "BABY BOY", "BB", "INFANT"], "F": ["BABY GIRL", "BABY GIRL", "BG", "INFANT"]}


@dataclass
class Rates:
    """Per-record error and life-event rates (defaults: realistic registration data)."""
    typo_first: float = 0.03
    typo_last: float = 0.03
    variant: float = 0.02
    nickname: float = 0.03
    swap_names: float = 0.01
    dob_error: float = 0.02
    missing_zip: float = 0.04
    missing_city: float = 0.04
    missing_first: float = 0.005
    missing_dob: float = 0.005
    missing_sex: float = 0.01
    unknown_sex: float = 0.01
    missing_race: float = 0.2
    refused_race: float = 0.05
    moved: float = 0.15
    married_name: float = 0.10
    within_partner_duplicate: float = 0.05


@dataclass
class Identity:
    first: str
    last: str
    sex: str
    dob: datetime.date
    race: str
    zip: str
    city: str


@dataclass
class Person:
    pid: str
    states: list  # identities over time, oldest first
    partners: list = field(default_factory=list)


class Generator:
    def __init__(self, seed, rates=None):
        self.rng = random.Random(seed)
        self.rates = rates or Rates()
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.female = _weighted(PersonProvider.first_names_female)
        self.male = _weighted(PersonProvider.first_names_male)
        self.last = _weighted(PersonProvider.last_names)
        low, high = AddressProvider.states_postcode["FL"]
        cities = sorted({fake.city() for _ in range(60)})[:40]
        zips = self.rng.sample(range(low, high), 3 * len(cities))
        self.places = [(f"{z:05d}", c) for i, c in enumerate(cities)
                       for z in zips[3 * i:3 * i + 1 + self.rng.randrange(3)]]
        self.serial = 0

    # ---- identities -------------------------------------------------
    def first_name(self, sex, names=None):
        names = names or (self.female if sex == "F" else self.male)
        return names.pick(self.rng)

    def identity(self, born_from=1935, born_to=2015, sex=None, last=None, place=None):
        sex = sex or self.rng.choice("FM")
        start = datetime.date(born_from, 1, 1).toordinal()
        end = datetime.date(born_to, 12, 31).toordinal()
        zip_, city = place or self.rng.choice(self.places)
        return Identity(
            first=self.first_name(sex), last=last or self.last.pick(self.rng), sex=sex,
            dob=datetime.date.fromordinal(self.rng.randint(start, end)),
            race=f"0{self.rng.randint(1, 6)}", zip=zip_, city=city)

    def person(self, identity):
        self.serial += 1
        states = [identity]
        r = self.rng
        if r.random() < self.rates.moved:
            zip_, city = r.choice(self.places)
            states.append(replace(states[-1], zip=zip_, city=city))
        if identity.sex == "F" and identity.dob.year < 2000 and r.random() < self.rates.married_name:
            states.append(replace(states[-1], last=self.last.pick(r)))
        return Person(pid=f"E{self.serial:07d}", states=states)

    def visits(self, person, at=None):
        """Partners a person is seen at (at least `at` when given)."""
        r = self.rng
        n = r.choices([1, 2, 3, 4], weights=[50, 30, 15, 5])[0]
        chosen = [at] if at else []
        while len(chosen) < n:
            p = r.choices(PARTNERS, weights=PARTNER_WEIGHTS)[0]
            if p not in chosen:
                chosen.append(p)
        person.partners = chosen
        return person

    # ---- records ------------------------------------------------------
    def record(self, person, partner, state=None):
        r, rates = self.rng, self.rates
        s = state or r.choice(person.states)
        first, last = s.first, s.last
        if r.random() < rates.nickname and first in NICKNAMES:
            first = r.choice(NICKNAMES[first])
        if r.random() < rates.variant:
            first, last = (_variant(r, first), last) if r.random() < 0.5 else (first, _variant(r, last))
        if r.random() < rates.typo_first:
            first = _typo(r, first)
        if r.random() < rates.typo_last:
            last = _typo(r, last)
        if r.random() < rates.swap_names:
            first, last = last, first
        dob = s.dob.strftime(DATE_FORMATS[partner])
        if r.random() < rates.dob_error:
            dob = _dob_error(r, s.dob).strftime(DATE_FORMATS[partner]) if r.random() < 0.7 \
                else _digit_slip(r, s.dob)
        zip_ = s.zip
        if r.random() < ZIP4_SHARE[partner]:
            zip_ = f"{zip_}-{r.randint(1, 9999):04d}"
        sex = s.sex
        if r.random() < rates.missing_sex:
            sex = ""
        elif r.random() < rates.unknown_sex:
            sex = "U"
        race = s.race
        if r.random() < rates.missing_race:
            race = ""
        elif r.random() < rates.refused_race:
            race = "UN"
        return {
            "first": "" if r.random() < rates.missing_first else first,
            "last": last,
            "dob": "" if r.random() < rates.missing_dob else dob,
            "sex": sex, "race": race,
            "zip": "" if r.random() < rates.missing_zip else zip_,
            "city": "" if r.random() < rates.missing_city else s.city,
        }

    def records(self, person):
        out = []
        for partner in person.partners:
            out.append((partner, self.record(person, partner)))
            if self.rng.random() < self.rates.within_partner_duplicate:
                out.append((partner, self.record(person, partner)))
        return out


class _weighted:
    def __init__(self, table):
        self.names = list(table.keys())
        total, self.cum = 0.0, []
        for w in table.values():
            total += w
            self.cum.append(total)

    def pick(self, rng):
        return rng.choices(self.names, cum_weights=self.cum)[0]

    def top(self, n):
        """The n most frequent names, equally likely."""
        ranked = sorted(zip(self.names, self.cum, [0.0] + self.cum[:-1]), key=lambda t: t[2] - t[1])
        chosen = [name for name, _, _ in ranked[:n]]
        return _weighted({name: 1.0 for name in chosen})


def _typo(r, s):
    if len(s) < 2:
        return s
    i = r.randrange(1, len(s)) if r.random() < 0.9 else 0
    kind = r.choice(["sub", "del", "ins", "swap"])
    letter = r.choice("abcdefghijklmnopqrstuvwxyz")
    if kind == "sub":
        return s[:i] + letter + s[i + 1:]
    if kind == "del":
        return s[:i] + s[i + 1:]
    if kind == "ins":
        return s[:i] + letter + s[i:]
    i = min(i, len(s) - 2)
    return s[:i] + s[i + 1] + s[i] + s[i + 2:]


def _variant(r, s):
    low = s.lower()
    options = [(a, b) for a, b in VARIANTS if a in low]
    if not options:
        return s
    a, b = r.choice(options)
    out = low.replace(a, b, 1)
    return out[0].upper() + out[1:]


def _dob_error(r, d):
    kind = r.choice(["swap", "year", "day"])
    try:
        if kind == "swap" and d.day <= 12 and d.day != d.month:
            return d.replace(month=d.day, day=d.month)
        if kind == "year":
            return d.replace(year=d.year + r.choice([-1, 1]))
        return d + datetime.timedelta(days=r.choice([-1, 1]))
    except ValueError:
        return d + datetime.timedelta(days=1)


def _digit_slip(r, d):
    """One wrong digit of YYYYMMDD, which may give an impossible date."""
    digits = list(d.strftime("%Y%m%d"))
    i = r.randrange(4, 8)
    digits[i] = str((int(digits[i]) + r.randint(1, 9)) % 10)
    return "".join(digits)


# ---- scenarios ----------------------------------------------------------

def general(g, n):
    """A regional population: one person in 30 is a twin, as in births."""
    people = []
    while len(people) < n:
        if g.rng.random() < 1 / 60:
            people.extend(multiples(g, 2, at=None))
        else:
            people.append(g.visits(g.person(g.identity())))
    return people


def multiples(g, k, at="P1", born_from=1950, born_to=2020):
    """k children of one birth: same last name, birth date, address, race;
    same sex for two thirds of twins; first names differ (one in four
    sharing the initial, as parents often choose)."""
    base = g.identity(born_from=born_from, born_to=born_to)
    same_sex = k == 2 and g.rng.random() < 2 / 3
    names, people = [], []
    for _ in range(k):
        sex = base.sex if same_sex else g.rng.choice("FM")
        while True:
            first = g.first_name(sex)
            if first in names:
                continue
            if names and g.rng.random() < 0.25 and first[0] != names[0][0]:
                continue
            break
        names.append(first)
        people.append(g.visits(g.person(replace(base, first=first, sex=sex)), at=at))
    return people


def twins(g, n):
    """Half the people are twins or triplets born at P1; the rest singletons."""
    people = []
    while len(people) < n:
        if g.rng.random() < 0.5:
            people.extend(multiples(g, 3 if g.rng.random() < 0.1 else 2))
        else:
            people.append(g.visits(g.person(g.identity())))
    return people


def newborns(g, n, days=60):
    """Babies born at P1 within `days`, registered there under placeholder
    first names (BABY BOY, BG, ..., BABY A and BABY B for twins) and the
    mother's last name; most are seen later elsewhere under their real first
    name, some under another last name, and some get a second P1 record
    once named. Twins are one birth in twenty."""
    today = datetime.date(2026, 6, 1)
    out = []  # (person, [(partner, record)])
    while len(out) < n:
        born = today - datetime.timedelta(days=g.rng.randrange(days))
        k = 2 if g.rng.random() < 0.05 else 1
        base = g.identity(born_from=born.year, born_to=born.year)
        base = replace(base, dob=born)
        names = []
        for i in range(k):
            sex = base.sex if k == 2 and g.rng.random() < 2 / 3 else g.rng.choice("FM")
            first = g.first_name(sex)
            while first in names:
                first = g.first_name(sex)
            names.append(first)
            person = g.person(replace(base, first=first, sex=sex))
            placeholder = f"BABY {'AB'[i]}" if k == 2 and g.rng.random() < 0.5 else g.rng.choice(NEWBORN_NAMES[sex])
            at_birth = g.record(person, "P1", state=person.states[0])
            at_birth["first"] = placeholder
            recs = [("P1", at_birth)]
            if g.rng.random() < 0.1:
                recs.append(("P1", g.record(person, "P1", state=person.states[0])))
            if g.rng.random() < 0.7:
                later = person.states[0]
                if g.rng.random() < 0.2:
                    later = replace(later, last=g.last.pick(g.rng))
                partner = g.rng.choice(PARTNERS[1:])
                recs.append((partner, g.record(person, partner, state=later)))
            out.append((person, recs))
    return out


def common_names(g, n, namesakes=0.02):
    """A dense metro where first and last names come from the 30 and 20
    most frequent and births from 1950 to 2005, and one person in fifty has
    a namesake: another person with the same first and last name, sex and
    birth date, living anywhere in the region. One in fifty is the rate of
    the most common US names (James Smith, Maria Garcia) in a network of
    five million patients: about 38,000 James Smiths over 29,000 birth dates
    of the country, a fifteenth of them in such a network."""
    g.female, g.male, g.last = g.female.top(30), g.male.top(30), g.last.top(20)
    people = []
    while len(people) < n:
        base = g.identity(born_from=1950, born_to=2005)
        people.append(g.visits(g.person(base)))
        if g.rng.random() < namesakes:
            other = replace(g.identity(), first=base.first, last=base.last, sex=base.sex, dob=base.dob)
            people.append(g.visits(g.person(other)))
    return people


SCENARIOS = {
    "population": general,
    "twins": twins,
    "newborns": newborns,
    "common-names": common_names,
}


def generate(name, n, seed, out_dir):
    """Writes one CSV per partner under out_dir; returns ({partner: path}, truth)."""
    g = Generator(seed)
    made = SCENARIOS[name](g, n)
    if name == "newborns":
        pairs = [(p, rec) for p, recs in made for rec in recs]
    else:
        pairs = [(p, rec) for p in made for rec in g.records(p)]
    by_partner = {}
    for person, (partner, rec) in pairs:
        by_partner.setdefault(partner, []).append((person.pid, rec))
    files, truth = {}, {}
    for partner in PARTNERS:
        rows = by_partner.get(partner, [])
        g.rng.shuffle(rows)
        path = out_dir / f"{partner}.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["ref", "first", "last", "dob", "sex", "race", "zip", "city"])
            for i, (pid, rec) in enumerate(rows):
                ref = f"{partner}-{i + 1:07d}"
                truth[(partner, ref)] = pid
                w.writerow([ref, rec["first"], rec["last"], rec["dob"], rec["sex"], rec["race"],
                            rec["zip"], rec["city"]])
        files[partner] = path
    return files, truth
