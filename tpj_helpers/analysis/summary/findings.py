"""The findings of the report in plain Danish: one to three sentences that open each results
section, and the resumé of conclusions built from them.

Like the statistical resumé (`resume.py`), everything is read from the run folder —
`results/estimates.csv` and `tables/*.csv` — and nothing is recomputed, so every number of a
finding is a number of the report's tables. Each finding says the direction, the size, how
certain it is (in words: "statistisk sikker" when p < 0,05) and the group it holds for;
intervals and p-values stay in the tables of the section. A finding whose inputs are missing is
None and left out. Every number used is recorded in `values` (keyed by name) for the tests.

Persons and enrolments: the report counts persons (a person enrolled twice counts once, with the
enrolment that counts). The resumé says so once, with both numbers, and then speaks of persons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from tpj_helpers.analysis.summary.resume import (
    ALPHA,
    WAVE_WORDS,
    RunFolder,
    _join,
    _missing,
    _row,
    parse_number,
)
from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.publish.present import num, pct, signed

SURVEY_INDICATORS = REPO_ROOT / "params" / "survey_indicators.yaml"
AFTER = "Lige efter kurset"  # the survey table's label of the wave right after the course
# The effect estimate of a comparison-group analysis, when a run has one (estimates.csv).
EFFECT = {"analysis": "effect", "model": "att", "term": "att_26"}


@dataclass
class Findings:
    """Section findings (section key -> Markdown) and the resumé paragraphs."""

    sections: dict[str, str]
    resume: dict[str, str]
    values: dict[str, float] = field(default_factory=dict)

    def section(self, key: str) -> str:
        """The finding of one section as an emphasised lead paragraph ('' when there is none)."""
        text = self.sections.get(key)
        return f"**Hovedresultat.** {text}" if text else ""

    @property
    def resume_markdown(self) -> str:
        return "\n\n".join(self.resume.values())


# --------------------------------------------------------------------------- wording helpers


def certainty(p: float) -> str:
    """'statistisk sikker' / 'ikke statistisk sikker' (at ALPHA); '' when p is missing."""
    if _missing(p):
        return ""
    return "statistisk sikker" if p < ALPHA else "ikke statistisk sikker"


def share_words(share: float) -> str:
    """A plain-language size for a share: 'næsten alle', 'de fleste', 'omkring halvdelen', ..."""
    if share >= 0.9:
        return "næsten alle"
    if share >= 0.6:
        return "de fleste"
    if share >= 0.4:
        return "omkring halvdelen"
    if share >= 0.2:
        return "en mindre del"
    return "få"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def direction(x: float, up: str = "steg", down: str = "faldt") -> str:
    return up if x > 0 else down if x < 0 else "var uændret"


# --------------------------------------------------------------------------- survey shares


def indicator_labels(path: Path | str = SURVEY_INDICATORS) -> dict[str, str]:
    """Survey indicator id -> its Danish label (the table's "Indikator")."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return {i["id"]: i["label"] for i in spec["indicators"]}


class SurveyShares:
    """The headline survey shares of a run (`tables/survey-indicators.csv`) by indicator id."""

    def __init__(self, run: RunFolder, labels: dict[str, str]):
        self.table = run.table("survey-indicators")
        self.labels = labels

    def get(self, indicator: str, wave: str = AFTER) -> tuple[float, float] | None:
        """(share 0-1, N answering) or None when missing or hidden; N is NaN when only N is
        hidden (a share rounded to whole percent beside a hidden N: special answers)."""
        t, label = self.table, self.labels.get(indicator)
        if t is None or label is None:
            return None
        rows = t[(t["Indikator"] == label) & (t["Måling"] == wave)]
        if rows.empty:
            return None
        share, n = parse_number(rows.iloc[0]["Andel (%)"]), parse_number(rows.iloc[0]["N"])
        if _missing(share):
            return None
        return share / 100, (float("nan") if _missing(n) else n)


def _shares(s: SurveyShares, values: dict, ids: list[str], wave: str = AFTER) -> dict:
    out = {}
    for i in ids:
        got = s.get(i, wave)
        if got is not None:
            out[i] = got
            values[f"share_{i}"], values[f"n_{i}"] = got
    return out


# --------------------------------------------------------------------------- section findings


def satisfaction(run: RunFolder, values: dict, s: SurveyShares) -> str | None:
    """Satisfaction, recommendation, the instructor's own experience, trust, relevance."""
    got = _shares(
        s,
        values,
        [
            "overall_satisfied_agree",
            "recommend_agree",
            "instructor_own_experience_advantage_agree",
            "trust_information_agree",
            "relevant_for_situation_agree",
        ],
    )
    if "overall_satisfied_agree" not in got:
        return None
    sat, n = got["overall_satisfied_agree"]
    of = "af dem" if _missing(n) else f"af de {num(n)}"  # N hidden: never printed
    text = (
        f"Lige efter kurset var {share_words(sat)} kursister ({pct(sat)} {of}, der "
        "svarede) samlet set tilfredse med kurset"
    )
    if "recommend_agree" in got:
        text += f", og {pct(got['recommend_agree'][0])} vil anbefale det til andre"
    text += "."
    praise = []
    if "instructor_own_experience_advantage_agree" in got:
        praise.append(
            f"{pct(got['instructor_own_experience_advantage_agree'][0])} fandt det en "
            "fordel, at instruktøren selv har erfaring med psykiske udfordringer"
        )
    if "trust_information_agree" in got:
        praise.append(
            f"{pct(got['trust_information_agree'][0])} havde tillid til kursets informationer"
        )
    if praise:
        text += f" {_cap(_join(praise))}."
    if "relevant_for_situation_agree" in got:
        rel = got["relevant_for_situation_agree"][0]
        word = "Kun" if rel < sat - 0.05 else "Og"
        text += f" {word} {pct(rel)} fandt kurset relevant for deres egen situation."
    return text


def technique(run: RunFolder, values: dict, s: SurveyShares) -> str | None:
    """Log-in and preparation."""
    got = _shares(
        s, values, ["login_webinar_easy_agree", "login_platform_easy_agree", "preparation_all_7"]
    )
    logins = [
        got[k][0] for k in ("login_webinar_easy_agree", "login_platform_easy_agree") if k in got
    ]
    if not logins:
        return None
    lead = (
        "Teknikken var for de fleste ingen hindring"
        if min(logins) >= 0.75
        else "Teknikken voldte en del kursister besvær"
    )
    parts = []
    if "login_webinar_easy_agree" in got:
        parts.append(
            f"{pct(got['login_webinar_easy_agree'][0])} fandt det nemt at logge på webinaret"
        )
    if "login_platform_easy_agree" in got:
        parts.append(f"{pct(got['login_platform_easy_agree'][0])} på kursusplatformen")
    text = f"{lead}: {_join(parts)}."
    if "preparation_all_7" in got:
        text += f" {_cap(pct(got['preparation_all_7'][0]))} gennemgik forberedelsen alle ugerne."
    return text


def absence(run: RunFolder, values: dict, s: SurveyShares) -> str | None:
    """Absence from the webinars and its most frequent reason."""
    got = _shares(s, values, ["absence_any"])
    if "absence_any" not in got:
        return None
    text = f"{_cap(pct(got['absence_any'][0]))} af kursisterne var fraværende fra mindst ét webinar"
    reasons = {i: lab for i, lab in s.labels.items() if i.startswith("absence_reason_")}
    shares = _shares(s, {}, list(reasons))
    if shares:
        top = max(shares, key=lambda k: shares[k][0])
        values["absence_top_reason_share"] = shares[top][0]
        reason = reasons[top].split(": ", 1)[-1]
        text += f", oftest på grund af {reason} ({pct(shares[top][0])} af dem med fravær)"
    return text + "."


def who5(run: RunFolder, values: dict) -> str | None:
    """The WHO-5 development for the same persons, and a reading of the weighted 3-month mean."""
    means = {c: run.estimate("who5", "wave_mean", f"wave:{c}", "mean") for c in WAVE_WORDS}
    r = run.estimate("who5", "paired_change", "wave:foer-efter", "mean_difference")
    if r is None:
        return None
    values["who5_change_efter"], values["who5_change_efter_n"] = (
        float(r["estimate"]),
        float(r["n_persons"]),
    )
    text = (
        f"Blandt de {num(r['n_persons'])} kursister, der svarede både før og lige efter "
        f"kurset, {direction(r['estimate'])} trivslen (WHO-5, 0–100) med "
        f"{num(abs(r['estimate']), 1)} point i gennemsnit"
    )
    c = certainty(r["p_value"])
    text += f"; udviklingen er {c}." if c else "."
    w, u = run.estimate("who5", "ipw_mean", "wave:3mdr", "mean"), means.get("3mdr")
    if w is not None and u is not None:
        wv, uv = float(w["estimate"]), float(u["estimate"])
        values["who5_ipw_3mdr"], values["who5_mean_3mdr"] = wv, uv
        inside = not _missing(w["conf_low"]) and w["conf_low"] <= uv <= w["conf_high"]
        lean = (
            "de, der ikke svarede, ligner kursister med højere trivsel, så det uvægtede tal "
            "snarere undervurderer end overvurderer trivslen"
            if wv > uv
            else "de, der ikke svarede, ligner kursister med lavere trivsel, så det uvægtede tal "
            "kan overvurdere trivslen"
        )
        text += (
            f" Tre måneder efter kurset er gennemsnittet {num(uv, 1)} blandt dem, der svarede, "
            f"og {num(wv, 1)}, når der vægtes for bortfald: {lean}"
        )
        text += ", men forskellen ligger inden for usikkerheden." if inside else "."
    return text


def self_assessment(run: RunFolder, values: dict) -> str | None:
    """How many questionnaire items moved for the same persons (paired tests)."""
    e = run.estimates
    rows = e[
        (e["analysis"] == "survey")
        & (e["model"] == "paired_wilcoxon")
        & (e["subgroup"] == "wave:foer-efter")
    ]
    if rows.empty:
        return None
    better = int(((rows["p_value"] < ALPHA) & (rows["estimate"] > 0)).sum())
    worse = int(((rows["p_value"] < ALPHA) & (rows["estimate"] < 0)).sum())
    values["self_items"], values["self_better"], values["self_worse"] = (
        float(len(rows)),
        float(better),
        float(worse),
    )
    if better == 0 and worse == 0:
        return (
            f"For de samme kursister før og lige efter kurset ændrede svarene sig ikke "
            f"statistisk sikkert på nogen af de {num(len(rows))} spørgsmål om helbred, tro "
            "på egne evner og arbejdsidentitet."
        )
    text = (
        f"For de samme kursister før og lige efter kurset blev svarene statistisk sikkert "
        f"bedre på {num(better)} af {num(len(rows))} spørgsmål om helbred, tro på egne evner "
        "og arbejdsidentitet"
    )
    text += (
        f" og dårligere på {num(worse)}."
        if worse
        else "; på de øvrige er ændringen ikke statistisk sikker."
    )
    return text


def effect(run: RunFolder, values: dict) -> str | None:
    """The effect against a comparison group, when the run has one."""
    r = run.estimate(EFFECT["analysis"], EFFECT["model"], "all", EFFECT["term"])
    if r is None:
        e = run.estimates
        rows = e[
            (e["analysis"] == EFFECT["analysis"])
            & (e["model"] == EFFECT["model"])
            & (e["term"] == EFFECT["term"])
        ]
        if rows.empty or _missing(rows.iloc[0]["estimate"]):
            return None
        r = rows.iloc[0]
    values["effect_att_26"] = float(r["estimate"])
    c = certainty(r["p_value"])
    return (
        f"Sammenlignet med en gruppe af lignende borgere, der ikke deltog i kurset, lå "
        f"kursisternes beskæftigelsesscore (fra 0 til 10; jo højere, jo tættere på arbejde) "
        f"et halvt år efter kursusstart "
        f"{num(abs(r['estimate']), 2)} point {'højere' if r['estimate'] >= 0 else 'lavere'}"
        f"{f'; forskellen er {c}' if c else ''}. Det er evalueringens bedste bud på kursets "
        "effekt."
    )


def register(run: RunFolder, values: dict) -> str | None:
    """The two-point development of the employment score (completers)."""
    pre = run.estimate("register", "two_point_pre", "all", "change")
    post = run.estimate("register", "two_point_post", "all", "change")
    if post is None:
        return None
    values["register_post_change"], values["register_post_n"] = (
        float(post["estimate"]),
        float(post["n_persons"]),
    )
    text = (
        f"For de {num(post['n_persons'])} kursister med registerdata, der gennemførte kurset, "
        f"{direction(post['estimate'])} beskæftigelsesscoren med "
        f"{num(abs(post['estimate']), 2)} point fra ugen før kurset til et halvt år efter "
        "kursusstart"
    )
    c = certainty(post["p_value"])
    text += f" ({c})" if c else ""
    if pre is not None:
        values["register_pre_change"] = float(pre["estimate"])
        text += (
            f", efter at den {direction(pre['estimate'])} med {num(abs(pre['estimate']), 2)} "
            "point i halvåret før kurset"
        )
    text += (
        ". Det er en udvikling for kursisterne selv; uden en sammenligningsgruppe siger den "
        "ikke, hvor meget kurset i sig selv har gjort."
    )
    if effect(run, {}) is not None:
        text = text.replace(
            "; uden en sammenligningsgruppe siger den ikke, hvor meget kurset i sig selv har gjort",
            "; effekten mod en sammenligningsgruppe står i effektafsnittet",
        )
    return text


def subgroups(run: RunFolder, values: dict) -> str | None:
    """Largest and smallest post changes among the subgroups with a model; groups without one;
    whether the interaction tests find a difference."""
    t = run.table("register_subgroup_two_point")
    if t is None or "Ændring efter (uge −1 til 26)" not in t.columns:
        return None
    t = t[t["Dimension"] != "Afmeldte kursister"]
    change = t["Ændring efter (uge −1 til 26)"].map(
        lambda x: parse_number(str(x).rstrip("*")) if isinstance(x, str) else parse_number(x)
    )
    modelled = t.assign(change=change).dropna(subset=["change"])
    if modelled.empty:
        return None
    hi, lo = modelled.loc[modelled["change"].idxmax()], modelled.loc[modelled["change"].idxmin()]
    values["subgroup_max_change"], values["subgroup_min_change"] = (
        float(hi["change"]),
        float(lo["change"]),
    )
    values["subgroup_max_n"], values["subgroup_min_n"] = (
        parse_number(hi["Kursister"]),
        parse_number(lo["Kursister"]),
    )
    text = (
        (
            f"Beskæftigelsesscoren steg efter kursusstart i alle grupper, der var store nok til "
            f"at blive analyseret hver for sig, fra "
            f"{signed(lo['change'], 2)} ({lo['Gruppe'].lower()}, {num(parse_number(lo['Kursister']))} "
            f"kursister) til {signed(hi['change'], 2)} ({hi['Gruppe'].lower()}, "
            f"{num(parse_number(hi['Kursister']))} kursister)"
        )
        if lo["change"] > 0
        else (
            f"Ændringen i beskæftigelsesscoren efter kursusstart gik fra {signed(lo['change'], 2)} "
            f"({lo['Gruppe'].lower()}) til {signed(hi['change'], 2)} ({hi['Gruppe'].lower()})"
        )
    )
    tests = run.table("register_subgroup_interaction")
    if tests is not None and {"Dimension", "p-værdi"} <= set(tests.columns):
        ps = [
            (str(r["Dimension"]).lower(), parse_number(r["p-værdi"])) for _, r in tests.iterrows()
        ]
        differ = [d for d, p in ps if not _missing(p) and p < ALPHA]
        values["subgroup_dimensions_differ"] = float(len(differ))
        text += (
            ", men forskellene mellem grupperne er ikke statistisk sikre"
            if not differ
            else f"; forskellene er statistisk sikre efter {_join(differ)}"
        )
    text += "."
    none = t[t["Bemærkning"].astype(str).str.startswith("Ingen model")]
    if len(none):
        groups = [
            f"»{g}« ({str(d).lower()})"
            for g, d in zip(none["Gruppe"], none["Dimension"], strict=True)
        ]
        text += (
            f" {_cap(_join(groups))} {'har' if len(groups) == 1 else 'har hver'} for få "
            "kursister til en model."
        )
    return text


def qual_themes(run: RunFolder, values: dict) -> str | None:
    """The most frequent themes and who speaks of them."""
    t = run.table("qual_theme_role")
    if t is None or "I alt" not in t.columns or t.empty:
        return None
    t = t[~t["Tema"].astype(str).str.contains("i alt", case=False)]
    t = t.assign(total=t["I alt"].map(parse_number)).sort_values(
        "total", ascending=False, kind="stable"
    )
    top = t.head(2)
    values.update({f"theme_{i}": float(x) for i, x in enumerate(top["total"])})
    parts = [f"{r['Tema'].lower()} ({num(r['total'])} interviews)" for _, r in top.iterrows()]
    text = f"De temaer, der går igen i flest interviews, er {_join(parts)}."
    said = []
    for who, cols in (
        ("kursisterne", ["Kursister"]),
        (
            "kommunernes folk (koordinatorer, ledere og fokusgrupper)",
            ["Koordinatorer", "Kommunale ledere", "Fokusgrupper"],
        ),
    ):
        if not set(cols) <= set(t.columns):
            continue  # roles merged for too few interviews (issue 12): no such group
        counts = t[cols].apply(lambda col: col.map(parse_number))
        if counts.isna().to_numpy().any():
            continue  # a hidden count: "most often" would bound it
        n = counts.sum(axis=1)
        if n.max() > 0:
            best = [str(x).lower() for x in t.loc[n == n.max(), "Tema"]]
            values[f"theme_top_{slug_key(who)}"] = float(n.max())
            said.append(
                f"{who} taler oftest om {_join(best)} ({num(n.max())} interviews"
                f"{' hver' if len(best) > 1 else ''})"
            )
    if said:  # two groups: their contrast ("..., mens ...")
        text += f" {_cap(', mens '.join(said) if len(said) == 2 else _join(said))}."
    return text


def slug_key(text: str) -> str:
    return text.split(" ")[0]


def recommendations(run: RunFolder, values: dict) -> str | None:
    """The verdicts of the recommendations (column "Vurdering" of the recommendations table)."""
    t = run.table("qual_recommendations")
    if t is None or "Vurdering" not in t.columns or t.empty:
        return None
    counts = t["Vurdering"].value_counts()
    order = ["understøttet", "delvist understøttet", "modsagt af data"]
    for v in order:
        values[f"verdict_{v.replace(' ', '_')}"] = float(counts.get(v, 0))
    from tpj_helpers.analysis.deep_dive_synthesis.verdicts import verdict_sentence

    text = verdict_sentence(counts.to_dict(), len(t))
    bad = t[t["Vurdering"] == "modsagt af data"]
    if len(bad):
        names = _join(["»" + a + "«" for a in bad["Anbefaling"]])
        one = len(bad) == 1
        text += (
            f" {'Den modsagte anbefaling er' if one else 'De modsagte anbefalinger er'} "
            f"{names}: {'den' if one else 'de'} bør genovervejes, før "
            f"{'den' if one else 'de'} følges."
        )
    return text


SECTIONS = {
    "effect": effect,
    "satisfaction": satisfaction,
    "technique": technique,
    "absence": absence,
    "who5": who5,
    "self_assessment": self_assessment,
    "register": register,
    "subgroups": subgroups,
    "qual_themes": qual_themes,
    "recommendations": recommendations,
}
NEEDS_SURVEY = {"satisfaction", "technique", "absence"}


# --------------------------------------------------------------------------- the resumé


def participation(run: RunFolder, values: dict) -> str | None:
    """Enrolments and persons, explained once; completion per person."""
    t = run.table("enrolment")
    if t is None or "I alt, antal" not in t.columns:
        return None
    rows = {
        k: _row(t, p)
        for k, p in (
            ("enrol", "Tilmeldinger"),
            ("persons", "Personer"),
            ("done", "- heraf personer, der gennemførte"),
            ("holds", "Antal hold"),
            ("twice", "Personer tilmeldt"),
        )
    }
    if rows["persons"] is None:
        return None
    n = {
        k: parse_number(r["I alt, antal"]) if r is not None else float("nan")
        for k, r in rows.items()
    }
    values.update({f"part_{k}": v for k, v in n.items() if not _missing(v)})
    text = ""
    if not _missing(n["enrol"]) and not _missing(n["holds"]):
        text = f"Kurset blev afholdt på {num(n['holds'])} hold med {num(n['enrol'])} tilmeldinger. "
    if not _missing(n["enrol"]) and n["enrol"] != n["persons"]:
        who = f"{num(n['twice'])} borgere" if not _missing(n["twice"]) else "Nogle borgere"
        text += (
            f"{who} blev tilmeldt mere end én gang, så tilmeldingerne svarer til "
            f"{num(n['persons'])} personer; rapporten tæller herefter personer, hver med "
            "sin gennemførte tilmelding, ellers den seneste. "
        )
    else:
        text += f"Det er {num(n['persons'])} personer. "
    if not _missing(n["done"]):
        share = n["done"] / n["persons"]
        values["part_done_share"] = share
        text += f"{num(n['done'])} af de {num(n['persons'])} personer ({pct(share)}) gennemførte kurset."
    return text.strip()


def build(run_dir: Path | str, indicators: Path | str = SURVEY_INDICATORS) -> Findings:
    """The findings and the resumé of the run in `run_dir`."""
    run = RunFolder(run_dir)
    values: dict[str, float] = {}
    shares = SurveyShares(run, indicator_labels(indicators))
    sections = {}
    for key, make in SECTIONS.items():
        text = make(run, values, shares) if key in NEEDS_SURVEY else make(run, values)
        if text:
            sections[key] = text
    resume = {}
    if "effect" in sections:
        resume["effect"] = sections["effect"]
    if p := participation(run, values):
        resume["participation"] = p
    for key, lead, parts in (
        ("goal1", "Udbytte og trivsel", (("satisfaction", 2), ("who5", 1))),
        (
            "goal2",
            "Progression mod arbejdsmarkedet",
            (("register", 2), ("subgroups", 1), ("self_assessment", 1)),
        ),
        ("qual", "Interviewene", (("qual_themes", 3),)),
        ("recommendations", "Anbefalingerne", (("recommendations", 2),)),
    ):
        texts = [_first_sentences(sections[k], n) for k, n in parts if k in sections]
        if texts:
            resume[key] = f"**{lead}.** " + " ".join(texts)
    return Findings(sections=sections, resume=resume, values=values)


def _first_sentences(text: str, k: int) -> str:
    """The first `k` sentences of a text (a resumé reader gets the lead, the body the rest)."""
    parts = [p for p in text.replace(". ", ".\n").split("\n") if p]
    return " ".join(parts[:k])


__all__ = ["Findings", "build", "certainty", "pd", "share_words"]
