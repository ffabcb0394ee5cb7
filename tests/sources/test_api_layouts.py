"""Every Eurostat source reads the same in the dissemination API's own layout as in its bundled file.

Regression: the API's TSV carries a leading ``freq`` dimension for every dataset, and the readers refused
it for ``tps00001`` and ``urb_percep`` (bundled in the older bulk layout), so a first live run failed.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sources.eurostat import read_eurostat
from sources.registry import ALL_SOURCES
from tests.sources.api_layouts import api_body, read_bundled

EUROSTAT = [s for s in ALL_SOURCES if s.reader == "eurostat"]


def _comparable(cells: pl.DataFrame, dims: list[str]) -> pl.DataFrame:
    keep = [d for d in dims if d != "freq"]
    return cells.select(*keep, "period", "value", "obs_status", "conf_status").sort(*keep, "period")


@pytest.mark.parametrize("source", EUROSTAT, ids=lambda s: s.name)
def test_the_api_layout_of_every_source_reads_like_the_bundled_file(source, tmp_path: Path) -> None:
    body, _ = api_body(source.name)
    path = tmp_path / Path(source.relpath).name
    path.write_bytes(body)

    live = read_eurostat(path, source.name)  # the registry name: dimensions are checked
    bundled = read_bundled(source.name)

    if live.serialisation != "jsonstat":
        assert live.serialisation == "tsv_api" and live.dimensions[0] == "freq"
        assert body.startswith(b"freq,")
    assert live.quarantine.height == 0
    assert sorted(d for d in live.dimensions if d != "freq") == sorted(d for d in bundled.dimensions if d != "freq")
    assert_frame_equal(_comparable(live.cells, live.dimensions), _comparable(bundled.cells, bundled.dimensions))


@pytest.mark.parametrize("name", ["tps00001", "urb_percep"])
def test_bulk_layout_sources_accept_the_api_freq_dimension(name: str, tmp_path: Path) -> None:
    bundled = read_bundled(name)
    assert bundled.serialisation == "tsv_bulk" and "freq" not in bundled.dimensions
    path = tmp_path / f"{name}.tsv"
    path.write_bytes(api_body(name)[0])
    assert read_eurostat(path, name).dimensions == ["freq", *bundled.dimensions]
