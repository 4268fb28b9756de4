"""The PDF keeps a labelled table or figure with its source line and notes (`typst_keep`)."""

from __future__ import annotations

from tpj_helpers.report.typst_keep import keep_together

SOURCE = """Text with a link #link(<tbl-a>)[Tabel 1].

#block[
#figure(table([a], [b \\] c]), caption: [#strong[Tabel 1:] x])

#emph[Kilde: y "quoted ] bracket"]
] <tbl-a>

#block[
Some callout text [with brackets]
]

#block[
#block[
#figure(image("f.png"))
] <fig-b>
] <txt-c>
"""


def test_labelled_tables_and_figures_are_kept_others_untouched():
    out = keep_together(SOURCE)
    # the table block and the figure block nested in a text block become tpj-keep; the
    # unlabelled callout block and the text block (txt-) stay blocks
    assert out.count("#tpj-keep[") == 2
    assert out.count("#block[") == 2
    assert "#tpj-keep[\n#figure(table(" in out
    assert "#tpj-keep[\n#figure(image(" in out
    assert "#block[\nSome callout text [with brackets]\n]" in out
    # nothing else changes: the rewrite only renames the openings
    assert out.replace("#tpj-keep[", "#block[") == SOURCE


def test_unbalanced_source_is_left_as_it_is():
    broken = "#block[\nno end <tbl-x>\n"
    assert keep_together(broken) == broken
