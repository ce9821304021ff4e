"""Catalogue import: validation with located bilingual errors, all-or-nothing, idempotence, versions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from motcua.catalog.formats import read_json, read_xlsx, write_json, write_xlsx
from motcua.catalog.models import Component, Procedure, ProcedureVersion
from motcua.catalog.selectors import procedure_version
from motcua.catalog.services import export_catalog, import_catalog
from motcua.core.errors import MotCuaError, ValidationFailed
from tests.factories import catalog, procedure

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return Procedure.objects.count(), ProcedureVersion.objects.count(), Component.objects.count()


def errors_of(doc: Any, **kwargs: Any) -> list[MotCuaError]:
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(doc, **kwargs)
    return caught.value.errors


def test_import_creates_procedures_with_everything() -> None:
    report = import_catalog(catalog())
    assert (report.procedures_created, report.versions_created, report.fields_created) == (2, 2, 2)
    version = procedure_version("1.000894", on=date(2026, 1, 1))
    assert version.name_vi == "Đăng ký kết hôn"
    assert version.processing_days == 5
    assert [c.name_vi for c in version.components.all()][0] == "Tờ khai đăng ký kết hôn"
    assert [s.days for s in version.steps.all()] == [0.5, 3, 1, 0.5]
    assert version.search_text.startswith(" 1.000894 dang ky ket hon ")


def test_reimport_is_idempotent_and_a_change_is_a_new_version() -> None:
    import_catalog(catalog())
    before = counts()
    report = import_catalog(catalog())
    assert (report.versions_created, report.unchanged) == (0, 2)
    assert counts() == before

    changed = catalog(procedure(processing_days="3", effective_from="2026-01-01", workflow=[]))
    report = import_catalog(changed)
    assert report.versions_created == 1 and report.changed_codes == ["1.000894"]
    v1, v2 = ProcedureVersion.objects.filter(procedure__code="1.000894").order_by("number")
    assert (v1.processing_days, v1.effective_to) == (5, date(2026, 1, 1))  # the old version is untouched
    assert v1.steps.count() == 4
    assert (v2.processing_days, v2.effective_to) == (3, None)
    assert procedure_version("1.000894", on=date(2025, 12, 31)).number == 1
    assert procedure_version("1.000894", on=date(2026, 1, 1)).number == 2


def test_same_deadline_written_differently_is_unchanged() -> None:
    import_catalog(catalog(procedure(processing_days="5")))
    assert import_catalog(catalog(procedure(processing_days=5.0))).unchanged == 1


def test_dry_run_writes_nothing() -> None:
    report = import_catalog(catalog(), dry_run=True)
    assert report.versions_created == 2
    assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "code", "location"),
    [
        ({"processing_days": "-1"}, "greater_than_equal", "procedures[0].processing_days"),
        ({"processing_days": "abc"}, "decimal_parsing", "procedures[0].processing_days"),
        ({"level": "planet"}, "literal_error", "procedures[0].level"),
        ({"code": "x"}, "invalid_procedure_code", "procedures[0].code"),
        ({"name_vi": ""}, "string_too_short", "procedures[0].name_vi"),
        ({"channels": []}, "too_short", "procedures[0].channels"),
        ({"online_level": "none"}, "online_not_offered", "procedures[0]"),
        ({"result_delivery": ["electronic"]}, "electronic_needs_full", "procedures[0]"),
        ({"processing_days": "2"}, "workflow_too_long", "procedures[0]"),
        ({"fees": [{"name_vi": "Phí", "amount": -5}]}, "greater_than_equal", "procedures[0].fees[0].amount"),
        ({"components": [{"name_vi": "Bản sao", "originals": 0, "copies": 0}]}, "no_copies",
         "procedures[0].components[0]"),
        ({"colour": "red"}, "extra_forbidden", "procedures[0].colour"),
        ({"field": "NOPE"}, "unknown_field", "procedures[0].field"),
        ({"agencies": ["000.00.99.H22"]}, "unknown_agency", "procedures[0].agencies[0]"),
    ],
)
def test_bad_records_are_reported_where_they_are_and_nothing_is_written(
    overrides: dict[str, Any], code: str, location: str
) -> None:
    good = procedure("2.000001", name_vi="Thủ tục hợp lệ")
    errors = errors_of(catalog(good, procedure(**overrides)))
    assert any(e.code == code and e.location == location.replace("[0]", "[1]", 1) for e in errors), [
        (e.code, e.location) for e in errors
    ]
    error = next(e for e in errors if e.code == code)
    vi, en = error.messages()["vi"], error.messages()["en"]
    assert vi and en and vi != en, "each error must read in Vietnamese and in English"
    assert counts() == (0, 0, 0)


def test_duplicate_codes_are_refused() -> None:
    errors = errors_of(catalog(procedure(), procedure()))
    assert [(e.code, e.location) for e in errors] == [("duplicate_code", "procedures[1].code")]


def test_new_version_cannot_start_before_the_current_one() -> None:
    import_catalog(catalog(procedure(effective_from="2026-01-01")))
    errors = errors_of(catalog(procedure(processing_days="4", workflow=[], effective_from="2025-12-01")))
    assert errors[0].code == "effective_date_too_early"
    assert ProcedureVersion.objects.count() == 1


def test_not_a_catalogue_at_all() -> None:
    assert errors_of([1, 2, 3])[0].code == "model_type"
    assert errors_of({"format": "other"})[0].code == "literal_error"
    with pytest.raises(MotCuaError) as caught:
        read_json(b'{"procedures": [')
    assert caught.value.code == "invalid_json" and "line 1" in caught.value.text("en")
    with pytest.raises(MotCuaError) as caught:
        read_xlsx(b"PK not really a workbook")
    assert caught.value.code == "invalid_xlsx"


def test_export_then_import_changes_nothing_json_and_xlsx() -> None:
    import_catalog(catalog())
    document = export_catalog()
    assert len(document["procedures"]) == 2
    assert import_catalog(json.loads(write_json(document))).unchanged == 2
    data, locations = read_xlsx(write_xlsx(document))
    report = import_catalog(data, locations=locations)
    assert (report.unchanged, report.versions_created) == (2, 0)


def test_xlsx_errors_name_sheet_and_cell() -> None:
    import_catalog(catalog())
    document = export_catalog()
    document["procedures"][1]["fees"][0]["amount"] = "bảy mươi"
    data, locations = read_xlsx(write_xlsx(document))
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(data, locations=locations)
    assert [e.location for e in caught.value.errors] == ["fees!C3"]


def test_commands_import_export_and_report_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "catalog.json"
    source.write_text(json.dumps(catalog(), ensure_ascii=False), encoding="utf-8")
    call_command("import_catalog", str(source))
    assert "2 new" in capsys.readouterr().out
    call_command("export_catalog", str(tmp_path / "out.xlsx"))
    call_command("import_catalog", str(tmp_path / "out.xlsx"))
    assert "2 unchanged" in capsys.readouterr().out

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(catalog(procedure(processing_days="-2"))), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_catalog", str(bad))
    assert "procedures[0].processing_days" in capsys.readouterr().err
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_catalog", str(tmp_path / "missing.json"))


def test_e_forms_and_fee_exemptions_survive_an_xlsx_round_trip(db: Any, center: Any) -> None:
    record = procedure(
        eform=[{"name": "spouse_name", "label_vi": "Họ tên bên kia", "required": True},
               {"name": "kind", "label_vi": "Loại", "type": "select",
                "choices": [{"value": "a", "label_vi": "A"}]}],
        fees=[{"name_vi": "Lệ phí", "amount": 400000, "note": "",
               "exemptions": [{"code": "poor", "name_vi": "Hộ nghèo", "percent": 100}]}],
    )
    import_catalog(catalog(record))
    exported = export_catalog()
    assert exported["procedures"][0]["eform"][0]["name"] == "spouse_name"
    assert exported["procedures"][0]["fees"][0]["exemptions"][0]["code"] == "poor"
    document, _locations = read_xlsx(write_xlsx(exported))
    report = import_catalog(document)
    assert report.versions_created == 0 and report.unchanged == 1  # nothing lost on the way: same content


def test_a_bad_e_form_definition_is_refused(db: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        import_catalog(catalog(procedure(eform=[{"name": "Has Space", "label_vi": "X"}])))
    assert any("eform" in e.location for e in caught.value.errors)
