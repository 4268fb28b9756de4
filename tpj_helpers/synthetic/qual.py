"""Synthetic qualitative material (contract section 6): transcripts, codebook and coded segments.

`make_qual(out, seed)` writes `out/qual/interviews/*.md`, `out/qual/codebook.yaml` and
`out/qual/segments.csv`. Transcripts are composed from the hand-written Danish turns in
`qual_turns.yaml` (none of them a real quote), varied by seed:

- 10 participants (`kursist`), 10 coordinators (`koordinator`), 4 instructors (`instruktoer`);
- for each deep-dive municipality a focus group (`fokusgruppe`: the coordinator and two or three
  caseworkers) and a leader interview (`leder`), with `deep_dive: true` and `kommune` set.

Speakers are `I:` (interviewer) and `R:` (respondent); in focus groups `K:` (coordinator) and
`S1:`, `S2:`, ... (caseworkers). Every respondent turn that carries a theme is a coded segment.
Participants, coordinators and leaders also get one persona rating per axis
(`persona/<naerhed|relevans|udbytte>/<1-5>`) on the turn that expresses it. The raw transcripts
hold invented identifying details (names, streets, phone numbers, employers, ages) on purpose.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import numpy as np
import yaml

DEEP_DIVE = ("Aalborg", "Frederikshavn", "Stevns", "Viborg")
OTHER_MUNICIPALITIES = (
    "Aarhus",
    "Odense",
    "Esbjerg",
    "Randers",
    "Horsens",
    "Silkeborg",
    "Holbæk",
    "Slagelse",
    "Næstved",
    "Hjørring",
    "Guldborgsund",
    "Herning",
    "Svendborg",
    "Køge",
)
COUNTS = {"kursist": 10, "koordinator": 10, "instruktoer": 4}
PERSONA_ROLES = ("kursist", "koordinator", "leder")
AXES = ("naerhed", "relevans", "udbytte")
# Probability of a rating 1..5 per role and axis, after the personas of the published evaluation:
# the coordinator close to the project and positive, the leader at a distance, participants spread.
RATINGS = {
    "kursist": {
        "naerhed": [0.05, 0.15, 0.30, 0.30, 0.20],
        "relevans": [0.05, 0.10, 0.25, 0.35, 0.25],
        "udbytte": [0.05, 0.15, 0.30, 0.30, 0.20],
    },
    "koordinator": {
        "naerhed": [0, 0, 0.10, 0.40, 0.50],
        "relevans": [0, 0, 0.15, 0.45, 0.40],
        "udbytte": [0, 0, 0.30, 0.50, 0.20],
    },
    "leder": {
        "naerhed": [0.20, 0.50, 0.30, 0, 0],
        "relevans": [0, 0, 0.30, 0.50, 0.20],
        "udbytte": [0, 0.15, 0.55, 0.30, 0],
    },
}
FIRST_NAMES = (
    "Mette",
    "Lars",
    "Hanne",
    "Jesper",
    "Camilla",
    "Søren",
    "Tina",
    "Morten",
    "Louise",
    "Henrik",
    "Rikke",
    "Thomas",
    "Dorthe",
    "Kasper",
    "Signe",
    "Brian",
    "Pia",
    "Ahmed",
    "Lene",
    "Jonas",
    "Birgitte",
    "Mikkel",
    "Heidi",
    "Allan",
)
SURNAMES = ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Larsen", "Sørensen", "Madsen")
STREETS = (
    "Søndergade",
    "Østervej",
    "Birkevej",
    "Kirkestræde",
    "Engvej",
    "Vestergade",
    "Skovvej",
    "Møllegade",
    "Lærkevej",
    "Ahornvej",
)
EMPLOYERS = (
    "Netto",
    "Danish Crown",
    "Rema 1000",
    "Føtex",
    "PostNord",
    "Bilka",
    "Vestergaards Maskinfabrik ApS",
    "Jysk",
    "Thomsens Rengøring ApS",
    "Arla",
)
AGES = {"kursist": (19, 62), "instruktoer": (31, 66)}
PERIOD = (date(2024, 9, 2), date(2025, 3, 28))
WORDS = (250, 500)


def load_turns() -> dict:
    text = resources.files("tpj_helpers.synthetic").joinpath("qual_turns.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def codebook_codes(entries: list[dict], parent: str = "") -> list[str]:
    """Every full code (`parent/child`) of the nested codebook."""
    out = []
    for e in entries:
        code = f"{parent}/{e['code']}" if parent else e["code"]
        out.append(code)
        out += codebook_codes(e.get("children", []), code)
    return out


def _codebook(lib: dict) -> list[dict]:
    """The library's codebook with the persona ratings 1-5 added under each persona axis."""
    labels = {1: "meget lav", 2: "lav", 3: "middel", 4: "høj", 5: "meget høj"}
    book = yaml.safe_load(yaml.safe_dump(lib["codebook"], allow_unicode=True))
    for entry in book:
        if entry["code"] == "persona":
            for axis in entry["children"]:
                axis["children"] = [
                    {
                        "code": str(n),
                        "label": f"{axis['label']}: {n} ({labels[n]})",
                        "definition": f"Vurderet {labels[n]} ({n} på en skala fra 1 til 5).",
                    }
                    for n in range(1, 6)
                ]
    return book


class _Writer:
    """Draws details and turns for one transcript and records its coded segments."""

    def __init__(
        self,
        lib: dict,
        rng: np.random.Generator,
        interview_id: str,
        kommune: str,
        role: str = "",
        usage: Counter | None = None,
    ):
        self.lib, self.rng, self.id = lib, rng, interview_id
        self.usage = usage if usage is not None else Counter()  # turns used across transcripts
        self.lines: list[str] = []
        self.segments: list[dict] = []
        self.spare_names = [str(n) for n in rng.permutation(FIRST_NAMES)]
        self.details = {
            "navn": self.spare_names.pop(),
            "navn2": self.spare_names.pop(),
            "kollega": self.spare_names.pop(),
            "sagsbehandler": self.spare_names.pop(),
            "alder": str(int(rng.integers(*AGES.get(role, (21, 62))))),
            "vej": f"{self.pick(STREETS)} {int(rng.integers(2, 90))}",
            "tlf": " ".join(f"{int(rng.integers(10, 100))}" for _ in range(4)),
            "arbejdsgiver": self.pick(EMPLOYERS),
            "kommune": kommune or "kommunen",
        }

    def pick(self, options):
        options = list(options)
        return options[int(self.rng.integers(len(options)))]

    def pick_fresh(self, options: list) -> object:
        """One of the options least used so far in the material (so transcripts differ)."""

        def key(o):
            return o["text"] if isinstance(o, dict) else o

        low = min(self.usage[key(o)] for o in options)
        choice = self.pick([o for o in options if self.usage[key(o)] == low])
        self.usage[key(choice)] += 1
        return choice

    def question(self, role: str, theme: str) -> None:
        audience = "kursist" if role == "kursist" else "fagperson"
        self.say("I", self.pick(self.lib["themes"][theme][audience]))

    def filler(self, speaker: str, role: str, probe: bool = True) -> None:
        """A digression or aside not yet said in this transcript, after a probe of the interviewer."""
        options = [t for t in self.lib["fillers"][role] if self.fill(t) not in self.lines_text()]
        if options:
            if probe:
                self.say("I", self.pick(self.lib["probes"]))
            self.say(speaker, self.pick_fresh(options))

    def lines_text(self) -> set[str]:
        return {line.split(": ", 1)[1] for line in self.lines}

    def fill(self, text: str) -> str:
        return text.format_map(self.details)

    def say(self, speaker: str, text: str, codes: list[str] | None = None) -> None:
        text = self.fill(text)
        self.lines.append(f"{speaker}: {text}")
        if codes:
            n = len(self.segments) + 1
            self.segments.append(
                {
                    "interview_id": self.id,
                    "segment_id": f"{self.id}-s{n:02d}",
                    "text": text,
                    "codes": list(dict.fromkeys(codes)),
                }
            )

    def answer(self, speaker: str, role: str, theme: str, used: set) -> None:
        options = [
            t if isinstance(t, dict) else {"text": t} for t in self.lib["turns"][role][theme]
        ]
        fresh = [t for t in options if t["text"] not in used] or options
        turn = self.pick_fresh(fresh)
        used.add(turn["text"])
        self.say(speaker, turn["text"], turn.get("codes") or [theme])

    def persona(self, speaker: str, role: str) -> None:
        for axis in AXES:
            rating = int(self.rng.choice(np.arange(1, 6), p=RATINGS[role][axis]))
            band = "lav" if rating <= 2 else "middel" if rating == 3 else "hoej"
            audience = "kursist" if role == "kursist" else "fagperson"
            self.say("I", self.pick(self.lib["persona_questions"][audience][axis]))
            self.say(
                speaker,
                self.pick_fresh(self.lib["persona"][role][axis][band]),
                [f"persona/{axis}/{rating}"],
            )

    def words(self) -> int:
        return sum(len(line.split()) for line in self.lines)


def _themes(lib: dict, role: str, rng: np.random.Generator) -> list[str]:
    """All themes of a role: the core themes (weight 5) first, the rest in an order drawn by weight."""
    weights = lib["weights"][role]
    core = [n for n, w in weights.items() if w >= 5]
    names = [n for n in weights if n not in core]
    p = np.array([weights[n] for n in names], dtype=float)
    order = rng.choice(len(names), size=len(names), replace=False, p=p / p.sum())
    return [str(c) for c in rng.permutation(core)] + [names[i] for i in order]


def _individual(
    lib: dict, rng: np.random.Generator, interview_id: str, role: str, kommune: str, usage: Counter
) -> _Writer:
    w = _Writer(lib, rng, interview_id, kommune, role, usage)
    intro = lib["intro"][role]
    w.say("I", w.pick(intro["questions"]))
    w.say("R", w.pick_fresh(intro["answers"]))
    used: set = set()
    budget = WORDS[1] - 30 - (100 if role in PERSONA_ROLES else 30)
    for theme in _themes(lib, role, rng):
        before = (len(w.lines), len(w.segments))
        w.question(role, theme)
        w.answer("R", role, theme, used)
        if rng.random() < 0.3:
            w.filler("R", role)
        if w.words() > budget:  # too long: take the theme out again
            del w.lines[before[0] :], w.segments[before[1] :]
        if w.words() > budget - 50:
            break
    if role in PERSONA_ROLES:
        w.persona("R", role)
    w.say("I", w.pick(lib["closing_questions"]))
    w.say("R", w.pick(lib["closings"][role]))
    return w


def _focus_group(
    lib: dict, rng: np.random.Generator, interview_id: str, kommune: str, usage: Counter
) -> _Writer:
    w = _Writer(lib, rng, interview_id, kommune, "fokusgruppe", usage)
    caseworkers = [f"S{i}" for i in range(1, int(rng.integers(2, 4)) + 1)]
    w.say("I", "Tak fordi I ville være med. Vil I starte med en kort præsentationsrunde?")
    w.say("K", w.pick_fresh(lib["intro"]["koordinator"]["answers"]))
    for speaker, text in zip(
        caseworkers, rng.permutation(lib["intro"]["sagsbehandler"]["answers"]), strict=False
    ):
        w.details["navn"] = w.spare_names.pop()
        w.say(speaker, str(text))
    used: set = set()
    for theme in _themes(lib, "sagsbehandler", rng):
        before = (len(w.lines), len(w.segments))
        w.question("sagsbehandler", theme)
        speakers = [w.pick(caseworkers)]
        if theme in lib["turns"]["koordinator"] and rng.random() < 0.5:
            speakers.insert(int(rng.integers(2)), "K")
        for sp in speakers:
            w.answer(sp, "koordinator" if sp == "K" else "sagsbehandler", theme, used)
        if rng.random() < 0.25:
            w.filler(w.pick(caseworkers), "sagsbehandler", probe=False)
        if w.words() > WORDS[1] - 30:
            del w.lines[before[0] :], w.segments[before[1] :]
        if w.words() > WORDS[1] - 80:
            break
    w.say("I", "Tak, det var meget brugbart. Er der andet, I vil nå at sige?")
    w.say("K", "Nej, jeg tror, vi har fået det hele med. Tak for besøget.")
    return w


def _front_matter(interview_id: str, role: str, kommune: str, day: date, deep: bool) -> str:
    return (
        f"---\ninterview_id: {interview_id}\nrole: {role}\nkommune:{' ' + kommune if kommune else ''}\n"
        f"date: {day.isoformat()}\ndeep_dive: {'true' if deep else 'false'}\n---\n\n"
    )


def _day(rng: np.random.Generator) -> date:
    span = (PERIOD[1] - PERIOD[0]).days
    day = PERIOD[0] + timedelta(days=int(rng.integers(span)))
    return day - timedelta(days=max(0, day.weekday() - 4))  # a weekday


def make_qual(out: Path | str, seed: int) -> Path:
    """Write the synthetic `qual/` folder into `out`; deterministic for a given seed."""
    rng = np.random.default_rng([seed, 6])  # its own stream: the other tables stay as they were
    lib = load_turns()
    folder = Path(out) / "qual"
    interviews = folder / "interviews"
    interviews.mkdir(parents=True, exist_ok=True)
    for old in interviews.glob("*.md"):
        old.unlink()
    plan: list[tuple[str, str, str, bool]] = []  # interview_id, role, kommune, deep_dive
    kommuner = list(rng.permutation(list(DEEP_DIVE) + list(OTHER_MUNICIPALITIES)))
    for role, n in COUNTS.items():
        for i in range(1, n + 1):
            if role == "instruktoer":
                kommune = ""
            elif role == "koordinator":
                kommune = str(kommuner[i - 1])
            else:
                kommune = str(rng.choice(kommuner))
            plan.append((f"{role}_{i:02d}", role, kommune, False))
    for kommune in DEEP_DIVE:
        slug = kommune.lower()
        plan += [
            (f"fokusgruppe_{slug}", "fokusgruppe", kommune, True),
            (f"leder_{slug}", "leder", kommune, True),
        ]
    visits = {k: _day(rng) for k in DEEP_DIVE}
    segments: list[dict] = []
    usage: Counter = Counter()
    for interview_id, role, kommune, deep in plan:
        if role == "fokusgruppe":
            w = _focus_group(lib, rng, interview_id, kommune, usage)
        else:
            w = _individual(lib, rng, interview_id, role, kommune, usage)
        day = visits[kommune] if deep else _day(rng)
        body = "\n\n".join(w.lines) + "\n"
        (interviews / f"{interview_id}.md").write_text(
            _front_matter(interview_id, role, kommune, day, deep) + body, encoding="utf-8"
        )
        segments += w.segments
    book = _codebook(lib)
    (folder / "codebook.yaml").write_text(
        "# Kodebog for det syntetiske kvalitative materiale (SYNTETISK).\n"
        + yaml.safe_dump({"codes": book}, allow_unicode=True, sort_keys=False, width=100),
        encoding="utf-8",
    )
    with (folder / "segments.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["interview_id", "segment_id", "text", "codes"])
        writer.writeheader()
        for s in segments:
            writer.writerow({**s, "codes": ";".join(s["codes"])})
    return folder


__all__ = [
    "AXES",
    "COUNTS",
    "DEEP_DIVE",
    "PERSONA_ROLES",
    "codebook_codes",
    "load_turns",
    "make_qual",
]
