"""The do-nothing twin `make bench` times as the framework's floor has the real job's shape."""

import dagster as dg

from bench.framework_floor import twin
from pipelines.definitions import defs
from pipelines.defs.automation.definitions import ALL_JOB


def _shape(job: dg.JobDefinition) -> tuple[set[dg.AssetKey], set[dg.AssetCheckKey], int, int]:
    graph = job.asset_layer.asset_graph
    assets = {k for k in graph.materializable_asset_keys if not graph.get(k).is_partitioned}
    checks = {c for c in graph.asset_check_keys if c.asset_key in assets}
    deps = sum(len(graph.get(k).parent_keys & assets) for k in assets)
    return assets, checks, deps, len(job.graph.node_defs)


def test_the_twin_has_the_real_jobs_assets_checks_dependencies_and_steps() -> None:
    real = defs.resolve_job_def(ALL_JOB)
    twin_job = twin().resolve_job_def(ALL_JOB)
    real_assets, real_checks, real_deps, real_nodes = _shape(real)
    twin_assets, twin_checks, twin_deps, twin_nodes = _shape(twin_job)
    assert twin_assets == real_assets
    assert twin_checks == real_checks
    assert twin_deps == real_deps
    blocking = {s.key for c in defs.asset_checks or [] for s in c.check_specs if s.blocking} | {
        s.key for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition) for s in a.check_specs if s.blocking
    }
    twin_blocking = {s.key for n in twin().assets or [] for s in n.check_specs if s.blocking}
    assert twin_blocking == {k for k in blocking if k.asset_key in real_assets}
    assert twin_nodes == real_nodes  # one step per step of the real job
