"""docs/scaling.md: the configuration it shows loads — each YAML block validated against Dagster's own schemas
(the instance, PostgreSQL storage, the run queue, the Kubernetes run launcher and the Kubernetes step executor)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from dagster._config import validate_config
from dagster._core.instance.config import dagster_instance_config, run_queue_config_schema

from sources.config import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "scaling.md"


def _blocks() -> dict[str, dict]:
    """YAML blocks of the page by their first-line comment ('# dagster.yaml (cluster)', ...)."""
    blocks = {}
    for body in re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        title = body.splitlines()[0].lstrip("# ").strip()
        blocks[title] = yaml.safe_load(body)
    return blocks


def _valid(schema: object, value: object) -> None:
    result = validate_config(schema, value)
    assert result.success, [e.message for e in result.errors]


def test_the_page_has_the_instance_and_executor_blocks() -> None:
    assert set(_blocks()) == {"dagster.yaml (cluster)", "run config (k8s_job_executor)"}


def test_cluster_instance_configuration_validates(tmp_path: Path) -> None:
    from dagster_k8s import K8sRunLauncher
    from dagster_postgres import DagsterPostgresStorage

    config = _blocks()["dagster.yaml (cluster)"]
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    loaded, _ = dagster_instance_config(str(tmp_path))  # the instance schema, as DagsterInstance reads it
    assert loaded["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    _valid(DagsterPostgresStorage.config_type(), config["storage"]["postgres"])
    _valid(run_queue_config_schema().config_type, config["run_coordinator"]["config"])
    _valid(K8sRunLauncher.config_type(), config["run_launcher"]["config"])
    env = dict(v.split("=", 1) for v in config["run_launcher"]["config"]["env_vars"])
    assert {"URBAN_SAFETY_DB", "URBAN_SAFETY_WORK_DB", "URBAN_SAFETY_DATA_DIR"} <= set(env)


def test_step_executor_run_config_validates() -> None:
    from dagster_k8s import k8s_job_executor

    config = _blocks()["run config (k8s_job_executor)"]
    _valid(k8s_job_executor.config_schema.as_field().config_type, config["execution"]["config"])


def test_a_broken_block_would_fail() -> None:
    """The validation used above rejects what Dagster would reject (so the tests above can fail)."""
    from dagster_k8s import K8sRunLauncher

    config = _blocks()["dagster.yaml (cluster)"]["run_launcher"]["config"]
    with pytest.raises(AssertionError):
        _valid(K8sRunLauncher.config_type(), {**config, "job_namespac": "typo"})
