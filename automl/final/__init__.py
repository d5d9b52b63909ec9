"""The final model: ensemble selection over the kept predictions, refits on all rows and
their checks, the fallbacks when time is short, and the blend with the class prior.

See docs/architecture.md for the stages and what each module owns.
"""
