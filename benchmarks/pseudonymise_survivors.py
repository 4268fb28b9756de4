"""Measure the quote pseudonymiser (issue 12, part 3): what survives, what it over-removes.

Three sets:
- the identifying sentences of `tests/pseudonymise_cases_fresh.py` (CASES) and of
  `tests/test_pseudonymise_details.py`: sentences with a surviving detail, details surviving;
- the ordinary sentences (ORDINARY, words that are names or towns elsewhere): sentences changed;
- the demo interviews' segments (`qual/segments.csv` of the demo data): segments changed, and the
  words removed (on the synthetic demo every removed word is a planted name, place or employer).

    .venv/bin/python benchmarks/pseudonymise_survivors.py [--label after] [--data DIR]

Run it against another version of the package by putting that version first on PYTHONPATH (for
the figures "before" in the results file). Results: `benchmarks/results/pseudonymise.json`, one
entry per label.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))

from tests.pseudonymise_cases_fresh import CASES, ORDINARY  # noqa: E402
from tests.test_pseudonymise_details import CASES as OLD_CASES  # noqa: E402
from tpj_helpers.publish import pseudonymise as ps  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "pseudonymise.json"


def survivors(cases) -> dict:
    left = []
    for sentence, details in cases:
        out = ps.pseudonymise(sentence)
        kept = [d for d in details if d in out]
        if kept:
            left.append({"sentence": sentence, "output": out, "surviving": kept})
    return {
        "sentences": len(cases),
        "details": sum(len(d) for _, d in cases),
        "sentences_with_survivor": len(left),
        "details_surviving": sum(len(x["surviving"]) for x in left),
        "examples": left,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="after")
    ap.add_argument("--data", default=str(ROOT / ".cache" / "demo-data" / "seed-2025"))
    args = ap.parse_args()
    changed = [(s, ps.pseudonymise(s)) for s in ORDINARY]
    segs = pd.read_csv(Path(args.data) / "qual" / "segments.csv")["text"].astype(str)
    removed: Counter = Counter()
    n_changed = 0
    for text in segs:
        out = ps.pseudonymise(text)
        if out != text:
            n_changed += 1
            words = set(re.findall(r"\w[\w-]*", text)) - set(re.findall(r"\w[\w-]*", out))
            removed.update(words)
    result = {
        "module": str(Path(ps.__file__).resolve()),
        "fresh_cases": survivors(CASES),
        "earlier_cases": survivors(OLD_CASES),
        "ordinary": {
            "sentences": len(ORDINARY),
            "changed": sum(a != b for a, b in changed),
            "examples": [{"sentence": a, "output": b} for a, b in changed if a != b],
        },
        "demo_segments": {
            "data": args.data,
            "segments": len(segs),
            "changed": n_changed,
            "words_removed": dict(sorted(removed.items())),
        },
    }
    old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    old[args.label] = result
    RESULTS.write_text(json.dumps(old, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for key in ("fresh_cases", "earlier_cases"):
        r = result[key]
        print(
            f"{args.label} {key}: {r['sentences_with_survivor']} of {r['sentences']} sentences "
            f"with a survivor, {r['details_surviving']} of {r['details']} details"
        )
    print(
        f"{args.label} ordinary: {result['ordinary']['changed']} of {len(ORDINARY)} changed; "
        f"demo segments: {n_changed} of {len(segs)} changed, removed {sorted(removed)}"
    )


if __name__ == "__main__":
    main()
