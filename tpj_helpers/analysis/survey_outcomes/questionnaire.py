"""The questionnaire as an appendix (as Bilag 15-16 of the published evaluation): every question's
wording and its answers, from the survey codebook, split into the questions asked at every
measurement and those asked only at some.

Multi-select options are listed under their question; a battery's lead-in (`stem`) is written
once before its statements; the special codes an item allows ("Ved ikke", ...) follow its answers.
Nothing is counted here: it is the codebook, in the reader's words.
"""

from __future__ import annotations

from tpj_helpers.data.survey import Codebook

FREE_TEXT = "fritekst"


def _answers(item) -> str:
    if item.type == "text":
        return FREE_TEXT
    if item.type == "numeric":
        lo, hi = item.value_range or ("", "")
        return f"tal{f' ({lo}-{hi})' if lo != '' else ''}"
    words = list(item.answers) + [
        item.special_labels[c] for c in item.special if c in item.special_labels
    ]
    return " / ".join(f"»{w}«" for w in words)


def _block(codebook: Codebook, items) -> list[str]:
    lines, stem, multi_q = [], None, None
    for it in items:
        if it.type == "multi":
            if it.question != multi_q:
                lines.append(f"- {it.question} *(flere svar mulige)*")
                multi_q, stem = it.question, None
            lines.append(f"    - {it.option}")
            continue
        multi_q = None
        if it.stem:
            if it.stem != stem:
                lines.append(f"- *{it.stem}*")
                stem = it.stem
            lines.append(f"    - {it.question} *Svar:* {_answers(it)}")
            continue
        stem = None
        lines.append(f"- {it.question} *Svar:* {_answers(it)}")
    return lines


def questionnaire_text(codebook: Codebook) -> str:
    """Markdown: the questions of all measurements, then those of some, by questionnaire group."""
    waves = tuple(codebook.waves)
    parts = []
    for title, pick in (
        ("Spørgsmål i alle målinger", lambda it: set(it.waves) == set(waves)),
        ("Spørgsmål i nogle målinger", lambda it: set(it.waves) != set(waves)),
    ):
        items = [it for it in codebook.items if pick(it)]
        if not items:
            continue
        parts.append(f"**{title}**")
        for group, label in codebook.groups.items():
            mine = [it for it in items if it.group == group]
            if not mine:
                continue
            when = sorted({w for it in mine for w in it.waves}, key=waves.index)
            shown = ", ".join(codebook.waves[w].lower() for w in when)
            parts.append(f"*{label}* ({shown})\n\n" + "\n".join(_block(codebook, mine)))
    return "\n\n".join(parts)
