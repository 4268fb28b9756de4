"""The errors a run stops with, and the exit code of each (documented in the README).

- 2: bad input (a data file that breaks the contract, a broken codebook, a bad parameter);
- 1: a notebook failed;
- 3: the report could not be rendered;
- 130: the run was interrupted (SIGINT or SIGTERM).

`exit_code(exc)` maps an exception to its code; the command line prints the message once, on
stderr, without a traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_NOTEBOOK = 1
EXIT_BAD_INPUT = 2
EXIT_RENDER = 3
EXIT_INTERRUPTED = 130


class RunError(RuntimeError):
    """The run failed; the message says where."""

    exit_code = EXIT_NOTEBOOK


class ParameterError(RunError):
    """A parameter file or command-line parameter is invalid (unknown name, wrong type or range,
    a path that does not exist)."""

    exit_code = EXIT_BAD_INPUT


class RenderFailed(RunError):
    """The notebooks ran but the report could not be rendered."""

    exit_code = EXIT_RENDER


def exit_code(exc: BaseException) -> int:
    """The exit code of a run that stopped with `exc`."""
    from tpj_helpers.data.contract import ContractError
    from tpj_helpers.data.survey import CodebookError
    from tpj_helpers.report.render import RenderError
    from tpj_helpers.run.lifecycle import RunInterrupted

    if isinstance(exc, ContractError | CodebookError):
        return EXIT_BAD_INPUT
    if isinstance(exc, RunInterrupted):
        return EXIT_INTERRUPTED
    if isinstance(exc, RenderError):
        return EXIT_RENDER
    return getattr(exc, "exit_code", EXIT_NOTEBOOK)
