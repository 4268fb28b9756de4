"""The file formats of the data contract: how a tabular source is recognised and read.

A tabular source `<name>` may come as CSV (comma or semicolon separated; UTF-8 with or without
BOM, or Windows-1252), Parquet, XLSX, SAS (`.sas7bdat`), SPSS (`.sav`) or Stata (`.dta`). This
module detects the encoding and separator of a CSV file from its bytes (`sniff_csv`), reads the
statistical formats through `pyreadstat`, and describes every tabular file of a data folder for
the run's manifest (`describe_folder`: format, separator, encoding per file).

Detection rules (deterministic, no guessing library):
- encoding: a UTF-8 BOM -> `utf-8-sig`; otherwise bytes that decode as UTF-8 -> `utf-8`; otherwise
  bytes that decode as Windows-1252 -> `cp1252`; otherwise the file is refused.
- separator: the header row (outside quotes) is split on whichever of `;` and `,` occurs more
  often in it; a header with neither is one column, read with `,`.

Only the standard library is imported at module level: the runner describes the files of a run
without importing pandas.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass
from pathlib import Path

# Suffix -> format name, in the order a source is looked for.
FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
    ".sas7bdat": "sas7bdat",
    ".sav": "spss",
    ".dta": "stata",
}
SUFFIXES = tuple(FORMATS)
READSTAT_SUFFIXES = (".sas7bdat", ".sav", ".dta")
UTF8_BOM = b"\xef\xbb\xbf"
SNIFF_BYTES = 1 << 20  # the header row is read from the first MiB


@dataclass(frozen=True)
class FileFormat:
    """How one file was (or will be) read: format, and for CSV the separator and encoding."""

    format: str
    separator: str | None = None
    encoding: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class UndecodableText(ValueError):
    """Bytes that are neither UTF-8 nor Windows-1252; carries the first bad position."""

    def __init__(self, line: int, byte: int, snippet: str):
        self.line, self.byte, self.snippet = line, byte, snippet
        super().__init__(f"line {line}: byte 0x{byte:02x} near {snippet!r}")


def detect_encoding(raw: bytes) -> str:
    """`utf-8-sig`, `utf-8` or `cp1252` for these bytes; UndecodableText when none fits."""
    if raw.startswith(UTF8_BOM):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A sniffed prefix may end inside a multi-byte character: that is not a decoding error.
        if exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
        utf8_error = exc
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        at = utf8_error.start
        raise UndecodableText(
            raw[:at].count(b"\n") + 1,
            raw[at],
            raw[max(0, at - 20) : at + 20].decode("utf-8", "replace"),
        ) from None


def detect_separator(header: str) -> str:
    """`;` or `,`: whichever separates more fields of the header row (`,` on a tie)."""
    row = next(csv.reader(io.StringIO(header.splitlines()[0] if header else "")), [])
    commas = max(len(row) - 1, 0)  # csv.reader split on the commas outside quotes
    semicolons = sum(cell.count(";") for cell in row)
    return ";" if semicolons > commas else ","


def sniff_csv(path: Path | str) -> FileFormat:
    """Encoding and separator of a CSV file from its first MiB (the whole file for encoding is
    checked when it is decoded by `decode_text`)."""
    with Path(path).open("rb") as fh:
        raw = fh.read(SNIFF_BYTES)
    encoding = detect_encoding(raw)
    text = raw.decode(encoding, errors="ignore")
    return FileFormat("csv", detect_separator(text), encoding)


def decode_text(path: Path | str) -> tuple[str, str]:
    """The whole file as text (BOM removed) and the encoding that decoded it."""
    raw = Path(path).read_bytes()
    encoding = detect_encoding(raw)
    return raw.decode(encoding), encoding


def file_format(path: Path | str) -> FileFormat:
    """The format of one tabular file (CSV sniffed from its bytes)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return sniff_csv(path)
    return FileFormat(FORMATS.get(suffix, suffix.lstrip(".")))


def describe_folder(data_dir: Path | str) -> dict[str, dict]:
    """Per tabular file of the folder (relative path): format, separator, encoding. For the
    manifest; a file that cannot be decoded is described as such (validation reports it)."""
    data_dir = Path(data_dir)
    out: dict[str, dict] = {}
    for p in sorted(data_dir.rglob("*")):
        if not p.is_file() or p.suffix.lower() not in FORMATS:
            continue
        try:
            out[str(p.relative_to(data_dir))] = file_format(p).as_dict()
        except UndecodableText as exc:
            out[str(p.relative_to(data_dir))] = {
                "format": "csv",
                "separator": None,
                "encoding": f"undecodable ({exc})",
            }
    return out


# --------------------------------------------------------------------------- pyreadstat


def read_readstat(path: Path | str):
    """A SAS, SPSS or Stata file as a pandas frame (dates as datetime64) and its metadata."""
    import pyreadstat

    path = Path(path)
    suffix = path.suffix.lower()
    reader = {
        ".sas7bdat": pyreadstat.read_sas7bdat,
        ".sav": pyreadstat.read_sav,
        ".dta": pyreadstat.read_dta,
    }[suffix]
    df, meta = reader(str(path), dates_as_pandas_datetime=True)
    return df, meta


def value_labels(path: Path | str) -> dict[str, dict[int, str]]:
    """The value labels of an SPSS file per column ({} for other formats): code -> label."""
    path = Path(path)
    if path.suffix.lower() != ".sav":
        return {}
    import pyreadstat

    _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    out: dict[str, dict[int, str]] = {}
    for column, labels in (meta.variable_value_labels or {}).items():
        coded = {}
        for code, label in labels.items():
            try:
                as_int = int(float(code))
            except (TypeError, ValueError):
                continue  # a string-valued label set: not a coded answer
            if float(code) == as_int:
                coded[as_int] = str(label)
        if coded:
            out[str(column)] = coded
    return out
