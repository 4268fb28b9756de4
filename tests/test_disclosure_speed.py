"""The disclosure model's shortcuts (issue 12, engineer B: notebook 10 on tiny deliveries) give the
intervals a programme per cell gives: checked against every integer fill of small models,
enumerated by brute force (an independent route from HiGHS)."""

from __future__ import annotations

import itertools

from tpj_helpers.publish import disclosure as dc

F = "tables/t.csv"


def _cell(r: int, c: str = "n") -> dc.Cell:
    return dc.Cell(F, r, c)


def _model() -> dc.Model:
    # rows 0-3 hidden for their size (1..4), row 4 hidden as «..» (>= 5), total 14 shown;
    # rows 0 + 1 = 5 shown as a subtotal; a second block: rows 5, 6 «<5» with total 4
    m = dc.Model(5)
    for r in range(4):
        m.hidden[_cell(r).key()] = dc.PRIMARY
    m.hidden[_cell(4).key()] = dc.SECONDARY
    m.shown[_cell(9).key()] = 14.0
    m.shown[_cell(10).key()] = 5.0
    m.hidden[_cell(5).key()] = dc.PRIMARY
    m.hidden[_cell(6).key()] = dc.PRIMARY
    m.shown[_cell(11).key()] = 4.0
    m.relations = [
        dc.total_of(_cell(9), [_cell(r) for r in range(5)]),
        dc.total_of(_cell(10), [_cell(0), _cell(1)]),
        dc.total_of(_cell(11), [_cell(5), _cell(6)]),
    ]
    return m


def _brute(m: dc.Model) -> dict[tuple, tuple[float, float]]:
    """Every integer fill of the hidden cells within their bounds (a «..» cell up to 20) that
    satisfies every relation; the lowest and highest value of each cell."""
    keys = list(m.hidden)
    ranges = [range(1, 5) if m.hidden[k] == dc.PRIMARY else range(5, 21) for k in keys]
    seen: dict[tuple, list[int]] = {k: [] for k in keys}
    for fill in itertools.product(*ranges):
        v = dict(zip(keys, fill, strict=True))
        ok = True
        for rel in m.relations:
            total = sum(
                t.coef * v.get(t.cell.key(), m.shown.get(t.cell.key(), 0)) for t in rel.terms
            )
            ok &= rel.lo - 1e-9 <= total <= rel.hi + 1e-9
        if ok:
            for k in keys:
                seen[k].append(v[k])
    return {k: (float(min(s)), float(max(s))) for k, s in seen.items()}


def test_intervals_agree_with_every_fill_and_again_from_what_was_solved():
    m = _model()
    truth = _brute(m)
    # rows 0 + 1 = 5 (each 1..4), rows 2 + 3 + 4 = 9 with row 4 >= 5: rows 2, 3 each 1..3
    assert truth[_cell(2).key()] == (1.0, 3.0)
    assert truth[_cell(4).key()] == (5.0, 7.0)
    assert truth[_cell(5).key()] == (1.0, 3.0)
    first = dc.intervals(_model(), primary_only=False)
    assert {k: first[k] for k in truth} == truth
    again = dc.intervals(_model(), primary_only=False)  # the same programmes: remembered ends
    assert again == first
    one = dc.intervals(_model(), only={_cell(3).key()}, primary_only=True)
    assert one == {_cell(3).key(): truth[_cell(3).key()]}


def test_breaches_take_the_markers_of_all_cells_in_one_pass():
    m = _model()
    # rows 5 and 6 («<5» adding up to 4 shown) are 1..3, narrower than 1..4 by the published 4;
    # with the shown counts taken as unknown the markers alone allow 1..4: both breach
    assert dc.marker_interval(m, _cell(5).key()) == (1.0, 4.0)
    got = dc.breaches(m)
    single = [
        k
        for k in m.hidden
        if m.hidden[k] == dc.PRIMARY
        and dc.intervals(m, only={k}, primary_only=True)[k] != dc.marker_interval(m, k)
        and (
            dc.intervals(m, only={k}, primary_only=True)[k][0] > 1
            or dc.intervals(m, only={k}, primary_only=True)[k][1] < 4
        )
    ]
    assert got == single
    assert set(got) == {_cell(r).key() for r in (2, 3, 5, 6)}
