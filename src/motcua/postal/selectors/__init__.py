"""Reads of the postal app, one module per part (like ``postal.models`` and ``postal.services``)."""
