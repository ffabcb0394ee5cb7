"""published.code_labels from the real code lists (transforms/code_labels.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sources.codelists import read_dic
from sources.cohesion import read_esif_planned
from sources.registry import CODELISTS, COHESION
from transforms.code_labels import CODE_LABEL_SCHEMA, code_labels
from warehouse.metadata import CODE_LABELS, conform


@pytest.fixture(scope="module")
def labels(raw_dir: Path) -> pl.DataFrame:
    (iccs_source,) = [s for s in CODELISTS if s.name == "iccs_labels"]
    (esif_source,) = COHESION
    iccs = read_dic(iccs_source.path(raw_dir)).with_columns(pl.lit("iccs.dic").alias("source_file"))
    esif = read_esif_planned(esif_source.path(raw_dir)).with_columns(pl.lit("esif.csv").alias("source_file"))
    return code_labels(iccs, esif)


def test_shape_and_key(labels: pl.DataFrame) -> None:
    assert dict(labels.schema) == CODE_LABEL_SCHEMA
    conform(CODE_LABELS, labels)  # the published contract
    assert not labels.select("code_list", "code").is_duplicated().any()
    assert labels.null_count().sum_horizontal().item() == 0


def test_every_labelled_iccs_code_of_the_published_rates(labels: pl.DataFrame, rates, raw_dir: Path) -> None:
    values, _ = rates
    (iccs_source,) = [s for s in CODELISTS if s.name == "iccs_labels"]
    in_dictionary = set(read_dic(iccs_source.path(raw_dir))["code"])
    used = set(values["breakdown"].drop_nulls())
    iccs = dict(labels.filter(pl.col("code_list") == "iccs").select("code", "label").iter_rows())
    assert used & in_dictionary <= set(iccs)
    assert iccs["ICCS0101"] == "Intentional homicide"
    # Codes newer than the dictionary stay unlabelled rather than get an invented label.
    print("\nICCS codes of the published rates without a label:", sorted(used - set(iccs)))
    assert not (used - set(iccs)) & in_dictionary


def test_thematic_objectives_take_the_files_commonest_name(labels: pl.DataFrame) -> None:
    objectives = dict(
        labels.filter(pl.col("code_list") == "esif_thematic_objective").select("code", "label").iter_rows()
    )
    assert objectives["09"] == "Social Inclusion"
    assert objectives["DM"] == "Discontinued Measures"  # 20 rows; 16 rows call it 'Competitiveness of SMEs'


def test_every_project_code_in_the_city_links_is_labelled(labels: pl.DataFrame, city_links: pl.DataFrame) -> None:
    for column in ("territory_match", "lau_match", "nuts3_basis", "size_class"):
        used = set(city_links[column].drop_nulls())
        listed = set(labels.filter(pl.col("code_list") == column)["code"])
        assert used == listed, column


def test_every_comparability_and_ci_method_of_the_catalogue_is_labelled(labels: pl.DataFrame) -> None:
    from warehouse.catalogue import CATALOGUE

    listed = set(labels.filter(pl.col("code_list") == "ci_method")["code"])
    assert {i.ci_method for i in CATALOGUE if i.ci_method} <= listed
