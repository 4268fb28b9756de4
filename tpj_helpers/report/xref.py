"""Danish numbering of figures and tables and the `@fig-`/`@tbl-` cross-references.

Figures and tables are numbered separately in order of appearance ("Figur 1", "Tabel 1");
`@fig-x` / `@tbl-x` in the text become links "Figur 1" / "Tabel 1" (`-@fig-x` gives the number
alone, `[@fig-a; @tbl-b]` reads "Figur 1 og Tabel 2"). Labels must be unique in the report;
unknown labels and references stop the render with a `RenderError` saying where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tpj_helpers.report.errors import RenderError

FIGURE_WORD, TABLE_WORD = "Figur", "Tabel"
FENCE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,})")
LABEL_CHARS = r"[A-Za-z0-9_](?:[A-Za-z0-9_.:-]*[A-Za-z0-9_])?"
# `@fig-x`, `-@fig-x` (number only); not inside words or e-mail addresses.
REF = re.compile(rf"(?<![\w@.])(?P<minus>-?)@(?P<label>(?P<kind>[a-z]+)-{LABEL_CHARS})")
# `[@fig-a]`, `[@fig-a; @tbl-b]`: Quarto prints these without the brackets.
REF_GROUP = re.compile(rf"\[\s*(-?@[a-z]+-{LABEL_CHARS}(?:\s*;\s*-?@[a-z]+-{LABEL_CHARS})*)\s*\]")
CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.S)
XREF_KINDS = {"fig": FIGURE_WORD, "tbl": TABLE_WORD}
# Quarto cross-reference kinds the fallback does not number: a reference to one is an error.
UNSUPPORTED_XREF_KINDS = {
    "sec",
    "eq",
    "lst",
    "thm",
    "lem",
    "cor",
    "prp",
    "cnj",
    "def",
    "exm",
    "exr",
}


@dataclass
class Chunk:
    text: str
    origin: str  # for messages: "report/index.qmd line 12 (output of notebooks/x.ipynb#label)"
    line: int | None = None  # qmd line of the first line (None: an embedded output)


def closes(fence: str, line: str) -> bool:
    """Whether `line` closes the code block opened by `fence` (same character, at least as long)."""
    m = FENCE.match(line)
    return (
        bool(m)
        and m.group("fence")[0] == fence[0]
        and len(m.group("fence")) >= len(fence)
        and not line.strip().lstrip(fence[0])
    )


class Numbering:
    """The report's labels: who claimed which, the numbers of figures and tables, the references.

    `shown` is how messages name the qmd (the repository's file, not the copy).
    """

    def __init__(self, shown: str):
        self.shown = shown
        self.numbers: dict[str, str] = {}  # label -> "Figur 1" / "Tabel 1"
        self.anchors: dict[str, str] = {}  # every id this renderer created -> where
        self.counts = {"fig": 0, "tbl": 0}

    def where(self, lineno: int) -> str:
        return f"{self.shown} line {lineno}"

    def claim(self, label: str, where: str) -> None:
        if label in self.anchors:
            raise RenderError(
                f"{where}: label '{label}' is used twice (first at {self.anchors[label]}); "
                "every figure, table and text label must be unique in the report"
            )
        self.anchors[label] = where

    def number(self, kind: str, label: str) -> str:
        self.counts[kind] += 1
        self.numbers[label] = f"{XREF_KINDS[kind]} {self.counts[kind]}"
        return self.numbers[label]

    # ----------------------------------------------------------------- references

    def _ref_text(self, label: str, minus: str, origin: str) -> str:
        kind = label.split("-", 1)[0]
        if label not in self.numbers:
            if kind in UNSUPPORTED_XREF_KINDS:
                raise RenderError(
                    f"{origin}: @{label}: the project's renderer numbers only figures (@fig-) "
                    "and tables (@tbl-); write the reference as a link instead"
                )
            known = ", ".join(sorted(self.numbers)) or "none"
            raise RenderError(
                f"{origin}: @{label} refers to no figure or table in the report (known: {known})"
            )
        text = self.numbers[label].split()[-1] if minus else self.numbers[label]
        return f"[{text}](#{label})"

    def _replace_refs(self, line: str, origin: str) -> str:
        """Replace the references of one line (outside code spans)."""

        def group(m: re.Match) -> str:
            refs = [REF.fullmatch(r.strip()) for r in m.group(1).split(";")]
            kinds = {*XREF_KINDS, *UNSUPPORTED_XREF_KINDS}
            if not all(r and r.group("kind") in kinds for r in refs):
                return m.group(0)
            parts = [self._ref_text(r.group("label"), r.group("minus"), origin) for r in refs]
            return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " og " + parts[-1]

        def single(m: re.Match) -> str:
            kind = m.group("kind")
            if kind not in XREF_KINDS and kind not in UNSUPPORTED_XREF_KINDS:
                return m.group(0)  # '@someone' is not a cross-reference
            return self._ref_text(m.group("label"), m.group("minus"), origin)

        pieces, last = [], 0
        for cm in CODE_SPAN.finditer(line):
            pieces.append(REF.sub(single, REF_GROUP.sub(group, line[last : cm.start()])))
            pieces.append(cm.group(0))
            last = cm.end()
        pieces.append(REF.sub(single, REF_GROUP.sub(group, line[last:])))
        return "".join(pieces)

    def references(self, chunks: list[Chunk]) -> str:
        """All chunks joined, with the references replaced outside code blocks and code spans."""
        texts = []
        for chunk in chunks:
            out, fence = [], None
            for i, line in enumerate(chunk.text.split("\n")):
                fm = FENCE.match(line)
                if fence is None and fm:
                    fence = fm.group("fence")
                elif fence is not None:
                    if closes(fence, line):
                        fence = None
                else:
                    origin = chunk.origin if chunk.line is None else self.where(chunk.line + i)
                    line = self._replace_refs(line, origin)
                out.append(line)
            if "".join(out).strip():
                texts.append("\n".join(out).strip("\n"))
        return "\n\n".join(texts) + "\n"
