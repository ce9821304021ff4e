"""The postal part of the demo province (the Hạ Long pilot's phases): :func:`load_postal_demo`, idempotent,
called by ``demo.load_demo`` after the agencies, staff and catalogue are loaded.

- Điểm Bưu điện Hà Tu: phase 2 (reception and return) with home pickup over four wards of Hạ Long;
- Điểm Bưu điện Giếng Đáy and Việt Hưng: phase 2 without pickup;
- Điểm Bưu điện Thống Nhất: phase 1 (guidance only);
- the one-stop center of phường Hạ Long: phase 3, with a postal staff account working there.

Home pickup needs the procedure's version to offer the ``home_pickup`` channel: the demo catalogue's channels
do not, so a few commune-level procedures received at the Hà Tu post point get it here (demo data only).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from motcua.agencies.models import Agency, Membership, Role
from motcua.catalog.models import Channel, ProcedureVersion
from motcua.geo.models import AdministrativeUnit
from motcua.postal.models import Phase, PostalService

HATU_POST, GIENG_DAY_POST, VIET_HUNG_POST, THONG_NHAT_POST = (
    "000.91.30.H22", "000.92.30.H22", "000.93.30.H22", "000.94.30.H22")
HALONG_CENTER = "000.06.20.H22"
PICKUP_AREA = ("06652", "06661", "06685", "06688")  # Hà Tu, Việt Hưng, Hồng Gai, Hạ Long
PICKUP_PROCEDURES = ("1.000894", "1.001193", "1.000656", "1.004873", "2.000635")
PICKUP_POSTAGE, RETURN_POSTAGE = 15000, 25000
IN_CENTER_STAFF = {"username": "buudien.halong", "last_name": "Đỗ Thị", "first_name": "Mai"}


def load_postal_demo(*, password: str) -> list[str]:
    """Set the demo's postal services and the phase-3 postal staff account (with ``password`` when created);
    what it did, one line each."""
    done: list[str] = []
    points = {a.identifier_code: a for a in Agency.objects.filter(
        identifier_code__in=[HATU_POST, GIENG_DAY_POST, VIET_HUNG_POST, THONG_NHAT_POST, HALONG_CENTER])}
    with transaction.atomic():
        if HATU_POST in points:
            hatu = _service(points[HATU_POST], Phase.RECEPTION, home_pickup=True)
            hatu.service_area.set(AdministrativeUnit.objects.filter(code__in=PICKUP_AREA))
            done.append(f"{points[HATU_POST].name}: phase 2, home pickup in {len(PICKUP_AREA)} wards")
            for version in ProcedureVersion.objects.in_force().filter(procedure__code__in=PICKUP_PROCEDURES):
                if Channel.HOME_PICKUP not in version.channels:
                    version.channels = [*version.channels, Channel.HOME_PICKUP]
                    version.save(update_fields=["channels"])
        for code in (GIENG_DAY_POST, VIET_HUNG_POST):
            if code in points:
                _service(points[code], Phase.RECEPTION)
                done.append(f"{points[code].name}: phase 2")
        if THONG_NHAT_POST in points:
            _service(points[THONG_NHAT_POST], Phase.GUIDANCE)
            done.append(f"{points[THONG_NHAT_POST].name}: phase 1 (guidance only)")
        if HALONG_CENTER in points:
            _service(points[HALONG_CENTER], Phase.IN_CENTER)
            user, created = get_user_model().objects.get_or_create(
                username=IN_CENTER_STAFF["username"],
                defaults={"last_name": IN_CENTER_STAFF["last_name"], "first_name": IN_CENTER_STAFF["first_name"],
                          "is_staff": True})
            if created:
                user.set_password(password)
                user.save()
            Membership.objects.get_or_create(user=user, agency=points[HALONG_CENTER], role=Role.POSTAL)
            done.append(f"{points[HALONG_CENTER].name}: phase 3, postal staff {user.username}")
    return done


def _service(point: Agency, phase: int, *, home_pickup: bool = False) -> PostalService:
    row, _created = PostalService.objects.update_or_create(
        point=point, procedure=None, defaults={"phase": phase, "home_pickup": home_pickup,
                                               "pickup_postage": PICKUP_POSTAGE if home_pickup else 0,
                                               "return_postage": RETURN_POSTAGE})
    return row
