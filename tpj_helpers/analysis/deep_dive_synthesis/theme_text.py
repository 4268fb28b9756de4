"""What the qualitative material says, theme by theme, in Danish prose built from the coded data.

- `theme_paragraphs`: per theme (most interviews first) its definition from the codebook, how
  many interviews mention it, its most frequent sub-codes (counts over all interviews), the
  role groups or deep-dive municipalities where it is clearly more or less present (read from
  the published tables, `small_groups.contrast`: groups of at least `min_cell` interviews,
  rows without hidden cells), and
  two quotes from different roles side by side (the quote bank spreads a theme's quotes on roles).
- `persona_narratives`: a short portrait of each persona role written from its coded segments:
  the sub-codes its interviews carry most, read through their definitions, and one quote. Only
  a role with at least `min_cell` interviews is given its number of interviews; no sub-code is
  given a count (a role's count for a sub-code bounds the role's hidden cells in the role table).
- `codebook_text`: every code with its definition (the codes the report's tables name included),
  for the appendix.

A "clear" difference: two groups of the published table whose shares of interviews mentioning
the theme differ by at least `GAP`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from tpj_helpers.analysis.deep_dive_synthesis import small_groups
from tpj_helpers.analysis.deep_dive_synthesis import synthesis as S
from tpj_helpers.publish.present import num
from tpj_helpers.publish.pseudonymise import quote_markdown

GAP = 0.5


def _codes(qual) -> pd.DataFrame:
    cb = qual.codebook.copy()
    cb["code"] = cb["code"].astype(str)
    cb["parent"] = cb["parent"].fillna("").astype(str)
    return cb


def _definition(text: str) -> str:
    text = str(text).strip()
    return text if text.endswith(".") else text + "."


def _sentence_part(text: str) -> str:
    """A definition inside a sentence: no final full stop, first letter lowered."""
    return S._lower(str(text).strip().rstrip("."))


def code_interviews(qual) -> pd.DataFrame:
    """interview_id, code, role, kommune: one row per interview and code (each code's parents
    included: an interview mentions a theme when it carries one of its codes)."""
    iv = qual.interviews.assign(interview_id=qual.interviews["interview_id"].astype(str))
    rows = set()
    for seg in qual.segments.itertuples(index=False):
        for c in seg.codes:
            parts = str(c).split("/")
            if parts[0] in S.NON_THEMES:
                continue
            for k in range(1, len(parts) + 1):
                rows.add((str(seg.interview_id), "/".join(parts[:k])))
    df = pd.DataFrame(sorted(rows), columns=["interview_id", "code"])
    return df.merge(
        iv[["interview_id", "role", "kommune", "deep_dive"]], on="interview_id", how="inner"
    )


def theme_paragraphs(
    qual,
    bank: pd.DataFrame | None = None,
    top_sub: int = 3,
    role_table: pd.DataFrame | None = None,
    municipality_table: pd.DataFrame | None = None,
) -> str:
    """One paragraph per theme (see the module docstring), most interviews first. The role and
    municipality contrasts are read from the *published* breakdowns (`role_table`,
    `municipality_table`: `Publisher.table`'s results of `small_groups.role_matrix` /
    `municipality_matrix`), so they compare only groups of at least `min_cell` interviews and
    rows without hidden cells (`small_groups.contrast`); without them no contrast is written."""
    cb = _codes(qual)
    iv = qual.interviews.assign(interview_id=qual.interviews["interview_id"].astype(str))
    ci = code_interviews(qual)
    n_iv = iv["interview_id"].nunique()
    counts = ci.groupby("code")["interview_id"].nunique()
    themes = cb[cb["parent"] == ""]
    themes = themes[~themes["code"].isin(S.NON_THEMES)]
    order = sorted(themes.itertuples(index=False), key=lambda t: -int(counts.get(t.code, 0)))
    out = []
    for t in order:
        n = int(counts.get(t.code, 0))
        text = f"**{t.label}** ({num(n)} af {num(n_iv)} interviews). {_definition(t.definition)}"
        subs = cb[cb["parent"] == t.code]
        subs = sorted(
            ((s.label, int(counts.get(s.code, 0))) for s in subs.itertuples(index=False)),
            key=lambda kv: -kv[1],
        )
        subs = [(lab, k) for lab, k in subs if k][:top_sub]
        if subs:
            text += (
                " Oftest handler det om "
                + S._join([f"{S._lower(lab)} ({num(k)})" for lab, k in subs])
                + "."
            )
        extras = []
        if role_table is not None:
            extras.append(small_groups.contrast(role_table, t.label, GAP))
        if municipality_table is not None:
            extras.append(small_groups.contrast(municipality_table, t.label, GAP, municipal=True))
        for extra in extras:
            if extra:
                text += f" {extra}"
        if bank is not None and len(bank):
            mine = bank[bank["theme"] == t.code].sort_values("rank", kind="stable")
            mine = mine.drop_duplicates("role").head(2)
            if len(mine) == 2:
                a, b = (quote_markdown(r["quote"], r["label"]) for _, r in mine.iterrows())
                text += f" To stemmer: {a}; {b}"
            elif len(mine) == 1:
                r = mine.iloc[0]
                text += f" {quote_markdown(r['quote'], r['label'])}"
        out.append(text)
    return "\n\n".join(out)


def persona_narratives(
    qual,
    bank: pd.DataFrame | None = None,
    min_cell: int = 5,
    roles: Sequence[str] = tuple(S.PERSONAS),
    top: int = 2,
) -> str:
    """A portrait per persona role from its coded segments (see the module docstring)."""
    cb = _codes(qual)
    defs = dict(zip(cb["code"], cb["definition"], strict=True))
    labels = dict(zip(cb["code"], cb["label"], strict=True))
    ci = code_interviews(qual)
    iv = qual.interviews
    out = []
    for role in roles:
        persona = S.PERSONAS.get(role, role)
        n_iv = int((iv["role"] == role).sum())
        if n_iv == 0:
            out.append(
                f"**{persona}.** Der er ingen interviews med "
                f"{S.ROLE_PLURAL_LOWER.get(role, role)} i materialet."
            )
            continue
        mine = ci[(ci["role"] == role) & ci["code"].str.contains("/")]
        ranked = (
            mine.groupby("code")["interview_id"]
            .nunique()
            .sort_values(ascending=False, kind="stable")
        )
        top_codes = list(ranked.index[:top])
        counted = n_iv >= min_cell
        who = (
            f"{persona} ({num(n_iv)} interviews)"
            if counted
            else f"{persona} (færre end {num(min_cell)} interviews, derfor uden tal)"
        )
        if not top_codes:
            out.append(f"**{who}.** Interviewene har ingen kodede underemner.")
            continue
        parts = []
        for c in top_codes:
            part = f"{_sentence_part(defs.get(c, labels.get(c, c)))} ({S._lower(labels.get(c, c))}"
            part += ")"  # no count: it would bound the role's hidden cells in the role table
            parts.append(part)
        text = f"**{who}.** Optaget af {S._join(parts)}."
        quote = S._role_quote(qual, role, [c.split("/")[0] for c in top_codes], bank)
        if quote:
            text += f" {quote}"
        out.append(text)
    return "\n\n".join(out)


def codebook_text(qual, cited: Sequence[str] = ()) -> str:
    """Every theme and code with its definition, as a Markdown list under each theme; codes that
    the report's tables cite (`cited`) are marked."""
    cb = _codes(qual)
    cited = set(cited)
    lines = []
    for t in cb[(cb["parent"] == "") & ~cb["code"].isin(S.NON_THEMES)].itertuples(index=False):
        lines.append(f"- **{t.label}**: {_definition(t.definition)}")
        for s in cb[cb["parent"] == t.code].itertuples(index=False):
            mark = " (nævnt i tabellerne)" if s.code in cited else ""
            lines.append(f"    - *{s.label}*{mark}: {_definition(s.definition)}")
    return "\n".join(lines)
