import pandas as pd
import pytest

from automl.base.exceptions import InputError
from automl.input.tables import read_table, split_table


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({"id": [1, 2, 3], "x": [0.5, None, 2.0], "city": ["a", "b", "a"],
                         "y": ["no", "yes", "no"]})


@pytest.mark.parametrize("name", ["data.csv", "data.csv.gz", "data.CSV.bz2", "data.tsv",
                                  "data.parquet"])
def test_reads_csv_compressed_tsv_and_parquet(tmp_path, frame, name):
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False, sep="\t" if ".tsv" in name else ",",
                     compression="infer" if name.islower() else "bz2")
    read = read_table(path)
    assert list(read.columns) == list(frame.columns)
    assert read["city"].tolist() == ["a", "b", "a"]
    assert read["x"].isna().tolist() == [False, True, False]


def test_missing_file_and_folder_are_named(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a folder; give a CSV or Parquet file"):
        read_table(tmp_path)


def test_unknown_format_says_what_is_supported(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"unknown format '\.xlsx'.*Parquet"):
        read_table(path)


def test_unreadable_and_empty_files(tmp_path):
    broken = tmp_path / "data.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="could not be read as parquet"):
        read_table(broken)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty.csv"):
        read_table(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("a,b\n")
    with pytest.raises(InputError, match="no rows"):
        read_table(header_only)


def test_split_keeps_target_and_ids_out_of_the_features(frame):
    table = split_table(frame, "y", "id")
    assert list(table.X.columns) == ["x", "city"]
    assert table.y.tolist() == ["no", "yes", "no"]
    assert table.ids.tolist() == [1, 2, 3]
    assert split_table(frame).y is None


def test_split_names_a_missing_column_and_lists_the_columns(frame):
    with pytest.raises(InputError, match=r"no target column 'label'.*'id', 'x', 'city', 'y'"):
        split_table(frame, "label")
    with pytest.raises(InputError, match="no id column 'key'"):
        split_table(frame, "y", "key")
    with pytest.raises(InputError, match="both 'y'"):
        split_table(frame, "y", "y")
    with pytest.raises(InputError, match="no feature columns"):
        split_table(frame[["id", "y"]], "y", "id")


def test_a_semicolon_separated_csv_gets_a_hint_about_the_separator(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("id;a;b;target\n1;2;3;x\n2;3;4;y\n")
    with pytest.raises(InputError, match=r"no target column 'target'.*separated by ';', not "
                                         r"commas.*sep=';'"):
        split_table(read_table(path), "target")
