"""The trials: worker processes under hard limits, the jobs they run, scoring a config by
resampling, the trial log, the out-of-fold prediction store, and the budget plan that says
how long a trial may take.

See docs/architecture.md for the stages and what each module owns.
"""
