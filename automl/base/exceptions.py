"""The exceptions this library raises, each refining a built-in so callers can catch either.

- ``InputError(ValueError)``: X, y or an argument is unusable; the message names the input,
  shows the value and says what would fix it.
- ``ComponentError(ValueError)``: a file in ``search_spaces/`` (or one passed as an extra
  component) is malformed.
- ``ConfigError(ValueError)``: a readable config does not fit the compiled search space.
- ``SchemaError(InputError)``: X at predict time does not match the schema seen at fit.
"""

from __future__ import annotations

import os
from pathlib import Path


class InputError(ValueError):
    """X, y or an argument of ``fit`` is unusable."""


class ComponentError(ValueError):
    """A component declaration is malformed."""


class ConfigError(ValueError):
    """A readable config does not fit the compiled search space."""


class SchemaError(InputError):
    """X at predict time does not match the columns seen at fit time."""


def existing_file(path: str | os.PathLike, what: str, instead: str) -> Path:
    """``path`` when it names a file; else an ``InputError`` naming it as ``what`` (``data
    file``, ``model file``), which for a folder says what to give ``instead``."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} {str(path)!r} is a folder; {instead}.")
    if not path.is_file():
        raise InputError(f"{what} {str(path)!r} does not exist.")
    return path
