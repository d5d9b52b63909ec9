"""The exceptions this library raises, each refining a built-in so callers can catch either.

- ``InputError(ValueError)``: X, y or an argument is unusable; the message names the input,
  shows the value and says what would fix it.
- ``ComponentError(ValueError)``: a file in ``search_spaces/`` (or one passed as an extra
  component) is malformed.
- ``ConfigError(ValueError)``: a readable config does not fit the compiled search space.
- ``SchemaError(InputError)``: X at predict time does not match the schema seen at fit.
"""

from __future__ import annotations


class InputError(ValueError):
    """X, y or an argument of ``fit`` is unusable."""


class ComponentError(ValueError):
    """A component declaration is malformed."""


class ConfigError(ValueError):
    """A readable config does not fit the compiled search space."""


class SchemaError(InputError):
    """X at predict time does not match the columns seen at fit time."""
