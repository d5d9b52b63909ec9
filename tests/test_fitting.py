"""The order of the first trials (``automl.fitting.initial_configs``), and the final model
measured against the training prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import automl
from automl import diagnostics
from automl.fitting import initial_configs
from automl.space.compiled import compile_space
from automl.space.components import load_components
from automl.trials.preview import preview_config


def _space(task: str = "multiclass"):
    return compile_space(load_components(), task, 1_000, None, None)


def test_without_warm_configs_the_fast_default_then_every_other_familys_defaults():
    space = _space()
    queued = initial_configs(space, ())
    assert queued[0] == (space.default_config(), "default")
    assert [config["model"] for config, _ in queued] == space.model_names
    assert {source for _, source in queued} == {"default"}


def test_warm_configs_come_before_the_family_defaults_and_nothing_is_queued_twice():
    space = _space()
    forest, svc = space.default_config("random_forest"), space.default_config("svc")
    tuned = {**forest, "model.random_forest.n_estimators": 300}
    queued = initial_configs(space, [svc], [(tuned, "portfolio"), (forest, "warmstart")])
    sources = [source for _, source in queued]
    assert sources[:4] == ["default", "user", "portfolio", "warmstart"]
    assert [config for config, _ in queued[1:4]] == [svc, tuned, forest]
    rest = [config["model"] for config, _ in queued[4:]]
    assert rest == [name for name in space.model_names[1:] if name not in ("random_forest", "svc")]
    assert set(sources[4:]) == {"default"}


def test_a_partial_user_config_is_the_same_pipeline_as_its_familys_default():
    space = _space()
    queued = initial_configs(space, [{"model": "lightgbm"}, {"model": "svc"}, {"model": "?"}])
    models = [config["model"] for config, _ in queued]
    # lightgbm's default runs first already; svc's user config takes its default's place
    assert models.count("lightgbm") == 1 and models.count("svc") == 1
    assert (({"model": "svc"}, "user") in queued) and (({"model": "?"}, "user") in queued)


def test_many_classes_put_a_cheap_default_before_the_full_one():
    space = _space()
    queued = initial_configs(space, (), (), n_classes=10)
    cheap = preview_config(space.default_config(), 10)
    assert cheap != space.default_config()
    assert queued[:2] == [(cheap, "default"), (space.default_config(), "default")]
    assert space.validate(cheap) == cheap  # a config of the space, so TPE can learn from it


def test_binary_and_regression_defaults_are_not_cut():
    for task, n_classes in (("binary", 2), ("regression", 0)):
        space = _space(task)
        assert initial_configs(space, (), (), n_classes)[0] == (space.default_config(), "default")


@pytest.mark.expects_prior
def test_on_noise_a_model_worse_than_the_training_prior_gives_way_to_it():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(600, 5)), columns=[f"x{i}" for i in range(5)])
    y = rng.integers(0, 20, size=600)  # 20 classes the features know nothing of
    with pytest.warns(UserWarning, match="predicting the training prior scores better on "
                                         "validation than any model the search found"):
        model = automl.AutoMLClassifier(time_budget=30, random_state=0, max_trials=3,
                                        include_models=["lightgbm"], warm_start=False).fit(X, y)
    scores = model.leaderboard_.loc[model.leaderboard_["status"].eq("ok"), "score"]
    assert len(scores) >= 3 and scores.min() > model.prior_score_  # log loss; the preview too
    assert model.prior_score_ == pytest.approx(np.log(20), abs=0.05)
    assert model.ensemble_.empty and model.best_score_ is None
    assert (model.leaderboard_["ensemble_weight"] == 0).all()
    shares = np.bincount(y, minlength=20) / len(y)
    assert np.allclose(model.predict_proba(X.iloc[:5]), shares)
    assert "better on validation than every trial" in diagnostics.prior_final_model(model)


_DETERMINISTIC_FIT = """
import sys, warnings
import numpy as np, pandas as pd
import automl
warnings.simplefilter("ignore")
frame = pd.read_csv(sys.argv[1]).dropna(subset=["sex"])
y = frame.pop("sex")
model = automl.fit(frame, y, time_budget=120, random_state=7, max_trials=15)
board = model.leaderboard_.query("source != 'ensemble'").sort_values("trial")
print(repr([(t, sorted(c.items())) for t, c in zip(board["trial"], board["config"])]))
print(repr(sorted(model.ensemble_[["trial", "weight"]].itertuples(index=False))))
print(repr(model.predict_proba(frame).round(12).tolist()))
print(f"{model.fit_seconds_:.1f}", file=sys.stderr)
"""


@pytest.mark.slow
def test_the_deterministic_mode_gives_the_same_trials_and_model_on_a_busy_machine():
    # The second run has two busy processes beside it: slower trials, no idle core. Nothing
    # that depends on the clock or the free cores may change its trials or its model.
    import subprocess
    import sys

    from conftest import EXAMPLES

    command = [sys.executable, "-c", _DETERMINISTIC_FIT, str(EXAMPLES / "penguins.csv")]
    spin = "import time\nend = time.monotonic() + 120\nwhile time.monotonic() < end: pass"
    outputs = [subprocess.run(command, capture_output=True, text=True, timeout=300)]
    neighbours = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(6)]
    try:
        outputs.append(subprocess.run(command, capture_output=True, text=True, timeout=300))
    finally:
        for neighbour in neighbours:
            neighbour.kill()
            neighbour.wait()
    assert all(run.returncode == 0 for run in outputs), [run.stderr for run in outputs]
    first, second = (run.stdout.splitlines() for run in outputs)
    assert len(eval(first[0])) == 15
    seconds = [run.stderr.splitlines()[-1] for run in outputs]
    assert first == second, seconds  # trial configs, ensemble weights, probabilities: exactly
