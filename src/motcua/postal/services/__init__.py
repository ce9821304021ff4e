"""The postal app's changes, one module per part (``pickups``: home pickups of a dossier's papers)."""
