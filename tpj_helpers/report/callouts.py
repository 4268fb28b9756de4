"""Callout boxes (`::: {.callout-warning title="..."}`) for pandoc: a Lua filter for HTML and Typst."""

from __future__ import annotations

import os
import threading
from pathlib import Path

# Quarto draws callouts (`::: {.callout-warning title="..."}`) itself. pandoc alone keeps them as
# plain divs: in HTML the title is only a tooltip, in Typst the box has no frame at all. This
# filter makes them visible boxes in both: the title becomes the box's first line (bold), HTML
# keeps the `callout-*` class that `style.css` frames, Typst gets a filled block with a coloured
# left rule (independent of the report's Typst template).
CALLOUT_FILTER_NAME = "_callouts.lua"
CALLOUT_COLOURS = {  # kind -> (fill, rule), as .callout-* in report/style.css
    "note": ("#f1f6f8", "#0b5d7a"),
    "tip": ("#f1f6f8", "#0b5d7a"),
    "important": ("#fdf5ec", "#b35c00"),
    "warning": ("#fdf5ec", "#b35c00"),
    "caution": ("#fdf5ec", "#b35c00"),
}
CALLOUT_FILTER = """\
local STYLE = {@STYLE@}

function Div(div)
  local kind
  for _, c in ipairs(div.classes) do
    local k = c:match("^callout%-(%a+)$")
    if k and STYLE[k] then kind = k end
  end
  if not kind then return nil end
  local content = pandoc.List(div.content)
  local title = div.attributes["title"]
  if title and title ~= "" then
    local parsed = pandoc.read(title, "markdown").blocks
    local inlines = #parsed > 0 and parsed[1].content or pandoc.Inlines({})
    content:insert(1, pandoc.Div({pandoc.Para({pandoc.Strong(inlines)})},
                                 pandoc.Attr("", {"callout-title"})))
    div.attributes["title"] = nil
  end
  if FORMAT:match("typst") then
    local s = STYLE[kind]
    local out = pandoc.List({pandoc.RawBlock("typst", string.format(
      '#block(width: 100%%, inset: (x: 10pt, y: 7pt), fill: rgb("%s"), '
      .. 'stroke: (left: 3pt + rgb("%s")), breakable: true)[', s[1], s[2]))})
    out:extend(content)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  end
  div.content = content
  return div
end
""".replace(
    "@STYLE@",
    ", ".join(f'{k} = {{"{fill}", "{rule}"}}' for k, (fill, rule) in CALLOUT_COLOURS.items()),
)


def callout_filter(src: Path) -> Path:
    """Write the callout filter next to the staged source (once); returns its path."""
    path = src / CALLOUT_FILTER_NAME
    if not path.is_file() or path.read_text(encoding="utf-8") != CALLOUT_FILTER:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(CALLOUT_FILTER, encoding="utf-8")
        os.replace(tmp, path)  # atomic: the HTML and PDF renders may ask at the same time
    return path
