"""The public catalogue pages: search, the procedure page with its QR code and due date, printable lists."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import zxingcpp
from django.test import Client
from PIL import Image

pytestmark = pytest.mark.django_db


def test_home_lists_fields_and_service_points(client: Client, imported: dict[str, Any]) -> None:
    page = client.get("/").content.decode()
    assert "Hộ tịch" in page and "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh" in page
    assert '<html lang="vi">' in page


def test_search_page_and_htmx_partial(client: Client, imported: dict[str, Any]) -> None:
    page = client.get("/thu-tuc/", {"q": "dang ky ket hon"}).content.decode()
    assert "Đăng ký kết hôn" in page and "Cấp giấy phép xây dựng" not in page
    assert 'hx-get="/thu-tuc/"' in page
    partial = client.get("/thu-tuc/", {"q": "giay phep xay dung"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "Cấp giấy phép xây dựng mới" in partial
    too_long = client.get("/thu-tuc/", {"q": "a" * 10_000})
    assert too_long.status_code == 400 and "alert" in too_long.content.decode()


def test_procedure_page_has_everything_a_citizen_needs(client: Client, imported: dict[str, Any]) -> None:
    response = client.get("/thu-tuc/1.000894/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Tờ khai đăng ký kết hôn", "TP/HT-2020-KH.1", "Lệ phí đăng ký kết hôn", "Miễn phí", "Miễn lệ phí",
                 "Thẩm định", "Giấy chứng nhận kết hôn", "Luật Hộ tịch số 60/2014/QH13",
                 "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"):
        assert text in page, text
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00">', page)
    assert "<svg" in page


def test_qr_code_decodes_to_the_procedure_url(client: Client, imported: dict[str, Any]) -> None:
    response = client.get("/thu-tuc/1.000894/qr.png")
    assert response["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))
    assert [code.text for code in decoded] == ["http://testserver/thu-tuc/1.000894/"]


def test_public_url_setting_is_used_for_qr_codes(client: Client, imported: dict[str, Any], settings: Any) -> None:
    settings.PUBLIC_BASE_URL = "https://dichvucong.quangninh.gov.vn"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(client.get("/thu-tuc/1.000894/qr.png").content)))
    assert decoded[0].text == "https://dichvucong.quangninh.gov.vn/thu-tuc/1.000894/"


def test_unknown_procedure_is_404_with_a_way_back(client: Client, imported: dict[str, Any]) -> None:
    response = client.get("/thu-tuc/9.999999/")
    assert response.status_code == 404
    assert 'role="search"' in response.content.decode()  # our page, in the citizen's language


def test_empty_search_says_so(client: Client, imported: dict[str, Any]) -> None:
    page = client.get("/thu-tuc/", {"q": "xyzabc"}).content.decode()
    assert 'class="mc-empty"' in page
    partial = client.get("/thu-tuc/", {"q": "xyzabc"}, HTTP_HX_REQUEST="true")
    assert 'class="mc-empty"' in partial.content.decode()  # a message, not an empty fragment
    assert "HX-Request" in partial["Vary"]


def test_head_requests_are_answered(client: Client, imported: dict[str, Any]) -> None:
    assert client.head("/thu-tuc/").status_code == 200
    assert client.head("/thu-tuc/1.000894/").status_code == 200


def test_service_points_are_only_agencies_that_receive(client: Client, imported: dict[str, Any]) -> None:
    from motcua.agencies.models import Agency

    Agency.objects.create(identifier_code="000.00.02.H22", name="Sở Tư pháp", kind="specialized",
                          unit=Agency.objects.get().unit)
    page = client.get("/co-quan/").content.decode()
    assert "Trung tâm Phục vụ hành chính công" in page and "Sở Tư pháp" not in page


def test_trial_banner_on_the_staff_sign_in_page(client: Client, db: Any, settings: Any) -> None:
    settings.DEMO_MODE = True
    assert "motcua-demo" in client.get("/admin/login/").content.decode()
    settings.DEMO_MODE = False
    assert "motcua-demo" not in client.get("/admin/login/").content.decode()


def test_agency_page_and_printable_list(client: Client, imported: dict[str, Any]) -> None:
    page = client.get("/co-quan/000.00.01.H22/").content.decode()
    assert "0203 3 656 656" in page and 'href="tel:02033656656"' in page and "Đăng ký kết hôn" in page
    printable = client.get("/co-quan/000.00.01.H22/danh-muc-in/").content.decode()
    assert printable.count("<svg") == 1 and "1.000894" in printable and "data-print" in printable
    assert client.get("/co-quan/000.00.99.H22/").status_code == 404


def test_english_and_spanish_pages(client: Client, imported: dict[str, Any]) -> None:
    english = client.get("/thu-tuc/1.000894/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in english and "Marriage registration" in english
    assert "Documents to submit" in english
    assert "Legal deadline: 5 working days." in english and "0.5 working day<" in english  # singular/plural
    spanish = client.get("/thu-tuc/1.000894/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert '<html lang="es">' in spanish and "Documents to submit" not in spanish
    vietnamese = client.get("/thu-tuc/1.000894/").content.decode()
    assert "Thời hạn giải quyết: 5 ngày làm việc." in vietnamese and "0,5 ngày làm việc" in vietnamese
    assert "Documents to submit" not in vietnamese


def test_health(client: Client, db: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


@pytest.mark.parametrize("url", ["/", "/thu-tuc/", "/thu-tuc/1.000894/", "/co-quan/", "/co-quan/000.00.01.H22/",
                                 "/co-quan/000.00.01.H22/danh-muc-in/", "/api/v1/docs", "/admin/login/"])
def test_no_asset_comes_from_outside(client: Client, imported: dict[str, Any], url: str) -> None:
    """Government networks are often closed: scripts, styles and images are served by us."""
    page = client.get(url).content.decode()
    assets = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', page)
    assert assets, url
    assert [a for a in assets if a.startswith(("http:", "https:", "//"))] == []
