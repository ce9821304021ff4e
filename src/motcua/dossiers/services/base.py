"""What every dossier service shares: parsing a request body with its pydantic model, and the moment of now."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from motcua.core.errors import ValidationFailed, from_pydantic


def validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """Parse ``data`` with a pydantic model; errors become one :class:`ValidationFailed` in vi/en."""
    try:
        return model.model_validate(data)
    except PydanticError as exc:
        raise ValidationFailed(
            [from_pydantic(e, ".".join(str(p) for p in e["loc"])) for e in exc.errors()]
        ) from None


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()
