"""The resumé: the key results of one run as short Danish paragraphs, read from the run folder.

`build(run_dir)` reads only what the other notebooks published — `results/estimates.csv` and
`tables/*.csv` — and recomputes nothing, so every number in the resumé is a number of the report.
A paragraph whose inputs are missing (e.g. a run without the WHO-5 notebook) is left out.
`Resume.values` holds every number used, keyed by name, for tests and for checking by hand.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from tpj_helpers.publish.present import num, pct, signed

ALPHA = 0.05
# Survey waves: the code in `estimates.csv` (wave:<code>) and the label in the tables.
WAVES = {"foer": "Før kurset", "efter": "Lige efter kurset", "3mdr": "3 måneder efter kurset"}
WAVE_WORDS = {
    "foer": "før kurset",
    "efter": "lige efter kurset",
    "3mdr": "tre måneder efter kurset",
}
STARS_NOTE = "\\*\\*\\* p < 0,001, \\*\\* p < 0,01, \\* p < 0,05."


class RunFolderError(FileNotFoundError):
    """The run folder lacks the results the resumé is built from."""


@dataclass
class Resume:
    paragraphs: dict[str, str]
    key_figures: list[str]
    values: dict[str, float] = field(default_factory=dict)

    @property
    def markdown(self) -> str:
        return "\n\n".join(self.paragraphs.values())

    @property
    def key_figures_markdown(self) -> str:
        return "\n".join(f"- {line}" for line in self.key_figures)


# --------------------------------------------------------------------------- formatting


def p_text(p: float) -> str:
    """'p < 0,001' or 'p = 0,034'."""
    return "p < 0,001" if p < 0.001 else f"p = {num(p, 3)}"


def ci_text(low: float, high: float, decimals: int) -> str:
    """'95 %-KI 1,05 til 1,87' (no negative zero); '' when a bound is missing."""
    if _missing(low) or _missing(high):
        return ""
    fmt = lambda x: num(round(float(x), decimals) + 0.0, decimals)  # noqa: E731
    return f"95\u00a0%-KI {fmt(low)} til {fmt(high)}"


def stars_md(stars) -> str:
    """Significance stars escaped for Markdown ('' when not significant)."""
    return (
        "" if not isinstance(stars, str) or not stars.strip() else stars.strip().replace("*", "\\*")
    )


def _missing(x) -> bool:
    return x is None or (isinstance(x, numbers.Real) and math.isnan(x))


def paren(*parts: str) -> str:
    """' (a; b)' from the non-empty parts, '' when there are none."""
    parts = [p for p in parts if p]
    return f" ({'; '.join(parts)})" if parts else ""


def _put(values: dict, key: str, x) -> None:
    """Record a number used (missing ones are not recorded)."""
    if not _missing(x):
        values[key] = float(x)


def _put_estimate(values: dict, key: str, r, estimate_key: str | None = None) -> None:
    """Record an estimate row's numbers: the estimate (under `estimate_key`, default `key`), and
    CI, persons and p-value under `key`_low, _high, _n, _p."""
    values[estimate_key or key] = float(r["estimate"])
    _put(values, f"{key}_low", r["conf_low"])
    _put(values, f"{key}_high", r["conf_high"])
    values[f"{key}_n"] = float(r["n_persons"])
    _put(values, f"{key}_p", r["p_value"])


def parse_number(x) -> float:
    """A number from a table cell: a float, or a Danish string such as '0,294' or '<0,001'
    (which reads as just below 0.001, so that it still reads '< 0,001'); NaN when the cell is
    empty or suppressed."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    if not isinstance(x, str) or not x.strip():
        return math.nan
    below = x.strip().startswith("<")
    text = x.strip().lstrip("<").replace("\u2212", "-").replace(".", "").replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return math.nextafter(value, -math.inf) if below else value


def slug(name: str) -> str:
    """'Gennemført mod afmeldt' -> 'gennemfoert_mod_afmeldt' (a key of `values`)."""
    text = name.lower().translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def _join(words: list[str], last: str = "og") -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


# --------------------------------------------------------------------------- reading


class RunFolder:
    """The published results of one run: `results/estimates.csv` and `tables/*.csv`."""

    def __init__(self, run_dir: Path | str):
        self.run_dir = Path(run_dir)
        path = self.run_dir / "results" / "estimates.csv"
        if not path.is_file():
            raise RunFolderError(
                f"{path} does not exist: the resumé reads the results of the other notebooks; "
                "run the other notebooks first (`tpj run` does so before the final notebooks)"
            )
        self.estimates = pd.read_csv(path, dtype={"stars": str})

    def table(self, name: str) -> pd.DataFrame | None:
        path = self.run_dir / "tables" / f"{name}.csv"
        return pd.read_csv(path) if path.is_file() else None

    def estimate(self, analysis: str, model: str, subgroup: str, term: str) -> pd.Series | None:
        e = self.estimates
        rows = e[
            (e["analysis"] == analysis)
            & (e["model"] == model)
            & (e["subgroup"] == subgroup)
            & (e["term"] == term)
        ]
        return None if rows.empty or _missing(rows.iloc[0]["estimate"]) else rows.iloc[0]


def _row(df: pd.DataFrame, label_prefix: str) -> pd.Series | None:
    first = df.columns[0]
    rows = df[df[first].astype(str).str.startswith(label_prefix)]
    return None if rows.empty else rows.iloc[0]


# --------------------------------------------------------------------------- paragraphs


def participation(run: RunFolder, values: dict) -> str | None:
    """Participants, holds and completion from Tabel 4 (the total column)."""
    t = run.table("enrolment")
    if t is None or "I alt, antal" not in t.columns:
        return None
    persons, done, holds = (
        _row(t, p) for p in ("Personer", "- heraf personer, der gennemførte", "Antal hold")
    )
    if persons is None or _missing(n := parse_number(persons["I alt, antal"])):
        return None
    values["persons"] = n
    text = f"I alt deltog {num(n)} personer i kurset"
    if holds is not None and not _missing(h := parse_number(holds["I alt, antal"])):
        values["holds"] = h
        text += f" på {num(h)} hold"
    text += "."
    if done is not None and not _missing(d := parse_number(done["I alt, antal"])):
        share = parse_number(done["I alt, pct."]) / 100
        values["completed"], values["completed_share"] = d, share
        text += f" {num(d)} af dem ({pct(share)}) gennemførte kurset."
    return text


def response(run: RunFolder, values: dict) -> str | None:
    """Survey response per wave from Tabel 2."""
    t = run.table("response")
    if t is None:
        return None
    parts = []
    for code, label in WAVES.items():
        r = _row(t, label)
        if r is None:
            continue
        sent, answered = parse_number(r["Udsendt"]), parse_number(r["Fuldt besvaret"])
        if _missing(sent) or _missing(answered) or sent == 0:
            continue
        share = parse_number(r["Svarprocent"]) / 100
        values[f"response_{code}_sent"] = sent
        values[f"response_{code}_answered"] = answered
        values[f"response_{code}_share"] = share
        parts.append(f"{num(answered)} af {num(sent)} {WAVE_WORDS[code]} ({pct(share)})")
    if not parts:
        return None
    return f"Spørgeskemaet blev besvaret fuldt ud af {_join(parts)}."


def survey_items(run: RunFolder, values: dict) -> str | None:
    """How many questionnaire items changed significantly (paired, Wilcoxon)."""
    e = run.estimates
    rows = e[(e["analysis"] == "survey") & (e["model"] == "paired_wilcoxon")]
    if rows.empty:
        return None
    parts = []
    for code in ("efter", "3mdr"):
        r = rows[rows["subgroup"] == f"wave:foer-{code}"]
        if r.empty:
            continue
        better = int(((r["p_value"] < ALPHA) & (r["estimate"] > 0)).sum())
        worse = int(((r["p_value"] < ALPHA) & (r["estimate"] < 0)).sum())
        values[f"survey_{code}_items"], values[f"survey_{code}_better"] = (
            float(len(r)),
            float(better),
        )
        values[f"survey_{code}_worse"] = float(worse)
        part = f"{num(better)} af {num(len(r))} spørgsmål {WAVE_WORDS[code]}"
        if worse:
            part += f" (og {num(worse)} i negativ retning)"
        parts.append(part)
    if not parts:
        return None
    return (
        "Blandt dem, der svarede både før og senere, flyttede svarene sig signifikant i positiv "
        f"retning (p < 0,05) på {_join(parts)}."
    )


def who5(run: RunFolder, values: dict) -> str | None:
    """WHO-5 wave means, the paired change with CI, the weighted 3-month mean."""
    means = {c: run.estimate("who5", "wave_mean", f"wave:{c}", "mean") for c in WAVES}
    means = {c: r for c, r in means.items() if r is not None}
    if not means:
        return None
    for c, r in means.items():
        values[f"who5_mean_{c}"] = float(r["estimate"])
    listed = [f"{num(r['estimate'], 1)} {WAVE_WORDS[c]}" for c, r in means.items()]
    text = f"Den gennemsnitlige WHO-5-trivselsscore (0–100) var {_join(listed)}."
    for code in ("efter", "3mdr"):
        r = run.estimate("who5", "paired_change", f"wave:foer-{code}", "mean_difference")
        if r is None:
            continue
        _put_estimate(values, f"who5_change_{code}", r)
        p = "" if _missing(r["p_value"]) else p_text(r["p_value"])
        text += (
            f" Blandt de {num(r['n_persons'])}, der svarede både før og {WAVE_WORDS[code]}, "
            f"ændrede scoren sig med {signed(r['estimate'], 1)} point"
            f"{paren(ci_text(r['conf_low'], r['conf_high'], 1), p)}."
        )
    w = run.estimate("who5", "ipw_mean", "wave:3mdr", "mean")
    if w is not None and "3mdr" in means:
        values["who5_ipw_3mdr"] = float(w["estimate"])
        _put(values, "who5_ipw_3mdr_low", w["conf_low"])
        _put(values, "who5_ipw_3mdr_high", w["conf_high"])
        text += (
            f" Vægtet for bortfaldet tre måneder efter kurset er gennemsnittet "
            f"{num(w['estimate'], 1)}{paren(ci_text(w['conf_low'], w['conf_high'], 1))} mod "
            f"{num(means['3mdr']['estimate'], 1)} uvægtet."
        )
    return text


def register(run: RunFolder, values: dict) -> str | None:
    """The two-point changes before and after course start, and the weekly slopes."""
    pre = run.estimate("register", "two_point_pre", "all", "change")
    post = run.estimate("register", "two_point_post", "all", "change")
    if pre is None and post is None:
        return None
    sentences = []
    for key, r, span in (
        ("pre", pre, "fra uge −26 til uge −1 før kurset"),
        ("post", post, "fra uge −1 til uge 26 efter kursusstart"),
    ):
        if r is None:
            continue
        _put_estimate(values, f"register_{key}", r, estimate_key=f"register_{key}_change")
        sentences.append(
            f"{span} med {signed(r['estimate'], 2)}"
            f"{paren(ci_text(r['conf_low'], r['conf_high'], 2))}{stars_md(r['stars'])}"
        )
    text = (
        "Kursisternes gennemsnitlige beskæftigelsesscore (registerdata) ændrede sig "
        f"{_join(sentences)}."
    )
    slopes = []
    for key, model, span in (
        ("pre", "weekly_pre", "i ugerne før kurset"),
        ("post", "weekly_post", "i ugerne fra kursusstart"),
    ):
        r = run.estimate("register", model, "all", "slope")
        if r is None:
            continue
        values[f"register_{key}_slope"] = float(r["estimate"])
        slopes.append(f"{signed(r['estimate'], 3)} pr. uge {span}{stars_md(r['stars'])}")
    if slopes:
        text += f" Den ugentlige udvikling var {_join(slopes)}."
    return text + " " + STARS_NOTE


def _by_significance(
    tests: list[tuple[str, float]], values: dict, prefix: str
) -> tuple[list[str], list[str]]:
    """Record each test's p-value in `values` (key prefix + slug) and split the names into those
    that differ at ALPHA (with their p-value written out) and those that do not."""
    for name, p in tests:
        values[f"{prefix}{slug(name)}"] = p

    def word(name: str) -> str:
        return name[0].lower() + name[1:]

    differ = [f"{word(n)} ({p_text(p)})" for n, p in tests if p < ALPHA]
    same = [word(n) for n, p in tests if p >= ALPHA]
    return differ, same


def subgroups(run: RunFolder, values: dict) -> str | None:
    """Which subgroup interaction tests (the post change differs between groups) are significant."""
    t = run.table("register_subgroup_interaction")
    if t is not None and {"Dimension", "p-værdi"} <= set(t.columns):
        tests = [(str(r["Dimension"]), parse_number(r["p-værdi"])) for _, r in t.iterrows()]
    else:
        e = run.estimates
        rows = e[(e["analysis"] == "register") & (e["model"] == "two_point_post_interaction")]
        tests = [
            (str(r["subgroup"]).replace("_", " ").replace(":", ": "), float(r["p_value"]))
            for _, r in rows.iterrows()
        ]
    tests = [(name, p) for name, p in tests if not _missing(p)]
    if not tests:
        return None
    differ, same = _by_significance(tests, values, "subgroup_p_")
    values["subgroup_tests"], values["subgroup_significant"] = float(len(tests)), float(len(differ))
    lead = "Ændringen i beskæftigelsesscoren efter kursusstart"
    if not differ:
        return (
            f"{lead} afhænger ikke signifikant af {_join(same, 'eller')} "
            f"(alle p ≥ {num(ALPHA, 2)}); forskelle mellem grupperne er altså ikke påvist."
        )
    text = f"{lead} afhænger signifikant af {_join(differ)}"
    if same:
        text += f", men ikke af {_join(same, 'eller')} (p ≥ {num(ALPHA, 2)})"
    return text + "."


def consistency(run: RunFolder, values: dict) -> str | None:
    """The number of consistency checks and whether any failed."""
    t = run.table("consistency_checks")
    if t is None or "Resultat" not in t.columns or t.empty:
        return None
    failed = t[t["Resultat"].astype(str) != "Bestået"]
    values["checks_total"], values["checks_failed"] = float(len(t)), float(len(failed))
    if failed.empty:
        return (
            f"Alle {num(len(t))} konsistenskontroller af rapportens tal (tabellerne mod "
            "hinanden og mod kildedata) er bestået."
        )
    names = ", ".join(str(k) for k in failed.iloc[:, 0])
    return (
        f"{num(len(failed))} af {num(len(t))} konsistenskontroller fejlede ({names}); "
        "de berørte tal skal læses med forbehold."
    )


def representativeness(run: RunFolder, values: dict) -> str | None:
    """Does the register sample differ from all registered participants (Tabel 3's tests)?"""
    t = run.table("tabel3_tests")
    if t is None or not {"Variabel", "p-værdi"} <= set(t.columns):
        return None
    tests = [(str(r["Variabel"]), parse_number(r["p-værdi"])) for _, r in t.iterrows()]
    tests = [(n, p) for n, p in tests if not _missing(p)]
    if not tests:
        return None
    differ, same = _by_significance(tests, values, "representativeness_p_")
    lead = "Registerudsnittet (kursister med DREAM-data)"
    if not differ:
        return f"{lead} ligner alle registrerede kursister på {_join(same)} (alle p ≥ {num(ALPHA, 2)})."
    text = f"{lead} adskiller sig signifikant fra alle registrerede kursister på {_join(differ)}"
    if same:
        text += f", men ikke på {_join(same, 'eller')}"
    return text + "; registerresultaterne skal læses med det forbehold."


PARAGRAPHS = {
    "participation": participation,
    "response": response,
    "who5": who5,
    "survey": survey_items,
    "register": register,
    "subgroups": subgroups,
    "representativeness": representativeness,
    "consistency": consistency,
}


def key_figures(values: dict) -> list[str]:
    """The 'Nøgletal' bullets, from the values the paragraphs used."""
    v = values.get
    out = []
    if v("persons") is not None:
        line = f"Deltagere: {num(v('persons'))}"
        if v("completed_share") is not None:
            line += f", heraf {pct(v('completed_share'))} gennemført"
        out.append(line)
    shares = [
        f"{pct(v(f'response_{c}_share'))} {WAVE_WORDS[c]}"
        for c in WAVES
        if v(f"response_{c}_share") is not None
    ]
    if shares:
        out.append(f"Svarprocent: {_join(shares)}")
    if v("who5_change_efter") is not None:
        out.append(f"WHO-5 før → lige efter kurset: {signed(v('who5_change_efter'), 1)} point")
    if v("register_post_change") is not None:
        out.append(f"Beskæftigelsesscore uge −1 → uge 26: {signed(v('register_post_change'), 2)}")
    if v("checks_total") is not None:
        out.append(
            f"Konsistenskontroller: {num(v('checks_total') - v('checks_failed'))} af "
            f"{num(v('checks_total'))} bestået"
        )
    return out


def build(run_dir: Path | str) -> Resume:
    """The resumé of the run in `run_dir` (paragraphs whose inputs are missing are left out)."""
    run = RunFolder(run_dir)
    values: dict[str, float] = {}
    paragraphs = {}
    for name, make in PARAGRAPHS.items():
        text = make(run, values)
        if text:
            paragraphs[name] = text
    return Resume(paragraphs=paragraphs, key_figures=key_figures(values), values=values)
