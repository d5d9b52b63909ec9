"""The benchmarks behind README.md's and RESULTS.md's figures: ``python -m benchmarks SUITE``."""
