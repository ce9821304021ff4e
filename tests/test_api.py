"""The public catalogue API: search, detail, due date, OpenAPI, and clear errors for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def get(client: Client, url: str, **params: Any) -> tuple[int, Any]:
    response = client.get(url, params)
    return response.status_code, response.json()


def test_search_without_diacritics_finds_the_procedure(client: Client, imported: dict[str, Any]) -> None:
    status, body = get(client, "/api/v1/procedures", q="dang ky ket hon")
    assert status == 200 and body["count"] == 1
    item = body["items"][0]
    assert (item["code"], item["name"], item["level"], item["processing_days"]) == (
        "1.000894", "Đăng ký kết hôn", "commune", 5.0)
    assert item["field"] == {"code": "HT", "name": "Hộ tịch", "name_en": "Civil status"}
    assert item["fees"] == [{"name": "Lệ phí đăng ký kết hôn", "amount": 0, "note": "Miễn lệ phí"}]
    assert item["online_level"] == "partial"
    assert item["url"].endswith("/thu-tuc/1.000894/")
    for query in ("ĐĂNG KÝ KẾT HÔN", "ket   hon", "1.000894", "marriage"):
        assert get(client, "/api/v1/procedures", q=query)[1]["count"] == 1, query
    assert get(client, "/api/v1/procedures", q="ket hon xay dung")[1]["count"] == 0


def test_filters_and_paging(client: Client, imported: dict[str, Any]) -> None:
    assert get(client, "/api/v1/procedures")[1]["count"] == 2
    assert [i["code"] for i in get(client, "/api/v1/procedures", field="XD")[1]["items"]] == ["1.009972"]
    assert get(client, "/api/v1/procedures", level="province")[1]["count"] == 0
    assert [i["code"] for i in get(client, "/api/v1/procedures", agency="000.00.01.H22")[1]["items"]] == [
        "1.000894"]
    page = get(client, "/api/v1/procedures", limit=1, offset=1)[1]
    assert (page["count"], len(page["items"]), page["limit"], page["offset"]) == (2, 1, 1, 1)


def test_detail(client: Client, imported: dict[str, Any]) -> None:
    status, body = get(client, "/api/v1/procedures/1.000894")
    assert status == 200
    assert [c["name"] for c in body["components"]] == ["Tờ khai đăng ký kết hôn", "Giấy xác nhận tình trạng hôn nhân"]
    assert body["components"][1]["reusable"] is True
    assert [s["days"] for s in body["workflow"]] == [0.5, 3.0, 1.0, 0.5]
    assert body["agencies"][0]["identifier_code"] == "000.00.01.H22"
    assert body["version"] == 1 and body["channels"] == ["online", "counter", "post_office"]


def test_due_date(client: Client, imported: dict[str, Any]) -> None:
    status, body = get(client, "/api/v1/procedures/1.000894/due-date", received_at="2026-11-20T16:00:00+07:00")
    assert status == 200
    # Friday 16:00 + 5 working days, skipping the weekend and Vietnam Cultural Day (Tue 24 Nov 2026)
    assert body["due_at"] == "2026-11-30T16:00:00+07:00"
    naive = get(client, "/api/v1/procedures/1.000894/due-date", received_at="2026-11-20T16:00:00")[1]
    assert naive["due_at"] == body["due_at"]
    assert get(client, "/api/v1/procedures/1.000894/due-date")[0] == 200


@pytest.mark.parametrize(
    ("url", "params", "status", "error"),
    [
        ("/api/v1/procedures", {"q": "x" * 10_000}, 400, "query_too_long"),
        ("/api/v1/procedures", {"level": "planet"}, 400, "unknown_level"),
        ("/api/v1/procedures", {"limit": 1000}, 422, "validation_failed"),
        ("/api/v1/procedures", {"limit": "many"}, 422, "validation_failed"),
        ("/api/v1/procedures", {"field": "NOPE"}, 400, "unknown_field"),
        ("/api/v1/procedures", {"agency": "nope"}, 400, "unknown_agency"),
        ("/api/v1/procedures/9.999999", {}, 404, "procedure_not_found"),
        ("/api/v1/procedures/1.000894/due-date", {"received_at": "yesterday"}, 422, "validation_failed"),
        ("/api/v1/procedures/1.000894/due-date", {"received_at": "9999-12-31T10:00:00"}, 400, "date_out_of_range"),
        ("/api/v1/procedures/1.000894/due-date", {"received_at": "0001-01-01T00:00:00+00:00"}, 400,
         "date_out_of_range"),
        ("/api/v1/nothing/here", {}, 404, "not_found"),
    ],
)
def test_bad_input_gets_a_clear_bilingual_error(
    client: Client, imported: dict[str, Any], url: str, params: dict[str, Any], status: int, error: str
) -> None:
    code, body = get(client, url, **params)
    assert (code, body["error"]) == (status, error)
    for item in [body, *body.get("errors", [])]:
        assert item["message"]["vi"] and item["message"]["en"] and item["message"]["vi"] != item["message"]["en"]
        assert "Input should" not in item["message"]["vi"]  # no untranslated pydantic text


def test_openapi_and_docs(client: Client, db: Any) -> None:
    status, schema = get(client, "/api/v1/openapi.json")
    assert status == 200
    assert {"/api/v1/procedures", "/api/v1/procedures/{code}", "/api/v1/procedures/{code}/due-date"} <= set(
        schema["paths"])
    params = {p["name"] for p in schema["paths"]["/api/v1/procedures"]["get"]["parameters"]}
    assert {"q", "field", "level", "agency", "limit", "offset"} <= params
    assert client.get("/api/v1/docs").status_code == 200
