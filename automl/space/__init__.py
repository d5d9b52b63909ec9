"""The search space: the TOML components of search_spaces/, compiled into one conditional
hyperopt space, and the scikit-learn pipelines and estimator wrappers a config describes.

See docs/architecture.md for the stages and what each module owns.
"""
