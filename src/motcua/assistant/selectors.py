"""Reads for the assistant's pages: the communes a citizen may choose (to be told the nearest service point)."""

from __future__ import annotations

from django.db.models import QuerySet

from motcua.agencies.models import AgencyKind
from motcua.geo.models import AdministrativeUnit

# the example questions offered as chips under the box
EXAMPLES = ("Làm sổ đỏ", "Đăng ký khai sinh cho con", "Đăng ký kết hôn", "Xin phép xây nhà", "Mở quán ăn",
            "Lý lịch tư pháp", "Đổi bằng lái xe")


def communes_served() -> QuerySet[AdministrativeUnit]:
    """The communes and wards that have a one-stop service point, by name."""
    return (AdministrativeUnit.objects.filter(agencies__kind=AgencyKind.COMMUNE_ONE_STOP, agencies__is_active=True)
            .distinct().order_by("name").only("code", "name"))
