"""The disclosure model: what a published cell is, how cells relate, and what an attacker learns.

A published table or figure data file is a CSV. Its *count cells* (numbers of persons) are either
shown or hidden: hidden for their own size (primary: 1..min_cell-1, marked «<5») or to protect
another cell (secondary, marked «..», and then known to be at least `min_cell`, since smaller
counts are primary and zeros are shown). A *relation* is a linear statement about count cells
that anyone can check on the published files: a table's margins, the same count in two tables,
a mean beside its count (sum of weights x counts = mean x count), a share beside its base, a
group's line beside the total line. A term's coefficient may be the value of another published
cell (a mean, a share): the term is then only known while that cell is shown.

`intervals` computes, by integer linear programming (HiGHS through `scipy.optimize.milp`), the
smallest and largest value every hidden count can take given everything shown and every
relation. The protection rule: a primary cell must still allow both 1 and min_cell-1.
`protect` chooses the secondary cells for one table so that the rule holds against its
relations (other tables' cells in them taken as known), smallest shown count first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

PRIMARY, SECONDARY = "primary", "secondary"
# The last resort for a block no complement protects: every count of the file hidden, zeros
# included (shown as «..» too). A cell of this kind is 0 or at least min_cell (1..min_cell-1
# would read «<5»): a semi-integer variable for HiGHS.
BLOCKED = "blocked"
SIDECAR_DIR = "results/disclosure"  # one JSON per published file: its hidden cells and relations
BIG = 1e7  # upper bound for a secondary cell no relation bounds (a count of persons)


@dataclass(frozen=True)
class Cell:
    """One cell of a published CSV: file relative to the run folder, 0-based row, column."""

    file: str
    row: int
    column: str

    def key(self) -> tuple[str, int, str]:
        return (self.file, self.row, self.column)

    def to_json(self) -> list:
        return [self.file, int(self.row), str(self.column)]

    @classmethod
    def from_json(cls, v) -> Cell:
        return cls(str(v[0]), int(v[1]), str(v[2]))


@dataclass(frozen=True)
class Term:
    """coef x cell, or coef x factor x cell when `factor` (a published mean/share) is given."""

    coef: float
    cell: Cell
    factor: Cell | None = None


@dataclass
class Relation:
    """lo <= sum of terms <= hi (an equation when lo == hi, up to `tol`)."""

    terms: list[Term]
    lo: float = 0.0
    hi: float = 0.0
    note: str = ""

    def to_json(self) -> dict:
        return {
            "terms": [
                [t.coef, t.cell.to_json(), t.factor.to_json() if t.factor else None]
                for t in self.terms
            ],
            "lo": self.lo,
            "hi": self.hi,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, d: dict) -> Relation:
        terms = [
            Term(float(c), Cell.from_json(cell), Cell.from_json(f) if f else None)
            for c, cell, f in d["terms"]
        ]
        return cls(terms, float(d["lo"]), float(d["hi"]), d.get("note", ""))


def equal(a: Cell, b: Cell, note: str = "same count") -> Relation:
    return Relation([Term(1.0, a), Term(-1.0, b)], note=note)


def total_of(total: Cell, parts: Iterable[Cell], note: str = "sum") -> Relation:
    return Relation([Term(1.0, total), *(Term(-1.0, p) for p in parts)], note=note)


@dataclass
class Hidden:
    cell: Cell
    kind: str  # PRIMARY | SECONDARY


@dataclass
class Model:
    """What an attacker sees: shown count values, hidden count cells, other shown values
    (means, shares used as factors), and the relations."""

    min_cell: int
    shown: dict[tuple, float] = field(default_factory=dict)
    hidden: dict[tuple, str] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    # (file, column) -> count column of the same row that the column's values rest on (a mean
    # beside its count, a share beside its base): the value is withheld while that count is hidden
    linked: dict[tuple[str, str], str] = field(default_factory=dict)

    def value(self, cell: Cell) -> float | None:
        return self.shown.get(cell.key())

    def withheld(self, cell: Cell) -> bool:
        """True when `cell` is hidden, or rests on a hidden count (`linked`)."""
        if cell.key() in self.hidden:
            return True
        base = self.linked.get((cell.file, cell.column))
        return base is not None and (cell.file, cell.row, base) in self.hidden


TOL = 1e-6


def _linear(model: Model, rel: Relation) -> tuple[dict[tuple, float], float, float] | None:
    """The relation as {hidden cell: coef}, lo - known, hi - known; None when a factor or a
    non-count cell it needs is unknown (the relation then tells the attacker nothing usable)."""
    coefs: dict[tuple, float] = {}
    known = 0.0
    for t in rel.terms:
        coef = t.coef
        if t.factor is not None:
            f = model.value(t.factor)
            if f is None or model.withheld(t.factor) or not np.isfinite(f):
                return None
            coef *= f
        k = t.cell.key()
        if k in model.hidden:
            coefs[k] = coefs.get(k, 0.0) + coef
        else:
            v = model.value(t.cell)
            if v is None or not np.isfinite(v):
                return None
            known += coef * v
    coefs = {k: c for k, c in coefs.items() if abs(c) > 1e-12}
    scale = 1.0 + abs(known) + sum(abs(c) for c in coefs.values())
    return coefs, rel.lo - known - TOL * scale, rel.hi - known + TOL * scale


def _components(keys: list[tuple], rows: list[dict[tuple, float]]) -> list[tuple[list, list]]:
    """Hidden cells grouped by the relations that connect them (union-find)."""
    parent = {k: k for k in keys}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for coefs in rows:
        ks = list(coefs)
        for k in ks[1:]:
            parent[find(k)] = find(ks[0])
    groups: dict = {}
    for k in keys:
        groups.setdefault(find(k), ([], []))[0].append(k)
    for i, coefs in enumerate(rows):
        if coefs:
            groups[find(next(iter(coefs)))][1].append(i)
    index = {k: i for i, k in enumerate(keys)}
    return [groups[r] for r in sorted(groups, key=index.__getitem__)]


FREE = "free"  # a shown cell taken as unknown (what the markers alone allow, `marker_interval`)
# A cell left unpublished on purpose (an item-wave of a few questionnaires that no suppression
# protects, `analysis/survey_outcomes/special.py`): no value, and a marker («i.o.») that says
# nothing about its size, zeros included. Any value from 0, like FREE; never a complement, never
# a breach, and no path by which `protect` looks for complements (`_reach`).
UNPUBLISHED = "unpublished"


def bounds_of(kind: str, min_cell: int) -> tuple[float, float]:
    if kind in (FREE, UNPUBLISHED):
        return (0.0, BIG)
    if kind == BLOCKED:  # 0 or min_cell..: the lower bound of its non-zero part
        return (float(min_cell), BIG)
    return (1.0, float(min_cell - 1)) if kind == PRIMARY else (float(min_cell), BIG)


class Infeasible(ValueError):
    """The published values and relations contradict each other (a declaration is wrong)."""


def intervals(
    model: Model, only: set | None = None, primary_only: bool = False
) -> dict[tuple, tuple[float, float]]:
    """{hidden cell: (lowest, highest) integer value consistent with everything published}.
    `only`: just these cells (each solved within its component); `primary_only`: skip secondary
    cells."""
    keys = list(model.hidden)
    rows, los, his, notes = [], [], [], []
    for rel in model.relations:
        lin = _linear(model, rel)
        if lin is None:
            continue
        coefs, lo, hi = lin
        if not coefs:
            if lo > 0 or hi < 0:
                raise Infeasible(f"relation '{rel.note}' does not hold on the published values")
            continue
        rows.append(coefs)
        los.append(lo)
        his.append(hi)
        notes.append(rel.note)
    out: dict[tuple, tuple[float, float]] = {}
    for cells, rel_idx in _components(keys, rows):
        if only is not None and not only.intersection(cells):
            continue
        lb = np.array([bounds_of(model.hidden[k], model.min_cell)[0] for k in cells])
        ub = np.array([bounds_of(model.hidden[k], model.min_cell)[1] for k in cells])
        if not rel_idx:
            out.update(
                {
                    k: (0.0 if model.hidden[k] == BLOCKED else lb[i], ub[i])
                    for i, k in enumerate(cells)
                }
            )
            continue
        pos = {k: i for i, k in enumerate(cells)}
        a = np.zeros((len(rel_idx), len(cells)))
        for r, i in enumerate(rel_idx):
            for k, c in rows[i].items():
                a[r, pos[k]] = c
        cons = LinearConstraint(
            a, np.array([los[i] for i in rel_idx]), np.array([his[i] for i in rel_idx])
        )
        # integers; a blocked cell semi-integer (0, or within its bounds)
        integrality = np.array([3 if model.hidden[k] == BLOCKED else 1 for k in cells])
        # the lowest value of a cell is its lower bound as soon as any solution found takes it
        # there (and the highest likewise): each solution of one cell's programme settles the
        # other cells it happens to take to a bound, without a programme of their own
        floor = np.array(
            [0.0 if model.hidden[k] == BLOCKED else lb[i] for i, k in enumerate(cells)]
        )
        # the same programme solved before (a file's cells protected again in each later call of
        # the notebook): its ends found then hold now
        settled = _solved(cons, lb, ub, integrality)
        for j, k in enumerate(cells):
            if (primary_only and model.hidden[k] != PRIMARY) or (
                only is not None and k not in only
            ):
                continue
            lo_hi = []
            for side, sign in enumerate((1.0, -1.0)):
                if j in settled[side]:
                    lo_hi.append(settled[side][j])
                    continue
                c = np.zeros(len(cells))
                c[j] = sign
                res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(lb, ub))
                if res.status == 2:  # infeasible
                    raise Infeasible(
                        "the published values contradict the declared relations "
                        f"({'; '.join(sorted({notes[i] for i in rel_idx}))})"
                    )
                if not res.success or res.x is None:
                    lo_hi.append(lb[j] if sign > 0 else ub[j])
                else:
                    lo_hi.append(round(float(res.x[j])))
                    settled[side][j] = lo_hi[-1]
                    _settle(res.x, floor, ub, settled)
            out[k] = (float(lo_hi[0]), float(lo_hi[1]))
    return out


_SOLVED: dict[bytes, tuple[dict[int, float], dict[int, float]]] = {}
_SOLVED_MAX = 50_000  # programmes remembered (their ends only: a few numbers each)


def _solved(cons: LinearConstraint, lb, ub, integrality) -> tuple[dict, dict]:
    """The ends already known of one integer programme (by its exact content: matrix, sides,
    bounds, integrality), to be filled in by `intervals`: {cell index: lowest}, {.. highest}."""
    h = hashlib.sha256()
    for arr in (cons.A, cons.lb, cons.ub, lb, ub, integrality):
        arr = np.ascontiguousarray(arr, dtype=float)
        h.update(repr(arr.shape).encode())
        h.update(arr.tobytes())
    key = h.digest()
    if key not in _SOLVED:
        if len(_SOLVED) >= _SOLVED_MAX:
            _SOLVED.clear()
        _SOLVED[key] = ({}, {})
    return _SOLVED[key]


def _settle(x: np.ndarray, floor: np.ndarray, ub: np.ndarray, settled: tuple[dict, dict]) -> None:
    """Record the cells a feasible solution `x` takes to their lowest possible value (`floor`:
    the lower bound, 0 for a blocked cell) or to their upper bound: no programme can take them
    further, so that is their interval's end."""
    v = np.round(x)
    for i in np.flatnonzero(v == floor):
        settled[0].setdefault(int(i), float(floor[i]))
    for i in np.flatnonzero(v == ub):
        settled[1].setdefault(int(i), float(ub[i]))


def marker_interval(model: Model, k: tuple) -> tuple[float, float]:
    """k's interval when every shown count is taken as unknown: what the hidden cells' markers
    alone imply through the relations (a total «<5» of two parts «<5» leaves each 1..3, whatever
    is published). The published values may not narrow a cell beyond this."""
    return marker_intervals(model, [k])[k]


def marker_intervals(
    model: Model, cells: Iterable[tuple], primary_only: bool = True
) -> dict[tuple, tuple[float, float]]:
    """`marker_interval` of several primary cells (of any hidden cells with
    `primary_only=False`): one model with every shown count taken as unknown, and one pass of
    `intervals` over the components that hold them."""
    plain = [r for r in model.relations if not any(t.factor for t in r.terms)]  # no published means
    free = Model(model.min_cell, dict(model.shown), dict(model.hidden), plain)
    for rel in plain:
        for t in rel.terms:
            if t.cell.key() not in free.hidden and t.cell.key() in free.shown:
                free.hidden[t.cell.key()] = FREE
    return intervals(free, only=set(cells), primary_only=primary_only)


def breaches(
    model: Model, found: dict[tuple, tuple[float, float]] | None = None, only: set | None = None
) -> list[tuple]:
    """Primary cells pinned more narrowly than 1..min_cell-1 (or, where the markers alone already
    narrow it, more narrowly than the markers do)."""
    found = intervals(model, only, primary_only=True) if found is None else found
    narrow = [
        k
        for k, kind in model.hidden.items()
        if kind == PRIMARY and k in found and (found[k][0] > 1 or found[k][1] < model.min_cell - 1)
    ]
    if not narrow:
        return []
    markers = marker_intervals(model, narrow)  # one pass for all of them
    return [k for k in narrow if found[k][0] > markers[k][0] or found[k][1] < markers[k][1]]


def unpublished_breaches(model: Model, found: dict[tuple, tuple[float, float]]) -> list[tuple]:
    """Unpublished cells (any value from 0 as far as their marker goes) that the published values
    nevertheless put within 1..min_cell-1: a small count of persons that is certainly not 0.
    As for a primary cell, what the other cells' markers alone imply is not held against it (an
    unpublished item-wave's answers add up to Tabel 2's «<5»: 1..4 by that marker)."""
    narrow = [
        k
        for k, kind in model.hidden.items()
        if kind == UNPUBLISHED
        and k in found
        and found[k][0] >= 1
        and found[k][1] <= model.min_cell - 1
    ]
    if not narrow:
        return []
    markers = marker_intervals(model, narrow, primary_only=False)
    return [
        k
        for k in narrow
        if not (markers[k][0] >= 1 and markers[k][1] <= model.min_cell - 1)
        and (found[k][0] > markers[k][0] or found[k][1] < markers[k][1])
    ]


LATER = 2  # the tier of `protect`'s cells that belong to files published later


def protect(
    model: Model,
    candidates: Iterable[tuple],
    fallback: Iterable[tuple] = (),
    later: Iterable[tuple] = (),
) -> list[tuple]:
    """Hide shown cells as secondary until no primary cell breaches the rule; returns the cells
    added. The cells that may be hidden come in tiers, each used only where the ones before it
    have no cell left that takes part in what pins a breached cell down: the table's own cells,
    `candidates` (its non-zero counts in the columns it may hide) before `fallback` (its other
    counts, e.g. a total repeated on several rows), and only when those are used up `later`
    (counts of files published later, which then show them hidden). Among the cells of a step
    the first (own tier, then smallest) whose hiding widens the breached cell's interval is
    hidden, else the first; deterministic.
    Raises ValueError when no cell of any tier is left (the message names no value)."""
    order: dict[tuple, tuple[int, int]] = {}
    for tier, cells in zip((0, 1, LATER), (candidates, fallback, later), strict=True):
        for i, k in enumerate(cells):
            order.setdefault(k, (tier, i))
    added: list[tuple] = []
    # Hiding a cell only takes information away, so a cell that passes keeps passing: each
    # breached cell is worked on alone, its own component recomputed after every addition.
    for k in breaches(model):
        while breaches(model, only={k}):
            near = _reach(model, k)
            pool = [
                c
                for c in near
                if c in order and c not in model.hidden and model.shown.get(c, 0) > 0
            ]
            if not pool:
                file, row, col = k
                raise ValueError(
                    f"disclosure: no cell of {file} left to protect the hidden cell in "
                    f"row {row + 1}, column '{col}'"
                )
            # the table's own cells first (its free counts before the totals it repeats, the
            # first of them that widens the interval); later files' only when those are used up
            own = [c for c in pool if order[c][0] < LATER]
            pool = sorted(own or pool, key=lambda c: (order[c][0], model.shown[c], order[c][1]))
            pick = _first_widening(model, k, pool[:TRY_CANDIDATES], order) or pool[0]
            for c in _copies(model, pick, order):  # a count shown twice is hidden in both places
                model.hidden[c] = SECONDARY
                added.append(c)
    return added


def hide_all(model: Model, cells: Iterable[tuple], kind: str = SECONDARY) -> list[tuple]:
    """The last resort: hide every shown cell of `cells` (non-zero ones as secondary; with
    `kind=BLOCKED` every one, zeros included); returns them."""
    added = [
        c
        for c in dict.fromkeys(cells)
        if c not in model.hidden and c in model.shown and (kind == BLOCKED or model.shown[c] > 0)
    ]
    for c in added:
        model.hidden[c] = kind
    return added


def _copies(model: Model, cell: tuple, allowed) -> list[tuple]:
    """The cell and the shown cells declared equal to it (directly or in a chain) that may be
    hidden (`allowed`)."""
    pairs = [
        (rel.terms[0].cell.key(), rel.terms[1].cell.key())
        for rel in model.relations
        if len(rel.terms) == 2
        and rel.lo == rel.hi == 0
        and not rel.terms[0].factor
        and not rel.terms[1].factor
        and rel.terms[0].coef == -rel.terms[1].coef != 0
    ]
    out, todo = [cell], [cell]
    while todo:
        c = todo.pop()
        for a, b in pairs:
            for x, y in ((a, b), (b, a)):
                if (
                    x == c
                    and y not in out
                    and y not in model.hidden
                    and y in model.shown
                    and y in allowed
                ):
                    out.append(y)
                    todo.append(y)
    return out


TRY_CANDIDATES = 12  # candidates tried per step for one that widens the breached cell's interval


def _width(model: Model, k: tuple) -> float:
    lo, hi = intervals(model, only={k}, primary_only=True)[k]
    return hi - lo


def _first_widening(model: Model, k: tuple, pool: list[tuple], allowed) -> tuple | None:
    """The first candidate (in the pool's order: smallest first) whose hiding widens k's interval:
    a cell that does not take part in what pins k down would be hidden for nothing."""
    base = _width(model, k)
    for c in pool:
        unit = _copies(model, c, allowed)
        for x in unit:
            model.hidden[x] = SECONDARY
        try:
            wider = _width(model, k) > base
        finally:
            for x in unit:
                del model.hidden[x]
        if wider:
            return c
    return None


def _reach(model: Model, start: tuple) -> set[tuple]:
    """Every cell of the relations that connect `start` to other hidden cells (the relations an
    attacker combines to pin it down)."""
    cells_of = [{t.cell.key() for t in rel.terms} for rel in model.relations]
    for cells, rel in zip(cells_of, model.relations, strict=True):
        for t in rel.terms:  # a count a factor rests on: hiding it withholds the factor
            base = model.linked.get((t.factor.file, t.factor.column)) if t.factor else None
            if base is not None:
                cells.add((t.factor.file, t.factor.row, base))
    seen, todo, out = {start}, [start], set()
    while todo:
        k = todo.pop()
        for cells in cells_of:
            if k in cells:
                out |= cells
                for c in cells:
                    # an unpublished cell is any value from 0: nothing is pinned through it
                    if c in model.hidden and c not in seen and model.hidden[c] != UNPUBLISHED:
                        seen.add(c)
                        todo.append(c)
    return out


def write_sidecar(
    run_dir: Path,
    file: str,
    min_cell: int,
    hidden: dict[tuple, str],
    relations: list[Relation],
    factors: Iterable[Cell] = (),
) -> Path:
    path = Path(run_dir) / SIDECAR_DIR / (file.replace("/", "__").removesuffix(".csv") + ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "file": file,
        "min_cell": min_cell,
        "hidden": [
            {"row": r, "column": c, "kind": kind}
            for (_, r, c), kind in sorted(hidden.items(), key=lambda kv: (kv[0][1], kv[0][2]))
        ],
        "relations": [r.to_json() for r in relations],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def group_totals(
    df, by: list[str], part: str, total: str, parts=None, file: str = "", note: str = ""
) -> list[Relation]:
    """Long-format relations: within each group of rows (`by`), the `part` counts of the rows
    (those where the boolean Series `parts` is True, default all) add up to the `total` column,
    which repeats the same count on every row of the group (each copy is declared equal)."""
    pos = {idx: i for i, idx in enumerate(df.index)}
    rels = []
    for key, g in df.groupby(by, sort=False, dropna=False):
        rows = [pos[i] for i in g.index]
        sel = rows if parts is None else [pos[i] for i in g.index if bool(parts.loc[i])]
        label = f"{note or total} {key}"
        rels.append(
            total_of(
                Cell(file, rows[0], total),
                [Cell(file, r, part) for r in sel],
                note=f"{label}: {part} adds up to {total}",
            )
        )
        rels += [
            equal(Cell(file, rows[0], total), Cell(file, r, total), note=f"{label}: same {total}")
            for r in rows[1:]
        ]
    return rels
