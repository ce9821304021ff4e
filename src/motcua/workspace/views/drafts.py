"""The draft of the result on the dossier page: the processing officer generates it from a result template or
uploads a corrected one ("Tải lên bản đã sửa"); the leader and the signer open the latest at their steps.

Who may draft is ``dossiers.machine.may_draft_result``; the services are ``dossiers.services.draft_result`` and
``upload_draft``. The answer is the dossier's panel again (htmx) or the page, with the outcome as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from motcua.core.errors import MotCuaError
from motcua.core.web import HtmxHttpRequest
from motcua.dossiers import services
from motcua.dossiers.models import Attachment
from motcua.workspace.views.base import actor_of, dossier_or_404, int_or_none
from motcua.workspace.views.dossier import panel_context


def _answer(request: HtmxHttpRequest, code: str, result: Attachment | MotCuaError) -> HttpResponse:
    if isinstance(result, MotCuaError):
        messages.error(request, result.text())
    else:
        messages.success(request, _("The draft result %(name)s is attached; it goes on with the dossier.") % {
            "name": result.original_name})
    if request.htmx:
        actor = actor_of(request)
        fresh = dossier_or_404(actor, code, via="")  # this request's access is logged already
        return render(request, "workspace/_panel.html", panel_context(request, actor, fresh))
    return redirect("workspace:dossier", code=code)


@require_POST
@login_required
def generate(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """The "Draft the result" button (Tạo dự thảo kết quả): the chosen result template filled for the dossier,
    attached as the latest draft."""
    actor = actor_of(request)
    found = dossier_or_404(actor, code)
    template_id = int_or_none(request.POST.get("template"))
    try:
        result: Attachment | MotCuaError = services.draft_result(found.code, actor=actor,
                                                                 template_id=template_id or 0)
    except MotCuaError as exc:
        result = exc
    return _answer(request, found.code, result)


@require_POST
@login_required
def upload(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """The "Upload the corrected draft" form (Tải lên bản đã sửa): a corrected draft (PDF, checked by content),
    attached as the latest draft."""
    actor = actor_of(request)
    found = dossier_or_404(actor, code)
    file = request.FILES.get("draft_file")
    try:
        if file is None:
            raise MotCuaError("file_required", _("Choose the corrected draft (PDF) to upload."), location="draft_file")
        result: Attachment | MotCuaError = services.upload_draft(found.code, actor=actor, file=file,
                                                                 name=file.name or "du-thao.pdf", size=file.size)
    except MotCuaError as exc:
        result = exc
    return _answer(request, found.code, result)
