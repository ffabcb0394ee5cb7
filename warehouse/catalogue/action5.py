"""Catalogue entries for the Action 5 registers (Prevention Pyramid, Collective Impact)."""

from __future__ import annotations

from warehouse.catalogue.indicator import Indicator

ACTION5_INDICATORS: tuple[Indicator, ...] = ()
