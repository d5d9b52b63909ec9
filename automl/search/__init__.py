"""The search: the loop that proposes configs (TPE or random) and runs them as trials, and
the warm start from the knowledge base of past datasets.

See docs/architecture.md for the stages and what each module owns.
"""
