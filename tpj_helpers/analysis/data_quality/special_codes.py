"""The survey's special codes (97 Ved ikke, 98 Ikke relevant, 99 Ønsker ikke at svare) per item
and wave, for the data-quality chapter.

The codes may occur on every coded item, also where the questionnaire did not offer that answer
(data contract section 5); they are never substantive answers. This table counts them per item,
wave and code over every returned questionnaire of the wave files, and marks the ones the
questionnaire (the codebook's `special:` list of the item) did not offer.
"""

from __future__ import annotations

import pandas as pd

from tpj_helpers.data.survey import CODED_TYPES, SPECIAL_CODES

COLUMNS = {
    "wave": "Runde",
    "item": "Spørgsmål",
    "code": "Kode",
    "label": "Svar",
    "n": "Antal",
    "offered": "Tilbudt i spørgeskemaet",
}
OFFERED_TEXT = {True: "Ja", False: "Nej"}


def special_code_counts(surveys) -> pd.DataFrame:
    """One row per (wave, item, special code) that occurs: wave, item, code, label, n, offered.
    Waves in the codebook's order, items in questionnaire order, codes ascending."""
    codebook = surveys.codebook
    rows = []
    for wave in codebook.waves:
        df = surveys.responses.get(wave)
        if df is None:
            continue
        for it in codebook.items_for_wave(wave):
            if it.type not in CODED_TYPES:
                continue
            counts = df[it.id].value_counts()
            for code in SPECIAL_CODES:
                n = int(counts.get(code, 0))
                if n:
                    rows.append(
                        {
                            "wave": wave,
                            "item": it.id,
                            "code": code,
                            "label": codebook.special_codes[code],
                            "n": n,
                            "offered": code in it.special,
                        }
                    )
    return pd.DataFrame(rows, columns=list(COLUMNS)).astype(
        {"code": "int64", "n": "int64", "offered": "bool"}
    )


def special_codes_table(surveys) -> pd.DataFrame:
    """The counts with Danish headings and labels (wave label, the item's short label)."""
    counts = special_code_counts(surveys)
    codebook = surveys.codebook
    out = counts.assign(
        wave=counts["wave"].map(lambda w: codebook.waves[w]),
        item=counts["item"].map(lambda i: codebook.item(i).short_label),
        offered=counts["offered"].map(OFFERED_TEXT),
    )
    return out.rename(columns=COLUMNS)


def special_codes_source(surveys) -> str:
    waves = ", ".join(f"survey_{w}" for w in surveys.responses)
    return (
        f"Spørgeskemafilerne ({waves}); alle returnerede skemaer. Koderne 97-99 tælles ikke "
        "som svar. «Nej» i sidste kolonne: svaret var ikke en mulighed i spørgeskemaet."
    )


MISSING_WAVES_TITLE = "Spørgeskemarunde uden data"


def missing_waves_box(data, min_cell: int = 5) -> str:
    """A Danish warning box for survey waves with invitations but no file (the run went on with
    the parameter allow_missing_waves); empty when every invited wave has a file. A number of
    invitations from 1 to min_cell - 1 is written 'færre end <min_cell>'."""
    from tpj_helpers.data.survey import missing_wave_invitations
    from tpj_helpers.publish.messages import count_text

    missing = missing_wave_invitations(data.surveys)
    if not missing:
        return ""
    waves = data.surveys.codebook.waves
    lines = [
        f"- **{waves[w]}** (survey_{w}): {count_text(int(n), min_cell)} invitationer, "
        "ingen fil med besvarelser"
        for w, n in missing.items()
    ]
    body = (
        "Der er sendt spørgeskemaer ud i runder, som datamappen ikke har svar fra. Svarprocenten "
        "for disse runder kan ikke opgøres og er ikke 0 %; tallene for runden mangler i "
        "rapporten:"
    )
    return (
        f'\n::: {{.callout-warning title="{MISSING_WAVES_TITLE}"}}\n{body}\n\n'
        + "\n".join(lines)
        + "\n:::\n"
    )
