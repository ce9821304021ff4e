"""Moved to :mod:`motcua.catalog.fees` (the fee of a procedure version is the catalogue's); kept until the portal
imports it from there."""

from motcua.catalog.fees import FeeLine, FeeQuote, exemptions_of, quantity, quote

__all__ = ["FeeLine", "FeeQuote", "exemptions_of", "quantity", "quote"]
