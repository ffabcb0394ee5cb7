"""What a catalogue entry holds (one row of ``published.indicators``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    name: str
    dimension: str
    unit: str
    direction: str
    formula: str
    breakdown: str | None
    geo_levels: str
    sources: str
    ci_method: str | None
    caveats: str
    comparability: str
