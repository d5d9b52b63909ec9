import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from automl.final.assemble import FinalModel
from automl.final.ensemble import WeightedEnsemble, fold_average
from automl.final.prior_blend import PriorBlend
from automl.leaderboard import COLUMNS, ENSEMBLE, build_leaderboard, trials_only
from automl.trials.evaluate import TrialResult
from automl.trials.model_size import Handover, estimated_pickle_bytes
from automl.trials.trial_log import Trial, TrialLog

_MB = 2**20


def _trial(number, loss=None, source="tpe", status="ok", predict_seconds=0.02, nbytes=4096):
    result = TrialResult(status, score=None if loss is None else -loss,
                         error=None if status == "ok" else "boom", fit_seconds=0.5,
                         predict_ms_per_1000_rows=predict_seconds * 1e4 if status == "ok"
                         else np.nan,
                         handover=Handover(0.0, 0.0, nbytes if status == "ok" else 0))
    return Trial(number, {"model": "logistic_regression" if number % 2 else "decision_tree"},
                 source, result, 0.0, float(number + 1))


@pytest.fixture(scope="module")
def fitted():
    X, y = load_iris(return_X_y=True)
    return (LogisticRegression(max_iter=500).fit(X, y),
            [DecisionTreeClassifier(random_state=k).fit(X[k::3], y[k::3]) for k in range(3)])


def test_scores_in_metric_units_best_first_with_the_blend_as_a_row(tmp_path, fitted):
    linear, trees = fitted
    log = TrialLog(tmp_path / "trials.jsonl", sign=-1.0)  # log loss
    for trial in [_trial(0, 0.30), _trial(1, 0.20), _trial(2, status="failed"),
                  _trial(3, 0.01, source="preview"), _trial(4, 0.50)]:
        log.append(trial)
    folds = fold_average(trees, 3)
    ensemble = WeightedEnsemble([folds, linear], [0.25, 0.75], 3, trials=[0, 1])
    final = FinalModel(PriorBlend(ensemble, np.full(3, 1 / 3), 0.01), {0: 0.25, 1: 0.75},
                       ensemble_score=-0.15)
    board = build_leaderboard(log, final)
    assert list(board.columns) == COLUMNS
    assert board["model"].tolist()[0] == ENSEMBLE  # 0.15 beats every trial
    assert board["score"].tolist()[:4] == pytest.approx([0.15, 0.20, 0.30, 0.50])
    assert board["source"].tolist()[4:] == ["preview", "tpe"] and board["status"].iloc[-1] == "failed"
    rows = board.set_index(board["trial"].astype(str))
    assert rows.loc["1", "predict_ms_per_1000_rows"] == pytest.approx(200.0)  # 20 ms / 100 rows
    assert rows.loc["0", "predict_ms_per_1000_rows"] == pytest.approx(600.0)  # three fold models
    assert rows.loc["4", "size_mb"] == pytest.approx(4096 / _MB)  # not a member: one fold model
    assert rows.loc["1", "size_mb"] == pytest.approx(estimated_pickle_bytes(linear) / _MB)
    assert rows.loc["0", "size_mb"] == pytest.approx(estimated_pickle_bytes(folds) / _MB)
    assert rows.loc["2", ["predict_ms_per_1000_rows", "size_mb"]].isna().all()  # failed
    blend = board.iloc[0]
    assert pd.isna(blend["trial"]) and pd.isna(blend["ensemble_weight"])
    assert blend["predict_ms_per_1000_rows"] == pytest.approx(800.0)
    assert blend["size_mb"] == pytest.approx(estimated_pickle_bytes(final.model) / _MB)
    assert blend["config"] == {"members": {"0": 0.25, "1": 0.75}}
    assert trials_only(board)["trial"].tolist() == [1, 0, 4, 2]
    assert trials_only(board)["ensemble_weight"].sum() == pytest.approx(1.0)


def test_one_member_or_the_prior_gives_no_blend_row(tmp_path, fitted):
    linear, _ = fitted
    log = TrialLog(tmp_path / "trials.jsonl", sign=1.0)  # ROC AUC: higher is better
    for trial in [_trial(0, -0.90), _trial(1, -0.95)]:  # scores 0.90 and 0.95
        log.append(trial)
    single = build_leaderboard(log, FinalModel(linear, {1: 1.0}))
    assert single["trial"].tolist() == [1, 0] and ENSEMBLE not in set(single["source"])
    assert single["score"].tolist() == pytest.approx([0.95, 0.90])
    prior = build_leaderboard(log, FinalModel(None))
    assert (prior["ensemble_weight"] == 0).all() and len(prior) == 2


def test_leaders_drawn_again_show_their_draws_and_mean_score(tmp_path):
    log = TrialLog(tmp_path / "trials.jsonl", sign=-1.0)  # log loss
    for trial in [_trial(0, 0.30), _trial(1, 0.20), _trial(2, status="failed"),
                  _trial(3, 0.01, source="preview")]:
        log.append(trial)
    board = build_leaderboard(log, split_scores={1: [-0.26, -0.29]}).set_index("trial")
    assert board.loc[1, "draws"] == 3
    assert board.loc[1, "score_on_draws"] == pytest.approx((0.20 + 0.26 + 0.29) / 3)
    assert board.loc[0, "draws"] == 1 and board.loc[0, "score_on_draws"] == pytest.approx(0.30)
    assert board.loc[[2, 3], "draws"].isna().all()  # a failure and the preview: no draws
    assert board.loc[[2, 3], "score_on_draws"].isna().all()
