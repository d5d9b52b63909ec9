"""The small shared pieces every stage may use: the budget's clock, the errors that name
the input, and the metrics.

See docs/architecture.md for the stages and what each module owns.
"""
