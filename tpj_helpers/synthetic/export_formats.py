"""Write a data folder again in another of the contract's formats (for tests and measurements).

`convert_folder(src, dst, kind)` copies a CSV data folder (e.g. the demo data) to `dst` with every
tabular file written as `kind`:

- `semicolon`: CSV separated by `;`, UTF-8 with BOM, decimal comma in DREAM's `grad_*` columns
  (as Danish Excel saves "CSV (semikolonsepareret)");
- `cp1252`: CSV separated by `,`, encoded Windows-1252;
- `spss`, `stata`, `xpt`: `.sav` / `.dta` / SAS transport `.xpt` through pyreadstat; the survey
  items are numeric and, in SPSS, carry the codebook's answer labels as value labels;
- `parquet`, `xlsx`.

Other files (the SYNTHETIC marker, the qualitative transcripts and codebook) are copied as they
are. The values are the same in every format, so a run on `dst` must give the same results as on
`src`. The source folder is only read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

KINDS = ("semicolon", "cp1252", "spss", "stata", "xpt", "parquet", "xlsx")
SUFFIX = {
    "semicolon": ".csv",
    "cp1252": ".csv",
    "spss": ".sav",
    "stata": ".dta",
    "xpt": ".xpt",
    "parquet": ".parquet",
    "xlsx": ".xlsx",
}
SURVEY_PREFIX = "survey_"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")


def _survey_items(stem: str, codebook) -> dict:
    wave = stem.removeprefix(SURVEY_PREFIX)
    if codebook is None or wave not in codebook.waves:
        return {}
    return {it.id: it for it in codebook.items_for_wave(wave) if it.type != "text"}


def _statistical(df: pd.DataFrame, items: dict) -> pd.DataFrame:
    """Survey items as numbers (as a survey tool exports them), everything else as text."""
    out = df.copy()
    for col in out.columns:
        if col in items:
            out[col] = pd.to_numeric(out[col]).astype("float64")
        else:
            out[col] = out[col].fillna("").astype(str)
    return out


def _labels(items: dict, codebook) -> dict[str, dict[float, str]]:
    out = {}
    for col, it in items.items():
        if it.answers:
            labels = {float(c): a for c, a in zip(it.codes, it.answers, strict=True)}
            labels.update({float(c): codebook.special_codes[c] for c in it.special})
            out[col] = labels
    return out


def write_table(df: pd.DataFrame, path: Path, kind: str, stem: str, codebook=None) -> Path:
    import pyreadstat

    target = path.with_suffix(SUFFIX[kind])
    if kind == "semicolon":
        out = df.copy()
        grad = [c for c in out.columns if c.startswith("grad_")]
        for c in grad:
            out[c] = out[c].str.replace(".", ",", regex=False)
        out.to_csv(target, sep=";", index=False, encoding="utf-8-sig")
    elif kind == "cp1252":
        df.to_csv(target, index=False, encoding="cp1252")
    elif kind == "parquet":
        df.to_parquet(target, index=False)
    elif kind == "xlsx":
        df.to_excel(target, index=False)
    else:
        items = _survey_items(stem, codebook)
        data = _statistical(df, items)
        if kind == "spss":
            pyreadstat.write_sav(data, str(target), variable_value_labels=_labels(items, codebook))
        elif kind == "stata":
            pyreadstat.write_dta(data, str(target))
        else:
            pyreadstat.write_xport(data, str(target))
    return target


def convert_folder(src: Path | str, dst: Path | str, kind: str, codebook=None) -> Path:
    """Copy the CSV data folder `src` to `dst` with every tabular file written as `kind`."""
    if kind not in KINDS:
        raise ValueError(f"kind should be one of {KINDS}, got {kind!r}")
    if codebook is None:
        from tpj_helpers.data.survey import load_codebook

        codebook = load_codebook()
    src, dst = Path(src), Path(dst)
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".csv":
            write_table(_read(path), target, kind, path.stem, codebook)
        else:
            shutil.copy2(path, target)
    return dst
