"""Receivers of the postal signals (``postal.signals``), connected in ``PostalConfig.ready``."""
