"""The framework's floor: a do-nothing twin of the pipeline's job, run the way `make run` runs it.

One node per node of the real job (the same asset keys, check keys with their blocking flags, inputs and
dependencies; 100 steps for the bundled pipeline), executed in process on the persistent SQLite instance in
``DAGSTER_HOME``; every asset step logs one line (the real ones log theirs) and returns nothing through an IO
manager that stores nothing; every check passes. What it takes is what this graph costs in Dagster alone: process
start, imports, planning, and the events every step, output and check writes to the instance, before any data is
read. `make bench` times it beside the forced full runs (bench/run_bench.py); by hand, from the repository root:
``python -m bench.framework_floor``.
"""

import sys
from collections.abc import Iterator

import dagster as dg

from pipelines.definitions import defs
from pipelines.defs.automation.definitions import ALL_JOB


class _StoresNothing(dg.IOManager):
    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        pass

    def load_input(self, context: dg.InputContext) -> None:
        return None


def _twin_of_asset(index: int, node: dg.AssetsDefinition, keys: set[dg.AssetKey]) -> dg.AssetsDefinition:
    own = set(node.keys)
    specs = [dg.AssetSpec(s.key, deps=[d.asset_key for d in s.deps if d.asset_key in keys - own]) for s in node.specs]
    checks = [dg.AssetCheckSpec(c.name, asset=c.asset_key, blocking=c.blocking) for c in node.check_specs]
    upstream = sorted({d.asset_key for s in specs for d in s.deps}, key=lambda k: k.to_user_string())
    ins = {f"input_{i}": dg.AssetIn(key=k) for i, k in enumerate(upstream)}

    @dg.multi_asset(name=f"asset_{index}", specs=specs, check_specs=checks, ins=ins, can_subset=False)
    def _twin(context: dg.AssetExecutionContext, **_: object) -> Iterator[dg.Output | dg.AssetCheckResult]:
        context.log.info("nothing to do")
        for spec in specs:
            yield dg.Output(None, output_name=spec.key.to_python_identifier())
        for check in checks:
            yield dg.AssetCheckResult(check_name=check.name, asset_key=check.asset_key, passed=True)

    return _twin


def _twin_of_check(index: int, specs: list[dg.AssetCheckSpec]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(name=f"check_{index}", specs=specs)
    def _twin() -> Iterator[dg.AssetCheckResult]:
        for spec in specs:
            yield dg.AssetCheckResult(check_name=spec.name, asset_key=spec.asset_key, passed=True)

    return _twin


def twin() -> dg.Definitions:
    """The do-nothing twin of the job ``make run`` runs (its partitioned assets run in their own jobs)."""
    graph = defs.resolve_asset_graph()
    keys = {k for k in graph.materializable_asset_keys if not graph.get(k).is_partitioned}
    nodes: list[dg.AssetsDefinition] = [
        _twin_of_asset(i, a, keys)
        for i, a in enumerate(defs.assets or [])
        if isinstance(a, dg.AssetsDefinition) and set(a.keys) & keys
    ]
    for i, checks in enumerate(defs.asset_checks or []):
        specs = [
            dg.AssetCheckSpec(s.name, asset=s.asset_key, blocking=s.blocking)
            for s in checks.check_specs
            if s.asset_key in keys
        ]
        if specs:
            nodes.append(_twin_of_check(i, specs))
    job = dg.define_asset_job(ALL_JOB, selection=dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks())
    return dg.Definitions(assets=nodes, resources={"io_manager": _StoresNothing()}, jobs=[job])


def main() -> int:
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = twin().resolve_job_def(ALL_JOB).execute_in_process(instance=dg.DagsterInstance.get(), run_config=quiet)
    steps = sum(e.event_type_value == "STEP_START" for e in result.all_events)
    print(f"{steps} steps, {len(result.all_events)} events, success={result.success}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
