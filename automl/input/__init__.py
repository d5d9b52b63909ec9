"""The input stage: checking X and y, the column schema kept between fit and predict, reading
tables from files, and the meta-features that find similar past datasets.

See docs/architecture.md for the stages and what each module owns.
"""
