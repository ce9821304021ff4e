"""What the applicant hears about a home pickup (the domain decides the text's content; ``notifications``
renders ``notifications/<language>/pickup_status.*`` and delivers it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from motcua.core.formats import dong, moment
from motcua.dossiers.messages import recipients, tracking_url
from motcua.dossiers.models import Dossier
from motcua.postal.models import FailReason, Pickup

TEMPLATE = "pickup_status"


@dataclass(frozen=True)
class PickupMessage:
    context: dict[str, Any]
    email: str
    phone: str
    user: AbstractBaseUser | None
    language: str


def pickup_message(dossier: Dossier, pickup: Pickup) -> PickupMessage:
    """The message about ``pickup``'s new state, to the dossier's applicant (and the contact phone, when the
    one the courier calls is another one)."""
    email, phone, user, language = recipients(dossier)
    point = pickup.point
    context = {
        "status": pickup.status, "code": dossier.code, "applicant_name": dossier.applicant_name,
        "point_vi": point.name, "point_en": point.name_en or point.name, "point_hotline": point.hotline,
        "window_start": moment(pickup.window_start), "window_end": moment(pickup.window_end),
        "reason": FailReason(pickup.fail_reason).label if pickup.fail_reason else "", "reason_code": pickup.fail_reason,
        "postage_text": dong(pickup.postage) if pickup.postage else "", "receipt_number": pickup.receipt_number,
        "tracking_url": tracking_url(dossier),
    }
    return PickupMessage(context, email, phone or pickup.contact_phone, user, language)
