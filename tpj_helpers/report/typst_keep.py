"""Keep a table or figure together with its source line and notes in the PDF.

pandoc writes every labelled table and figure of the report (`::: {#tbl-... .tpj-table}`) as
`#block[ ... ] <tbl-...>`: the table or image, then the *Kilde* line, the notes and the trace line.
Typst may break such a block anywhere, so a table's last note could start the next page on its
own. `keep_together` rewrites these blocks as `#tpj-keep[ ... ]`, which the template defines as a
block that is unbreakable when it fits on a page (a longer one still runs over pages).
"""

from __future__ import annotations

import re

KEEP = "tpj-keep"
LABEL = re.compile(r"\] <(tbl|fig)-[^>]+>")


def _match_close(source: str, start: int) -> int:
    """Index of the `]` that closes the `[` at `start` (skipping escapes and string literals)."""
    depth, i, n = 0, start, len(source)
    in_string = False
    while i < n:
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if in_string:
            in_string = c != '"'
        elif c == '"':
            in_string = True
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def keep_together(source: str) -> str:
    """`#block[...] <tbl-x>` / `<fig-x>` -> `#tpj-keep[...] <tbl-x>`; other blocks as they are."""
    out, pos = [], 0
    for m in re.finditer(r"(?m)^#block\[", source):
        if m.start() < pos:  # inside a block already rewritten or passed
            continue
        bracket = m.end() - 1
        close = _match_close(source, bracket)
        if close < 0:
            break
        if LABEL.match(source, close):
            out.append(source[pos : m.start()])
            out.append(f"#{KEEP}[")
            pos = bracket + 1
    out.append(source[pos:])
    return "".join(out)
