"""Dagster definitions: assets, checks, jobs and schedules only. Parsing lives in ``sources``, computation in
``transforms``, storage in ``warehouse``."""
