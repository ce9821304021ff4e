"""Annotated types for numbers and dates that callers send, read strictly where pydantic's lax mode guesses.

Lax mode reads ``received_to=0`` as 1970-01-01 (a Unix time), ``revision=false`` as 0 and ``true`` as 1. These
types keep lax mode's useful part (the text ``"5"`` of a query or a form is the number 5) and refuse the rest with
the usual 422 ``validation_failed`` naming the parameter:

- :data:`Integer`: a whole number, never a boolean;
- :data:`IsoDate`: ``YYYY-MM-DD`` text (or a ``date``), never a number;
- :data:`IsoDateTime`: ISO 8601 text (``2026-11-23``, ``2026-11-23T09:00``, ``…T09:00:00+07:00``) or a
  ``datetime``, never a number.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?")


def _whole_number(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) or (isinstance(value, str) and ISO_DATE.fullmatch(value.strip())):
        return value
    raise PydanticCustomError("date_parsing", "Input should be a valid date in the format YYYY-MM-DD")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and ISO_DATETIME.fullmatch(value.strip())):
        return value
    raise PydanticCustomError("datetime_parsing", "Input should be a valid datetime in ISO 8601")


Integer = Annotated[int, BeforeValidator(_whole_number)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
