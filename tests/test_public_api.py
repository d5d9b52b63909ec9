import automl


def test_all_is_sorted_and_complete():
    assert automl.__all__ == sorted(automl.__all__)
    public = {name for name in dir(automl) if not name.startswith("_")}
    assert set(automl.__all__) <= public
    for name in automl.__all__:
        assert getattr(automl, name).__doc__
