"""The one exception of the report renderer."""

from __future__ import annotations


class RenderError(RuntimeError):
    """The report cannot be rendered; the message says where and why."""
