"""A returned dossier of the demo citizen (``congdan.demo``, 0912000001), so that rating it can be tried at once:
on the portal (*Hồ sơ của tôi*) or by Zalo (``DG [code] 5``, docs/zalo.md).

A counter dossier of a commune procedure at Hà Tu, received about three weeks ago for her citizen ID (her
identity is verified, so the dossier joins her account), taken step by step through **the real services** with
a backdated ``now=`` (transfer, processing, approval, the result, the fee in cash, the return) like
:mod:`motcua.demo.history`, and not rated. Her past is not messaged (the notifications receiver is off while it
runs). Idempotent: a returned dossier of hers is kept and its code given again.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from motcua.agencies.models import Agency, Role
from motcua.catalog.models import ProcedureVersion
from motcua.core.calendar import VN_TZ
from motcua.demo.history import SEED, _Maker  # the history's helpers: staff by agency and role, working time
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier
from motcua.dossiers.signals import dossier_changed
from motcua.dossiers.statuses import Status
from motcua.notifications import receivers as notification_receivers
from motcua.payments import selectors as payment_selectors
from motcua.payments import services as payment_services

CITIZEN = "congdan.demo"
CENTER = "000.01.20.H22"  # Hà Tu
PROCEDURE = "1.001193"
DAYS_AGO = 20


def returned_code() -> str:
    """The code of a returned dossier of the demo citizen's account, or ``""``."""
    dossier = (Dossier.objects.filter(applicant_user__username=CITIZEN, status=Status.RETURNED)
               .order_by("pk").only("code").first())
    return dossier.code if dossier is not None else ""


def load_returned(*, now: datetime | None = None) -> str:
    """Give the demo citizen a returned, unrated dossier (once); its code, or ``""`` when the catalogue or the
    staff it needs are missing."""
    code = returned_code()
    if code:
        return code
    user = get_user_model().objects.filter(username=CITIZEN).select_related("citizen").first()
    center = Agency.objects.filter(identifier_code=CENTER).first()
    if user is None or center is None:
        return ""
    now = now or timezone.now()
    maker = _Maker(now, random.Random(SEED))
    version = maker.versions.get(PROCEDURE)
    if version is None:
        return ""
    day = timezone.localdate(now, VN_TZ) - timedelta(days=DAYS_AGO)
    while not maker.cal.is_working_day(day):
        day -= timedelta(days=1)
    muted = dossier_changed.disconnect(dispatch_uid="notifications.dossier_changed")
    try:
        with transaction.atomic():
            return _walk(maker, user, center, version, datetime.combine(day, time(8, 30), VN_TZ))
    finally:
        if muted:
            dossier_changed.connect(notification_receivers.dossier_changed,
                                    dispatch_uid="notifications.dossier_changed")


def _walk(maker: _Maker, user: Any, center: Agency, version: ProcedureVersion, start: datetime) -> str:
    profile = user.citizen
    front = maker.actor(center.pk, Role.RECEPTION)
    components = [{"order": i, "originals": 1} for i in range(1, version.components.count() + 1)]
    dossier, _new = dossier_services.create_dossier(actor=front, now=start, data={
        "procedure": PROCEDURE, "channel": "counter", "components": components, "receiving_agency": CENTER,
        "applicant": {"name": profile.full_name, "id_number": profile.id_number, "address": profile.address,
                      "phone": profile.phone}})
    code, t = dossier.code, start
    for _step in range(12):
        dossier = Dossier.objects.get(code=code)
        t = maker.later(t, 0.3)
        if dossier.status == Status.RETURNED:
            break
        if dossier.status == Status.RESULT_READY:
            due = payment_selectors.amount_due(dossier)
            if due:
                payment_services.record_collection(code=code, method="cash", amount=due, actor=front,
                                                   point_id=dossier.receiving_agency_id, now=t)
            dossier_services.perform(code, "return_result", actor=front, now=maker.later(t, 0.1),
                                     params={"delivery": "counter", "recipient": profile.full_name})
            continue
        step = dossier.plan[dossier.step_index]
        officer = maker.as_actor(maker.person(step["agency"], step["role"]))
        if dossier.step_index == 0:
            dossier_services.perform(code, "transfer", actor=officer, now=t)
        elif step["role"] == Role.SIGNER:
            dossier_services.issue_result(code, actor=officer, file=io.BytesIO(maker.pdf), name="ket-qua.pdf", now=t)
        elif step["role"] == Role.LEADER:
            dossier_services.perform(code, "approve", actor=officer, now=t)
        else:
            if step["role"] == Role.PROCESSING and dossier.assignee_id is None:
                person = maker.person(step["agency"], step["role"])
                dossier_services.perform(code, "assign", actor=maker.as_actor(person), now=t,
                                         params={"assignee": person.username})
                officer = maker.as_actor(person)
            dossier_services.perform(code, "forward", actor=officer, now=maker.later(t, 0.1))
    return code if Dossier.objects.filter(code=code, status=Status.RETURNED).exists() else ""
