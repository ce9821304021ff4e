"""The named refusals of dossier operations, each with one text per code (STYLE.md, row 6)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from motcua.core.errors import MotCuaError, NotFound
from motcua.dossiers.statuses import Status


class DossierNotFound(NotFound):
    """No dossier has this code (404, ``dossier_not_found``)."""

    def __init__(self, code: str) -> None:
        super().__init__("dossier_not_found", _("No dossier has the code %(code)s."), {"code": code[:60]})


class Conflict(MotCuaError):
    """The dossier is not in the state the caller expected (409)."""

    status = 409


def dossier_changed(code: str, status: str) -> Conflict:
    """Someone else changed the dossier since the caller read it (optimistic concurrency on ``revision``)."""
    return Conflict(
        "dossier_changed",
        _("Someone else changed dossier %(code)s a moment ago (it is now “%(status)s”). Reload it and try again."),
        {"code": code, "status": Status(status).label},
    )
