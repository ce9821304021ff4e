"""A province where the marriage registration is received regardless of boundaries (DESIGN.md §3): the ``World``
plus a second ward (Cao Xanh) with its one-stop point, its People's Committee and their staff; an old ward merged
into Cao Xanh; a ward dissolved with no successor recorded; and a ward of another province."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model

from motcua.agencies.models import Agency, AgencyKind, Membership
from motcua.catalog.models import ProcedureVersion
from motcua.geo.models import AdministrativeUnit, UnitMerge
from tests.factories import MARRIAGE, World

CAO_XANH, MERGED, DISSOLVED, ELSEWHERE = "06655", "06640", "06641", "11311"
CAO_XANH_CENTER, CAO_XANH_COMMITTEE = "000.02.20.H22", "000.02.21.H22"


class BoundaryWorld(World):
    def __init__(self) -> None:
        super().__init__()
        province = AdministrativeUnit.objects.get(code="22")
        make_unit = AdministrativeUnit.objects.create
        self.cao_xanh = make_unit(code=CAO_XANH, name="Phường Cao Xanh", kind="ward", parent=province)
        make_unit(code=MERGED, name="Phường Hồng Hải (cũ)", kind="ward", parent=province, is_active=False)
        UnitMerge.objects.create(old_code=MERGED, old_name="Phường Hồng Hải", old_kind="ward", new_unit=self.cao_xanh,
                                 effective_date=date(2025, 7, 1), decision="Nghị quyết 1679/NQ-UBTVQH15")
        make_unit(code=DISSOLVED, name="Phường Bạch Đằng (cũ)", kind="ward", parent=province, is_active=False)
        other = make_unit(code="31", name="Hải Phòng", kind="city")
        self.elsewhere = make_unit(code=ELSEWHERE, name="Phường Hồng Bàng", kind="ward", parent=other)
        make = Agency.objects.create
        self.cao_xanh_center = make(identifier_code=CAO_XANH_CENTER, name="Trung tâm Phục vụ hành chính công phường "
                                    "Cao Xanh", kind=AgencyKind.COMMUNE_ONE_STOP, unit=self.cao_xanh,
                                    parent=self.center)
        self.cao_xanh_committee = make(identifier_code=CAO_XANH_COMMITTEE, name="Ủy ban nhân dân phường Cao Xanh",
                                       kind=AgencyKind.PEOPLE_COMMITTEE, unit=self.cao_xanh)
        make(identifier_code="000.03.21.H31", name="Ủy ban nhân dân phường Hồng Bàng",
             kind=AgencyKind.PEOPLE_COMMITTEE, unit=self.elsewhere)
        users = get_user_model().objects
        for username, code, roles in (
            ("chuyenvien.caoxanh", CAO_XANH_COMMITTEE, ("processing",)),
            ("lanhdao.caoxanh", CAO_XANH_COMMITTEE, ("leader", "signer")),
            ("tiepnhan.caoxanh", CAO_XANH_CENTER, ("reception",)),
        ):
            user = users.create_user(username, password="motcua-demo", last_name="Cán bộ", first_name=username)
            for role in roles:
                Membership.objects.create(user=user, agency=Agency.objects.get(identifier_code=code), role=role)
            self.users[username] = user
        ProcedureVersion.objects.filter(procedure__code=MARRIAGE).update(boundary_free=True)
