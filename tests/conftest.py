"""Shared fixtures: a small valid catalogue document, a province with agencies, the imported catalogue."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from motcua.agencies.models import Agency, AgencyKind
from motcua.catalog.services import import_catalog
from motcua.geo.models import AdministrativeUnit

FIELDS = [
    {"code": "HT", "name_vi": "Hộ tịch", "name_en": "Civil status"},
    {"code": "XD", "name_vi": "Xây dựng", "name_en": "Construction"},
]


def procedure(code: str = "1.000894", **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "code": code,
        "name_vi": "Đăng ký kết hôn",
        "name_en": "Marriage registration",
        "field": "HT",
        "level": "commune",
        "implementing_body": "Ủy ban nhân dân cấp xã",
        "processing_days": "5",
        "legal_basis": ["Luật Hộ tịch số 60/2014/QH13"],
        "online_level": "partial",
        "channels": ["online", "counter", "post_office"],
        "result_delivery": ["counter", "post"],
        "boundary_free": True,
        "results": [{"name_vi": "Giấy chứng nhận kết hôn", "name_en": "Marriage certificate"}],
        "components": [
            {"name_vi": "Tờ khai đăng ký kết hôn", "originals": 1, "copies": 0, "template_name": "TP/HT-2020-KH.1"},
            {"name_vi": "Giấy xác nhận tình trạng hôn nhân", "originals": 1, "copies": 0, "required": False,
             "reusable": True},
        ],
        "fees": [{"name_vi": "Lệ phí đăng ký kết hôn", "amount": 0, "note": "Miễn lệ phí"}],
        "workflow": [
            {"name_vi": "Tiếp nhận hồ sơ", "role": "reception", "agency_kind": "commune_one_stop", "days": "0.5"},
            {"name_vi": "Thẩm định", "role": "processing", "agency_kind": "people_committee", "days": "3"},
            {"name_vi": "Ký duyệt", "role": "leader", "agency_kind": "people_committee", "days": "1"},
            {"name_vi": "Trả kết quả", "role": "reception", "agency_kind": "commune_one_stop", "days": "0.5"},
        ],
        "effective_from": "2025-07-01",
    }
    record.update(overrides)
    return record


def catalog(*procedures: dict[str, Any]) -> dict[str, Any]:
    return {
        "format": "motcua-catalog",
        "format_version": 1,
        "fields": copy.deepcopy(FIELDS),
        "procedures": list(procedures) or [
            procedure(),
            procedure(
                "1.009972", name_vi="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ",
                name_en="Construction permit for individual houses", field="XD", level="commune",
                processing_days="15", boundary_free=False,
                fees=[{"name_vi": "Lệ phí cấp giấy phép xây dựng", "amount": 75000, "note": ""}],
                workflow=[{"name_vi": "Thẩm định", "role": "processing", "agency_kind": "specialized", "days": "12"}],
            ),
        ],
    }


@pytest.fixture
def province(db: Any) -> AdministrativeUnit:
    return AdministrativeUnit.objects.create(code="22", name="Quảng Ninh", kind="province")


@pytest.fixture
def center(province: AdministrativeUnit) -> Agency:
    return Agency.objects.create(
        identifier_code="000.00.01.H22", name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh",
        kind=AgencyKind.SERVICE_CENTER, unit=province, hotline="0203 3 656 656",
    )


@pytest.fixture
def imported(db: Any, center: Agency) -> dict[str, Any]:
    doc = catalog()
    doc["procedures"][0]["agencies"] = [center.identifier_code]
    import_catalog(doc)
    return doc
