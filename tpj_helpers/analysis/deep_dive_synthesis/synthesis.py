"""The qualitative synthesis of the deep dives: themes by role and municipality, co-occurrence,
personas, triangulation with the quantitative indicators and the evidence behind the
recommendations.

Input is the reader's `QualData` (`tpj_helpers.data.qual.load_qual`): `interviews` (interview_id, role,
kommune, date, deep_dive, text, path), `codebook` (code, parent, label, definition), `segments`
(interview_id, segment_id, text, codes as a list) and `source`.

Definitions (every count below is a count of *interviews*, not of segments, unless it says so):

- A **theme** is a top-level code of the codebook (parent ""); a code `format/online` belongs to
  the theme `format` (the part before the first "/"). Codes under `persona/` are ratings, not
  themes (`NON_THEMES`).
- An interview **mentions** a theme when at least one of its segments carries a code of it.
- **Co-occurrence** of two themes: interviews (or segments) that mention both; the diagonal is
  the interviews mentioning the theme.
- **Persona ratings**: segment codes `persona/<axis>/<1-5>` with the axes naerhed, relevans,
  udbytte. One rating per interview and axis (the mean if an interview carries several); the
  persona's value is the mean over the interviews of its role that carry a rating.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import yaml
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from tpj_helpers.analysis.deep_dive_synthesis import withheld
from tpj_helpers.analysis.deep_dive_synthesis.more_indicators import INDICATORS as MORE_INDICATORS
from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.publish import hidden_marks as hm
from tpj_helpers.publish.present import PALETTE, num, pct, signed
from tpj_helpers.publish.pseudonymise import quote_bank, quote_markdown, role_label

ROLES = ("kursist", "koordinator", "instruktoer", "sagsbehandler", "leder", "fokusgruppe")
ROLE_PLURAL = {
    "kursist": "Kursister",
    "koordinator": "Koordinatorer",
    "instruktoer": "Instruktører",
    "sagsbehandler": "Sagsbehandlere",
    "leder": "Kommunale ledere",
    "fokusgruppe": "Fokusgrupper",
}
ROLE_PLURAL_LOWER = {k: v[0].lower() + v[1:] for k, v in ROLE_PLURAL.items()}
PERSONA_PREFIX = "persona"
NON_THEMES = (PERSONA_PREFIX,)
AXES = {
    "naerhed": "Nærhed til projektet",
    "relevans": "Oplevet relevans for målgruppen",
    "udbytte": "Oplevet udbytte for målgruppen",
}
PERSONAS = {"koordinator": "Koordinatoren", "leder": "Den kommunale leder", "kursist": "Kursisten"}
TOTAL = "I alt"
INTERVIEWS_ROW = "Interviews i alt"
THEME_COLUMN = "Tema"
NO_QUAL = (
    "> **Det kvalitative materiale er ikke i datamappen**, så denne del af analysen kan ikke "
    "laves. Den vises, når mappen `qual/` med interviews, kodebog og kodede uddrag foreligger."
)
MATRIX_NOTE = (
    "Antal interviews, hvor temaet forekommer i mindst ét kodet uddrag. Et interview kan "
    "indeholde flere temaer."
)
ROOT = REPO_ROOT
DEFAULT_TRIANGULATION = ROOT / "params" / "triangulation.yaml"
DEFAULT_RECOMMENDATIONS = ROOT / "params" / "recommendations.yaml"


def load(data_dir) -> object | None:
    """The reader's `QualData`, or None when the data folder has no `qual/` (or no reader)."""
    if not (Path(data_dir) / "qual").is_dir():
        return None
    from tpj_helpers.data.qual import load_qual

    return load_qual(data_dir)


# --------------------------------------------------------------------------- themes


def theme_of(code: str) -> str | None:
    """The theme (top-level code) of a code; None for the persona ratings."""
    top = str(code).strip().split("/")[0]
    return None if not top or top in NON_THEMES else top


def themes(qual) -> pd.DataFrame:
    """theme, label: the codebook's top-level codes in codebook order, then any theme used in
    the segments but missing from the codebook (labelled by its code)."""
    cb = qual.codebook
    top = cb[cb["parent"].fillna("").astype(str) == ""]
    out = [
        (c, lab)
        for c, lab in zip(top["code"].astype(str), top["label"].astype(str), strict=True)
        if theme_of(c)
    ]
    known = {c for c, _ in out}
    used = interview_themes(qual)["theme"].unique()
    out += [(t, t) for t in sorted(set(used) - known)]
    return pd.DataFrame(out, columns=["theme", "label"])


def theme_labels(qual) -> dict[str, str]:
    th = themes(qual)
    return dict(zip(th["theme"], th["label"], strict=True))


def segment_themes(segments: pd.DataFrame) -> pd.DataFrame:
    """interview_id, segment_id, theme: one row per segment and theme it carries."""
    rows = [
        (str(s.interview_id), s.segment_id, t)
        for s in segments.itertuples(index=False)
        for t in dict.fromkeys(theme_of(c) for c in s.codes)
        if t
    ]
    return pd.DataFrame(rows, columns=["interview_id", "segment_id", "theme"])


def interview_themes(qual) -> pd.DataFrame:
    """interview_id, theme, role, kommune, deep_dive: one row per interview mentioning a theme."""
    st = segment_themes(qual.segments)[["interview_id", "theme"]].drop_duplicates()
    iv = qual.interviews.assign(interview_id=qual.interviews["interview_id"].astype(str))
    return st.merge(
        iv[["interview_id", "role", "kommune", "deep_dive"]], on="interview_id", how="inner"
    ).reset_index(drop=True)


def _roles_present(qual) -> list[str]:
    present = set(qual.interviews["role"])
    return [r for r in ROLES if r in present] + sorted(present - set(ROLES))


def theme_matrix(
    qual, by: str = "role", columns: Sequence[str] | None = None, deep_dive_only: bool = False
) -> pd.DataFrame:
    """Interviews mentioning each theme, by role (or by `kommune`).

    One row per theme (codebook order; column `Tema`, the Danish label), one column per role
    (Danish plural) or municipality, then `I alt` (interviews mentioning the theme); a last row
    `Interviews i alt` holds the interviews per column (the denominators). `columns` fixes the
    columns (roles or municipalities; absent ones get zeros). `deep_dive_only` keeps the
    deep-dive interviews.
    """
    iv = qual.interviews.assign(interview_id=qual.interviews["interview_id"].astype(str))
    it = interview_themes(qual)
    if deep_dive_only:
        iv = iv[iv["deep_dive"].astype(bool)]
        it = it[it["deep_dive"].astype(bool)]
    if columns is None:
        columns = _roles_present(qual) if by == "role" else sorted(iv[by].dropna().unique())
    columns = list(columns)
    th = themes(qual)
    counts = (
        it.groupby(["theme", by])
        .size()
        .unstack(fill_value=0)
        .reindex(index=th["theme"], columns=columns, fill_value=0)
    )
    counts[TOTAL] = it.groupby("theme")["interview_id"].nunique().reindex(th["theme"]).fillna(0)
    counts.loc[INTERVIEWS_ROW] = [int((iv[by] == c).sum()) for c in columns] + [len(iv)]
    counts = counts.astype(int)
    names = ROLE_PLURAL if by == "role" else {}
    out = counts.rename(columns=lambda c: names.get(c, c))
    labels = dict(zip(th["theme"], th["label"], strict=True)) | {INTERVIEWS_ROW: INTERVIEWS_ROW}
    out.insert(0, THEME_COLUMN, [labels[t] for t in counts.index])
    return out.reset_index(drop=True)


def cooccurrence(qual, level: str = "interview") -> pd.DataFrame:
    """Theme x theme: interviews (or segments, `level="segment"`) carrying both themes; the
    diagonal is the interviews (segments) carrying the theme. Column `Tema` plus one per theme
    (Danish labels)."""
    if level not in ("interview", "segment"):
        raise ValueError("level must be 'interview' or 'segment'")
    th = themes(qual)
    st = segment_themes(qual.segments)
    unit = (
        st.assign(unit=st["interview_id"])
        if level == "interview"
        else st.assign(unit=st["interview_id"] + "\x1f" + st["segment_id"].astype(str))
    )
    ind = (
        pd.crosstab(unit["unit"], unit["theme"])
        .clip(upper=1)
        .reindex(columns=th["theme"], fill_value=0)
    )
    mat = ind.T.dot(ind).astype(int)
    labels = th["label"].tolist()
    out = pd.DataFrame(mat.to_numpy(), columns=labels)
    out.insert(0, THEME_COLUMN, labels)
    return out


def plot_heatmap(
    df: pd.DataFrame, xlabel: str = "", share_of_column: bool = True, triangle: bool = False
) -> plt.Figure:
    """A heat map of a `theme_matrix` / `cooccurrence` frame: cells annotated with the counts.

    With `share_of_column` (theme matrices) the colour is the share of the column's interviews
    (row `Interviews i alt`), so a role with many interviews does not dominate; the column
    headers carry the N. `triangle` blanks the upper triangle (co-occurrence is symmetric).
    """
    body = df[df[THEME_COLUMN] != INTERVIEWS_ROW].set_index(THEME_COLUMN)
    body = body.drop(columns=[TOTAL], errors="ignore").apply(pd.to_numeric, errors="coerce")
    if not len(body.columns):  # no group with interviews enough to be shown on its own
        return placeholder_figure("Ingen gruppe har interviews nok til at blive vist for sig")
    counts = body.to_numpy(dtype=float)
    cols = list(body.columns)
    if share_of_column and (df[THEME_COLUMN] == INTERVIEWS_ROW).any():
        n = df.loc[df[THEME_COLUMN] == INTERVIEWS_ROW, cols].iloc[0].astype(float).to_numpy()
        colour = counts / np.where(n > 0, n, np.nan)
        cols = [
            f"{textwrap.fill(str(c), 12, break_long_words=False)}\n({hm.n_text(v)})"
            for c, v in zip(cols, n, strict=True)
        ]
        cbar = "Andel af kolonnens interviews"
    else:
        top = np.nanmax(counts) if np.isfinite(counts).any() else 0
        colour = counts / top if top else counts
        cols = [textwrap.fill(str(c), 14, break_long_words=False) for c in cols]
        cbar = "Andel af det højeste antal"
    mask = np.isnan(counts)
    if triangle:
        mask = mask | np.triu(np.ones_like(counts, dtype=bool), k=1)
    annot = np.array([["" if np.isnan(v) else num(v) for v in row] for row in counts])
    fig, ax = plt.subplots(
        figsize=(2.4 + (0.8 if triangle else 1.15) * len(cols), 1.4 + 0.42 * len(body))
    )
    sns.heatmap(
        colour,
        mask=mask,
        annot=annot,
        fmt="",
        cmap="Blues",
        vmin=0,
        vmax=1,
        linewidths=0.5,
        linecolor="white",
        ax=ax,
        cbar_kws={"label": cbar, "shrink": 0.7, "format": FuncFormatter(lambda v, _pos: pct(v))},
    )
    hidden = np.isnan(counts)
    if triangle:
        hidden &= ~np.triu(np.ones_like(counts, dtype=bool), k=1)
    for i, j in zip(*np.nonzero(hidden), strict=True):  # hidden, not empty: the marker, «skjult»
        ax.add_patch(Rectangle((j, i), 1, 1, **hm.HIDDEN_STYLE))
        ax.text(j + 0.5, i + 0.5, hm.HIDDEN_TEXT, ha="center", va="center", fontsize=7)
    tilt = len(cols) > 6
    ax.set_xticklabels(
        cols, rotation=35 if tilt else 0, ha="right" if tilt else "center", fontsize=8
    )
    ax.set_yticklabels(body.index, rotation=0, fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.grid(False)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- quotes


def quotes(qual, per_theme: int = 2, kinds: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The quote bank (`pseudonymise.quote_bank`) with the theme's Danish label (`theme_label`)."""
    bank = quote_bank(qual.segments, qual.interviews, theme_of, per_theme=per_theme, kinds=kinds)
    labels = theme_labels(qual)
    order = {t: i for i, t in enumerate(labels)}
    bank = bank.assign(
        theme_label=bank["theme"].map(labels), _o=bank["theme"].map(order).fillna(len(order))
    )
    return bank.sort_values(["_o", "rank"], kind="stable").drop(columns="_o").reset_index(drop=True)


def quote_table(bank: pd.DataFrame) -> pd.DataFrame:
    """Tema, Citat, Rolle: the display table of the quote bank (pseudonymised quotes only)."""
    return pd.DataFrame(
        {
            THEME_COLUMN: bank["theme_label"],
            "Citat": "»" + bank["quote"] + "«",
            "Rolle": bank["label"],
        }
    ).reset_index(drop=True)


# --------------------------------------------------------------------------- personas


def persona_ratings(qual) -> pd.DataFrame:
    """interview_id, role, axis, rating: one row per interview and axis (the mean of the
    interview's ratings on the axis). Malformed persona codes are ignored."""
    rows = []
    for seg in qual.segments.itertuples(index=False):
        for code in seg.codes:
            parts = str(code).strip().split("/")
            if len(parts) == 3 and parts[0] == PERSONA_PREFIX and parts[1] in AXES:
                try:
                    value = float(parts[2].replace(",", "."))
                except ValueError:
                    continue
                if 1 <= value <= 5:
                    rows.append((str(seg.interview_id), parts[1], value))
    df = pd.DataFrame(rows, columns=["interview_id", "axis", "rating"])
    df = df.groupby(["interview_id", "axis"], as_index=False)["rating"].mean()
    role = qual.interviews.set_index(qual.interviews["interview_id"].astype(str))["role"]
    return df.assign(role=df["interview_id"].map(role))[["interview_id", "role", "axis", "rating"]]


def persona_means(qual, roles: Sequence[str] = tuple(PERSONAS)) -> pd.DataFrame:
    """role, persona, axis, axis_label, mean (1-5), n (interviews with a rating): three rows per
    persona role in `roles`, NaN mean and n 0 where no interview of the role has a rating."""
    r = persona_ratings(qual)
    agg = r.groupby(["role", "axis"])["rating"].agg(["mean", "size"])
    rows = []
    for role in roles:
        for axis, label in AXES.items():
            mean, n = agg.loc[(role, axis)] if (role, axis) in agg.index else (np.nan, 0)
            rows.append(
                {
                    "role": role,
                    "persona": PERSONAS.get(role, role_label(role)),
                    "axis": axis,
                    "axis_label": label,
                    "mean": float(mean),
                    "n": int(n),
                }
            )
    return pd.DataFrame(rows)


def persona_table(means: pd.DataFrame) -> pd.DataFrame:
    """Persona, then one column per axis (mean, 1 decimal), then Interviews (the most rated)."""
    wide = means.pivot(index="persona", columns="axis_label", values="mean")
    wide = wide.reindex(index=means["persona"].unique(), columns=list(AXES.values()))
    n = means.groupby("persona", sort=False)["n"].max()
    out = wide.assign(Interviews=n).reset_index(names="Persona")
    return out


def plot_personas(means: pd.DataFrame) -> plt.Figure:
    """Three small panels (one per persona), a horizontal bar per axis on the 1-5 scale."""
    personas = list(dict.fromkeys(means["persona"]))
    fig, axes = plt.subplots(
        1,
        len(personas),
        figsize=(2.6 * len(personas) + 0.8, 2.6),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    labels = list(AXES.values())
    for ax, persona in zip(axes[0], personas, strict=True):
        sub = means[means["persona"] == persona].set_index("axis_label").reindex(labels)
        vals = pd.to_numeric(sub["mean"], errors="coerce").to_numpy(dtype=float)
        y = np.arange(len(labels))
        ax.barh(y, np.nan_to_num(vals - 1), left=1, color=PALETTE[: len(labels)], height=0.6)
        for yy, v in zip(y, vals, strict=True):
            ax.text(
                (1 if np.isnan(v) else v) + 0.08,
                yy,
                "ingen" if np.isnan(v) else num(v, 1),
                va="center",
                fontsize=8,
            )
        n = pd.to_numeric(sub["n"], errors="coerce").max()  # NA: hidden (under min_cell)
        ax.set_title(f"{persona}\n({hm.n_text(n)})", fontsize=9)
        ax.set_yticks(y, [lab.replace(" for ", "\nfor ") for lab in labels], fontsize=8)
        ax.set_xlim(1, 5.6)
        ax.set_xticks([1, 2, 3, 4, 5])
        ax.invert_yaxis() if ax is axes[0][0] else None
        ax.grid(axis="y", visible=False)
    fig.supxlabel("Gennemsnitlig vurdering (1 = lav, 5 = høj)", fontsize=9)
    fig.tight_layout()
    return fig


def persona_text(qual, means: pd.DataFrame, bank: pd.DataFrame | None = None, top: int = 3) -> str:
    """A synthesis paragraph per persona from the data: its ratings, the themes mentioned in the
    most of its interviews, and one pseudonymised quote from an interview of the role."""
    labels = theme_labels(qual)
    order = {t: i for i, t in enumerate(labels)}
    it = interview_themes(qual)
    iv = qual.interviews
    paragraphs = []
    for role, sub in means.groupby("role", sort=False):
        persona = sub["persona"].iloc[0]
        n_iv = int((iv["role"] == role).sum())
        if n_iv == 0:
            paragraphs.append(
                f"**{persona}.** Der er ingen interviews med "
                f"{ROLE_PLURAL_LOWER.get(role, role)} i materialet."
            )
            continue
        rated = sub.dropna(subset=["mean"])
        ratings = ", ".join(
            f"{_lower(lab)} {num(m, 1)}"
            for lab, m in zip(rated["axis_label"], rated["mean"], strict=True)
        )
        per_theme = it[it["role"] == role].groupby("theme")["interview_id"].nunique()
        ranked = sorted(per_theme.items(), key=lambda kv: (-kv[1], order.get(kv[0], math.inf)))
        counts = pd.Series(dict(ranked[:top]), dtype=int)
        themes_txt = _join(
            [f"{_lower(labels.get(t, t))} ({num(n)} af {num(n_iv)})" for t, n in counts.items()]
        )
        text = (
            f"**{persona}** ({_interviews(n_iv)}). "
            + (
                f"Vurderingerne på skalaen 1-5: {ratings}. "
                if ratings
                else "Interviewene har ingen personavurderinger. "
            )
            + (
                f"De temaer, der optræder i flest af interviewene, er {themes_txt}."
                if themes_txt
                else "Interviewene har ingen kodede temaer."
            )
        )
        quote = _role_quote(qual, role, list(counts.index), bank)
        if quote:
            text += f" {quote}"
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _role_quote(qual, role: str, prefer: Sequence[str], bank: pd.DataFrame | None) -> str:
    """One pseudonymised quote from an interview of `role`: from the quote bank if it has one for
    the role (its most frequent theme first), else the role's own strongest excerpt."""
    if bank is not None and len(bank):
        mine = bank[bank["role"] == role]
        if len(mine):
            order = {t: i for i, t in enumerate(prefer)}
            row = (
                mine.assign(o=mine["theme"].map(order).fillna(len(order)))
                .sort_values(["o", "rank"], kind="stable")
                .iloc[0]
            )
            return quote_markdown(row["quote"], row["label"])
    ids = set(qual.interviews.loc[qual.interviews["role"] == role, "interview_id"].astype(str))
    segs = qual.segments[qual.segments["interview_id"].astype(str).isin(ids)]
    own = quote_bank(segs, qual.interviews, theme_of, per_theme=1)
    if not len(own):
        return ""
    order = {t: i for i, t in enumerate(prefer)}
    row = own.assign(o=own["theme"].map(order).fillna(len(order))).sort_values("o").iloc[0]
    return quote_markdown(row["quote"], row["label"])


def _lower(label: str) -> str:
    """A label inside a sentence: the first letter lowered unless the word is an acronym."""
    label = str(label)
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _interviews(n: int) -> str:
    return f"{num(n)} interview" + ("" if n == 1 else "s")


def _join(parts: Sequence[str]) -> str:
    parts = list(parts)
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]


# --------------------------------------------------------------------------- triangulation


def load_links(path: Path | str | None = None) -> list[dict]:
    """The theme -> indicator links of `params/triangulation.yaml` (checked)."""
    path = Path(path) if path is not None else DEFAULT_TRIANGULATION
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    links = []
    seen = set()
    for entry in raw["links"]:
        link = dict(entry)
        for key in ("id", "themes", "indicator", "label"):
            if key not in link:
                raise ValueError(f"{Path(path).name}: link {entry} lacks '{key}'")
        if link["indicator"] not in INDICATORS:
            raise ValueError(
                f"{Path(path).name}: link '{link['id']}': unknown indicator "
                f"'{link['indicator']}' (known: {sorted(INDICATORS)})"
            )
        if link["id"] in seen:
            raise ValueError(f"{Path(path).name}: duplicate link id '{link['id']}'")
        seen.add(link["id"])
        link["themes"] = [str(t) for t in link["themes"]]
        links.append(link)
    return links


def _completion_rate(data, link, ctx):
    persons = data.persons
    n = int((persons["status"] == "gennemført").sum())
    return {
        "value": n / len(persons) if len(persons) else np.nan,
        "n": len(persons),
        "text": pct(n / len(persons)) if len(persons) else "",
        "source": "Kursusudbyderens tilmeldinger (personer)",
    }


def _survey_share(data, link, ctx):
    from tpj_helpers.analysis.survey_outcomes import change as survey_change

    groups, indicators = survey_change.load_indicators(
        data.surveys.codebook, ctx.get("survey_indicators")
    )
    ind = [i for i in indicators if i["id"] == link["survey_indicator"]]
    if not ind:
        raise ValueError(
            f"triangulation link '{link['id']}': unknown survey indicator "
            f"'{link['survey_indicator']}'"
        )
    shares = survey_change.indicator_shares(data, groups, ind, phase=ctx.get("phase"))
    if "wave" in link:
        shares = shares[shares["wave"] == link["wave"]]
    if not len(shares):
        return {"value": np.nan, "n": 0, "text": "", "source": "Kursistspørgeskema"}
    row = shares.iloc[0]
    return {
        "value": float(row["share"]),
        "n": int(row["n_scale"]),
        "text": pct(row["share"]),
        "source": f"Kursistspørgeskema, {str(row['wave_label']).lower()}",
        "where": withheld.where(
            withheld.SURVEY_INDICATORS,
            {"Indikator": row["label"], "Måling": row["wave_label"]},
            ["Andel (%)"],
            n_columns=["Antal", "N"],
        ),
    }


def _persons_per_kommune(data, link, ctx):
    per = data.persons.groupby("kommune")["person_id"].nunique()
    if not len(per):
        return {"value": np.nan, "n": 0, "text": "", "source": "Kursusudbyderens tilmeldinger"}
    med = float(per.median())
    return {
        "value": med,
        "n": int(per.sum()),
        "text": f"median {num(med, 1 if med % 1 else 0)} pr. kommune ({num(len(per))} kommuner)",
        "source": "Kursusudbyderens tilmeldinger (personer pr. kommune)",
    }


def _response_rate(data, link, ctx):
    from tpj_helpers.analysis.survey_outcomes import tables as survey_tables

    rates = survey_tables.response_rates(data, ctx.get("phase"))
    label = dict(data.surveys.codebook.waves).get(link["wave"], link["wave"])
    row = rates[rates[survey_tables.WAVE_COLUMN] == label]
    if not len(row):
        return {"value": np.nan, "n": 0, "text": "", "source": "Spørgeskemaudsendelser"}
    cols = survey_tables.RESPONSE_COLUMNS
    sent, rate = int(row[cols["sent"]].iloc[0]), float(row[cols["rate"]].iloc[0])
    return {
        "value": rate / 100,
        "n": sent,
        "text": pct(rate / 100),
        "source": f"Spørgeskemaudsendelser og besvarelser, {label.lower()}",
    }


def _register_change(data, link, ctx):
    from tpj_helpers.analysis.register_regressions import models as register

    persons = register.analysis_persons(data)
    model = link.get("model", "two_point_post")
    try:
        est = register.two_point(data, persons, model)
    except register.ModelNotEstimable as exc:
        return {
            "value": np.nan,
            "n": len(persons),
            "text": f"kan ikke estimeres ({exc})",
            "source": "DREAM",
        }
    row = est[est["term"] == "change"].iloc[0]
    return {
        "value": float(row["estimate"]),
        "n": int(row["n_persons"]),
        "text": f"{signed(float(row['estimate']))} point "
        f"(95 %-KI {register.ci_text(float(row['conf_low']), float(row['conf_high']))})",
        "source": "DREAM-registeret, kursister der har gennemført",
    }


NO_DATA = "ingen data"
INDICATORS: dict[str, Callable] = {
    "completion_rate": _completion_rate,
    "survey_share": _survey_share,
    "persons_per_kommune": _persons_per_kommune,
    "response_rate": _response_rate,
    "register_change": _register_change,
    **MORE_INDICATORS,  # registration_share, who5_difference, subgroup_interaction
}


def indicator_values(
    data, links: list[dict], phase: str | None = None, survey_indicators: Path | str | None = None
) -> pd.DataFrame:
    """id, label, value, n, text, source: each link's indicator computed on this run's data
    through the analysis modules (survey_change, survey_tables, register); an indicator without
    data reads "ingen data", a failing one gives the reason in `text`, never a stop."""
    ctx = {"phase": phase, "survey_indicators": survey_indicators}
    rows = []
    for link in links:
        try:
            res = INDICATORS[link["indicator"]](data, link, ctx)
        except (KeyError, ValueError, IndexError, AttributeError) as exc:
            res = {"value": np.nan, "n": 0, "text": f"kan ikke beregnes ({exc})", "source": ""}
        if not res.get("text"):
            res["text"] = NO_DATA
        rows.append({"id": link["id"], "label": link["label"], **res})
    return pd.DataFrame(rows, columns=["id", "label", "value", "n", "text", "source", "where"])


def interview_codes(qual, codes: Sequence[str]) -> pd.DataFrame:
    """interview_id, code, role: one row per interview and cited code it mentions. A cited code
    is a theme (`format`) or any code of the codebook (`redskaber/handleplaner`); an interview
    mentions it when one of its segments carries the code or a code under it."""
    role = qual.interviews.set_index(qual.interviews["interview_id"].astype(str))["role"]
    rows = set()
    for seg in qual.segments.itertuples(index=False):
        for cited in codes:
            if any(str(c) == cited or str(c).startswith(cited + "/") for c in seg.codes):
                rows.add((str(seg.interview_id), cited))
    df = pd.DataFrame(sorted(rows), columns=["interview_id", "code"])
    df = df[df["interview_id"].isin(role.index)]
    return df.assign(role=df["interview_id"].map(role)).reset_index(drop=True)


def code_labels(qual) -> dict[str, str]:
    """Danish labels of every code (codebook) and theme."""
    cb = qual.codebook
    return dict(zip(cb["code"].astype(str), cb["label"].astype(str), strict=True)) | theme_labels(
        qual
    )


def _theme_counts(qual) -> pd.Series:
    return interview_themes(qual).groupby("theme")["interview_id"].nunique()


def triangulation_table(
    qual,
    links: list[dict],
    values: pd.DataFrame,
    min_cell: int = 5,
) -> pd.DataFrame:
    """Tema, Interviews, Indikator, Værdi, N, Kilde: one row per link. `Interviews` counts the
    interviews mentioning any of the link's themes or codes (`interview_codes`); a value resting
    on fewer than `min_cell` persons is shown as hidden ("<min_cell"); a value that its source
    table hides (text "..", `withheld.mask`) or whose N it hides (`n_withheld`) is shown without
    its N."""
    labels = code_labels(qual)
    it = interview_codes(qual, sorted({c for link in links for c in link["themes"]}))
    vals = values.set_index("id")
    rows = []
    for link in links:
        mentioned = it.loc[it["code"].isin(link["themes"]), "interview_id"].nunique()
        v = vals.loc[link["id"]]
        n = int(v["n"]) if pd.notna(v["n"]) else 0
        text = v["text"] if not (0 < n < min_cell) else f"<{min_cell}"
        if text == withheld.WITHHELD or bool(v.get("n_withheld", False)):
            n = None
        known = [labels[t] for t in link["themes"] if t in labels]
        shown = known or [f"{t} (ikke i kodebogen)" for t in link["themes"]]
        rows.append(
            {
                THEME_COLUMN: "; ".join(shown),
                "Interviews": int(mentioned),
                "Indikator": v["label"],
                "Værdi": text,
                "N": n,
                "Kilde": v["source"],
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- recommendations


def load_recommendations(
    path: Path | str | None = None, links: list[dict] | None = None
) -> list[dict]:
    """The recommendations of `params/recommendations.yaml`; cited indicator ids are checked
    against the triangulation links when given."""
    path = Path(path) if path is not None else DEFAULT_RECOMMENDATIONS
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    known = {link["id"] for link in links} if links is not None else None
    out = []
    for entry in raw["recommendations"]:
        rec = {"indicators": [], **entry}
        for key in ("id", "title", "text", "themes"):
            if key not in rec:
                raise ValueError(f"{Path(path).name}: recommendation {entry} lacks '{key}'")
        if known is not None and not set(rec["indicators"]) <= known:
            raise ValueError(
                f"{Path(path).name}: recommendation '{rec['id']}' cites unknown "
                f"indicators {sorted(set(rec['indicators']) - known)}"
            )
        out.append(rec)
    return out


def recommendation_evidence(qual, recommendations: list[dict]) -> pd.DataFrame:
    """Per recommendation: id, title, per_theme ({cited theme or code: interviews mentioning it}),
    interviews (mentioning any cited theme or code), roles ({role: those interviews of the role},
    in role order)."""
    it = interview_codes(qual, sorted({c for rec in recommendations for c in rec["themes"]}))
    rows = []
    for rec in recommendations:
        mine = it[it["code"].isin(rec["themes"])]
        per_theme = {
            t: int(mine.loc[mine["code"] == t, "interview_id"].nunique()) for t in rec["themes"]
        }
        by_role = mine.drop_duplicates("interview_id")["role"].value_counts()
        roles = {
            r: int(by_role[r])
            for r in [*ROLES, *sorted(set(by_role.index) - set(ROLES))]
            if r in by_role.index
        }
        rows.append(
            {
                "id": rec["id"],
                "title": rec["title"],
                "per_theme": per_theme,
                "interviews": int(mine["interview_id"].nunique()),
                "roles": roles,
            }
        )
    return pd.DataFrame(rows)


def recommendation_table(
    qual, recommendations: list[dict], values: pd.DataFrame | None = None, min_cell: int = 5
) -> pd.DataFrame:
    """Nr., Anbefaling, Temaer (interviews), Interviews, Roller, Indikatorer: the display table.
    `Roller` names the role groups (roles of fewer than `min_cell` interviews merged) without
    counts (`small_groups.role_names_text`)."""
    from tpj_helpers.analysis.deep_dive_synthesis import small_groups

    labels = code_labels(qual)
    sizes = qual.interviews["role"].value_counts()
    role_sizes = {r: int(sizes.get(r, 0)) for r in _roles_present(qual)}
    ev = recommendation_evidence(qual, recommendations)
    vals = values.set_index("id") if values is not None else None
    rows = []
    for i, (rec, e) in enumerate(zip(recommendations, ev.itertuples(index=False), strict=True), 1):
        ind = []
        for lid in rec.get("indicators", []):
            if vals is None or lid not in vals.index:
                continue
            v = vals.loc[lid]
            n = int(v["n"]) if pd.notna(v["n"]) else 0
            shown = f"<{min_cell}" if 0 < n < min_cell else v["text"]
            ind.append(f"{v['label']}: {shown}" if shown else str(v["label"]))
        rows.append(
            {
                "Nr.": i,
                "Anbefaling": rec["title"],
                "Temaer (interviews)": "; ".join(
                    f"{labels.get(t, t)} ({num(n)})" for t, n in e.per_theme.items()
                ),
                "Interviews": e.interviews,
                "Roller": small_groups.role_names_text(
                    e.roles, role_sizes, min_cell, total=e.interviews
                ),
                "Indikatorer": "; ".join(ind),
            }
        )
    return pd.DataFrame(rows)


def recommendation_text(recommendations: list[dict]) -> str:
    """The recommendations as a numbered Markdown list (title in bold, then the text)."""
    return "\n".join(
        f"{i}. **{r['title']}.** {r['text'].strip()}" for i, r in enumerate(recommendations, 1)
    )


# --------------------------------------------------------------------------- summary and source


def source_line(qual) -> str:
    iv = qual.interviews
    deep = int(iv["deep_dive"].astype(bool).sum())
    return (
        f"Interviews og deep dives, kodede uddrag ({'REFI-QDA-eksport' if qual.source == 'qdpx' else 'kodebog og uddrag'}). "
        f"N = {num(len(iv))} interviews, heraf {num(deep)} fra deep dives; "
        f"{num(len(qual.segments))} kodede uddrag"
    )


def synthesis_text(qual, top: int = 3, role_table: pd.DataFrame | None = None) -> str:
    """A short Danish reading of the theme matrix: how many interviews and themes, the themes
    in the most interviews, and for each role group of the *published* role table
    (`role_table`, `small_groups.role_matrix` after `Publisher.table`; groups of at least
    `min_cell` interviews) the theme it raises most often, only where the group's column shows
    every count (a ranking beside hidden cells would bound them). Without `role_table`, no
    per-role sentence."""
    labels = theme_labels(qual)
    counts = _theme_counts(qual).reindex(list(labels)).fillna(0).astype(int)
    order = {t: i for i, t in enumerate(labels)}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], order[kv[0]]))
    n_iv = len(qual.interviews)
    lead = _join([f"{_lower(labels[t])} ({num(n)} af {num(n_iv)})" for t, n in ranked[:top] if n])
    per_role = []
    if role_table is not None:
        body = role_table[role_table[THEME_COLUMN] != INTERVIEWS_ROW]
        for col in [c for c in role_table.columns if c not in (THEME_COLUMN, TOTAL)]:
            values = pd.to_numeric(body[col], errors="coerce")
            if values.isna().any() or not (values > 0).any():
                continue
            best = body[THEME_COLUMN].iloc[int(np.argmax(values.to_numpy()))]
            name = col.split(":")[0] if col.startswith("Øvrige:") else col
            per_role.append(f"{_lower(name)}: {_lower(best)}")
    return (
        f"Materialet rummer {num(n_iv)} interviews og {num(len(labels))} temaer. "
        + (f"De temaer, der optræder i flest interviews, er {lead}. " if lead else "")
        + (f"Det tema, hver rolle oftest berører: {'; '.join(per_role)}." if per_role else "")
    ).strip()


# --------------------------------------------------------------------------- without material

NO_QUAL_SHORT = "*Det kvalitative materiale er ikke i datamappen; denne opgørelse kan ikke laves.*"
NO_QUAL_SOURCE = "det kvalitative materiale (mappen qual/) findes ikke i datamappen"


def placeholder_figure(
    message: str = "Det kvalitative materiale er ikke i datamappen",
) -> plt.Figure:
    """A small empty figure that says why there is no figure (a figure cell must show an image)."""
    fig, ax = plt.subplots(figsize=(6, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, style="italic")
    return fig


def publish_missing(pub, name: str, figure: bool = False) -> None:
    """What a table or figure cell shows when the data folder has no qualitative material."""
    if figure:
        pub.figure(pd.DataFrame(), name, NO_QUAL_SOURCE, plot=lambda _df: placeholder_figure())
    else:
        pub.text(NO_QUAL_SHORT)
