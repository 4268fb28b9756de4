"""The theme-by-theme prose, the persona portraits and the codebook appendix
(`deep_dive_synthesis.theme_text`) on the hand-made interviews of test_qual_analysis.

By hand (see that module's docstring): 6 interviews; format in i1, i4 (2); redskaber in i3, i4,
i5 (3); opfoelgning in i1, i3, i6 (3); koordinator in i1, i2 (2). Sub-codes: format/online i1,
i4 (2); format/chat i4 (1); redskaber/handleplan i3, i5 (2).
"""

from __future__ import annotations

import pytest

from tests.test_qual_analysis import qual  # noqa: F401  (fixture)
from tpj_helpers.analysis.deep_dive_synthesis import theme_text as T


@pytest.fixture
def defined(qual):  # noqa: F811
    defs = {
        "format": "Hvordan kurset afvikles",
        "format/online": "Deltagelse hjemmefra",
        "format/chat": "Dialog i chatten",
        "redskaber": "Kursets redskaber",
        "redskaber/handleplan": "Ugentlige planer",
        "opfoelgning": "Det der sker bagefter",
        "koordinator": "Koordinatorens rolle",
        "persona": "",
    }
    qual.codebook["definition"] = qual.codebook["code"].map(defs)
    return qual


def test_theme_paragraphs_by_hand(defined):
    text = T.theme_paragraphs(defined)
    paras = text.split("\n\n")
    # most interviews first: redskaber (3) and opfoelgning (3) before format (2), koordinator (2)
    assert [p.split("**")[1] for p in paras] == [
        "Redskaber og handleplaner",
        "Opfølgning efter kurset",
        "Onlineformatet",
        "Koordinatorrollen",
    ]
    assert paras[0].startswith(
        "**Redskaber og handleplaner** (3 af 6 interviews). Kursets redskaber."
    )
    assert "Oftest handler det om handleplaner (2)." in paras[0]
    assert "Oftest handler det om deltagelse hjemmefra (2) og chatten (1)." in paras[2]
    assert "Persona" not in text


def test_persona_narratives_give_numbers_only_to_large_roles(defined):
    text = T.persona_narratives(defined, min_cell=2)
    paras = {p.split("**")[1]: p for p in text.split("\n\n")}
    # koordinator: 2 interviews >= 2 -> its number; sub-codes: format/online (i1), no count
    assert (
        paras["Koordinatoren (2 interviews)."].count("deltagelse hjemmefra (deltagelse hjemmefra)")
        == 1
    )
    # leder: 1 interview < 2 -> no numbers
    leder = next(p for k, p in paras.items() if k.startswith("Den kommunale leder"))
    assert "færre end 2 interviews" in leder and "ugentlige planer (handleplaner)" in leder


def test_codebook_lists_every_code_with_its_definition(defined):
    text = T.codebook_text(defined, cited=["format/chat"])
    assert "- **Onlineformatet**: Hvordan kurset afvikles." in text
    assert "    - *Chatten* (nævnt i tabellerne): Dialog i chatten." in text
    assert "    - *Handleplaner*: Ugentlige planer." in text
    assert "Personavurderinger" not in text
    assert len([line for line in text.splitlines() if line.strip()]) == 7
