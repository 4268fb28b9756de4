"""Say which groups a subgroup figure leaves out and why (never drop a group silently).

A group with fewer than `min_group_size` persons gets no line in the weekly figures and no model
in the forest plot; the figure's source line names it. The group's size is not printed (it may be
below the disclosure limit): only that it is under `min_group_size`.
"""

from __future__ import annotations

from tpj_helpers.analysis.subgroup_models import models as subgroups
from tpj_helpers.publish.present import num


def _sentence(names: list[str], min_group_size: int) -> str:
    if not names:
        return ""
    joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} og {names[-1]}"
    return (
        f". Ikke vist: {joined} (færre end {num(min_group_size)} kursister, for få til en "
        "linje eller model)"
    )


def left_out(data, variable: str, min_group_size: int = 10) -> list[str]:
    """Labels of the groups of `variable` with fewer than `min_group_size` persons."""
    persons, col, kept = subgroups._dimension_groups(data, variable, min_group_size)
    values = [v for v in persons[col].dropna().unique() if v not in kept]
    labels = subgroups.group_labels(variable, values)
    return [labels[v] for v in sorted(values, key=str)]


def left_out_text(data, variable: str, min_group_size: int = 10) -> str:
    """'. Ikke vist: Andet (færre end 10 kursister, ...)' or '': appended to a source line
    (the Publisher closes it with a full stop)."""
    return _sentence(left_out(data, variable, min_group_size), min_group_size)


def forest_left_out_text(rows, min_group_size: int = 10) -> str:
    """The groups without a model in the subgroup rows (`subgroup_models` output, `reason` set)."""
    none = rows[rows["reason"].notna() & (rows["reason"].astype(str) != "")]
    names = []
    for v, val in none[["variable", "value"]].drop_duplicates().itertuples(index=False):
        names.append(f"{subgroups.value_label(v, val)} ({subgroups.register_label(v).lower()})")
    return _sentence(names, min_group_size)
