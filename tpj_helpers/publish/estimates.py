"""The columns of `results/estimates.csv` (outputs.md), in a module light enough for the runner."""

ESTIMATE_COLUMNS = [
    "analysis",
    "model",
    "subgroup",
    "term",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "stars",
    "n_persons",
    "n_obs",
]

__all__ = ["ESTIMATE_COLUMNS"]
