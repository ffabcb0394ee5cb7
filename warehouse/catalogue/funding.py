"""Catalogue entries for EU funding (Action 5 / background conditions)."""

from __future__ import annotations

from warehouse.catalogue.indicator import Indicator

FUNDING_INDICATORS: tuple[Indicator, ...] = ()
