"""The daily reconciliation page of the staff workspace (``payments.reconciliation``), its CSV export and the
upload of a statement (``payments.statements``).

- ``workspace:reconciliation`` (GET ``/workspace/reconciliation/?day=YYYY-MM-DD``): totals per point, gateway,
  carrier and bank, and every mismatch, scoped (``reconciliation.scope_for``: a point's staff their point,
  leaders and supervisors their agencies);
- ``workspace:reconciliation_export`` (GET ``…/export.csv?day=…``): the same as CSV;
- ``workspace:statement_upload`` (POST ``…/import/``): a bank statement, gateway report or carrier statement.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from motcua.core.calendar import VN_TZ
from motcua.core.errors import MotCuaError
from motcua.payments import reconciliation, statements
from motcua.payments.models import StatementSource
from motcua.workspace.views.base import actor_of

MAX_UPLOAD = 10 * 1024 * 1024  # a month of a province's bank statement is well under this


def _day(request: HttpRequest) -> date:
    try:
        return date.fromisoformat(request.GET.get("day", "") or request.POST.get("day", ""))
    except ValueError:
        return timezone.now().astimezone(VN_TZ).date()


def _result(request: HttpRequest) -> reconciliation.Reconciliation:
    actor = actor_of(request)
    if not actor.roles:
        raise PermissionDenied
    return reconciliation.reconcile(_day(request), points=reconciliation.scope_for(actor))


@require_safe
@login_required
def page(request: HttpRequest) -> HttpResponse:
    result = _result(request)
    actor = actor_of(request)
    return render(request, "workspace/reconciliation.html", {
        "actor": actor, "r": result, "totals": result.totals(), "day": result.first,
        "sources": StatementSource.choices, "may_import": reconciliation.may_import(actor),
    })


@require_safe
@login_required
def export(request: HttpRequest) -> HttpResponse:
    result = _result(request)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(reconciliation.csv_rows(result))
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="doi-soat-{result.first}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def upload(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not reconciliation.may_import(actor):
        raise PermissionDenied
    file = request.FILES.get("file")
    try:
        if file is None or file.size is None or file.size > MAX_UPLOAD:
            raise MotCuaError("file_required", _("Choose the statement file (CSV or XLSX, at most 10 MB)."))
        result = statements.import_file(request.POST.get("source", ""), request.POST.get("name", "").strip(),
                                        file.read(), file.name or "", day=_day(request))
    except MotCuaError as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, _(
            "%(created)s new line(s), %(already)s already imported, %(matched)s matched, %(unmatched)s unmatched.")
            % {"created": result.created, "already": result.already, "matched": result.matched,
               "unmatched": len(result.unmatched)})
    return redirect(reverse("workspace:reconciliation") + "?" + urlencode({"day": _day(request).isoformat()}))
