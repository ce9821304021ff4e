"""Statements (bank, gateway, carrier) imported once, bank transfers matched to dossiers by their VietQR
reference, and the daily reconciliation: a day that balances, and a day with one planted mismatch of each kind."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from motcua.core.calendar import VN_TZ
from motcua.dossiers import services as dossier_services
from motcua.dossiers.models import Dossier
from motcua.payments import reconciliation, refunds, selectors, services, statements
from motcua.payments.models import (
    Payment,
    PaymentStatus,
    ReconciliationRun,
    Refund,
    RefundStatus,
    StatementLine,
)
from tests.factories import World, new_dossier
from tests.test_refunds import _gateway_payment


def today() -> Any:
    return timezone.now().astimezone(VN_TZ).date()


def cash(world: World, dossier: Dossier) -> Payment:
    return services.record_collection(code=dossier.code, method="cash", amount=30000, actor=world.actor("tiepnhan"),
                                      point_id=world.commune.pk, key=f"cash:{dossier.code}")


def bank_line(reference: str, amount: int, note: str) -> dict[str, Any]:
    return {"reference": reference, "amount": amount, "note": note}


def gateway_line(payment: Payment, amount: int | None = None, reference: str = "") -> dict[str, Any]:
    return {"reference": reference or payment.gateway_transaction, "amount": payment.amount if amount is None
            else amount, "note": payment.order_ref}


# --- bank transfers ------------------------------------------------------------------------------------------------


def test_a_transfer_naming_the_dossier_with_the_amount_due_becomes_its_payment_once(world: World) -> None:
    dossier = new_dossier(world)
    note = f"NGUYEN VAN AN chuyen tien {selectors.transfer_reference(dossier.code).lower()} le phi"
    result = statements.import_lines("bank", "970436", today(), [bank_line("FT001", 30000, note)])
    assert (result.created, result.matched, result.unmatched) == (1, 1, [])
    payment = Payment.objects.get(dossier=dossier)
    assert payment.method == "transfer" and payment.status == PaymentStatus.PAID and payment.point_id is None
    assert payment.client_key == "bank:970436:FT001" and payment.reference == "FT001" and payment.receipt_number
    assert StatementLine.objects.get().payment_id == payment.pk
    again = statements.import_lines("bank", "970436", today(), [bank_line("FT001", 30000, note)])
    assert (again.created, again.already) == (0, 1) and Payment.objects.count() == 1


def test_transfers_that_do_not_fit_stay_unmatched_with_their_reason(world: World) -> None:
    wrong_amount, refused, paid = new_dossier(world), new_dossier(world), new_dossier(world)
    dossier_services.perform(refused.code, "withdraw", actor=world.actor("tiepnhan"), params={"reason": "Xin rút"})
    cash(world, paid)
    rows = [bank_line("A1", 20000, selectors.transfer_reference(wrong_amount.code)),
            bank_line("A2", 30000, "HS " + refused.code),
            bank_line("A3", 30000, selectors.transfer_reference(paid.code)),
            bank_line("A4", 30000, "tien an trua"),
            bank_line("A5", -30000, "phi ngan hang")]
    result = statements.import_lines("bank", "970436", today(), rows)
    assert result.created == 5 and result.matched == 0
    assert {line.reference: why for line, why in result.unmatched} == {
        "A1": "amount_differs", "A2": "dossier_closed", "A3": "nothing_due", "A4": "no_dossier",
        "A5": "not_a_payment"}
    assert Payment.objects.filter(method="transfer").count() == 0


def test_bank_csv_and_xlsx_files_are_read(world: World, tmp_path: Path) -> None:
    dossier = new_dossier(world)
    text = ("date,reference,amount,note\n"
            f"25/11/2026,FT9,30.000,CK {selectors.transfer_reference(dossier.code)}\n"
            "2026-11-25,FT10,\"1,000\",khac\n")
    result = statements.import_file("bank", "970436", text.encode(), "sao-ke.csv")
    assert result.created == 2 and result.matched == 1
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Reference", "Amount", "Note"])
    sheet.append(["2026-11-25", "FT11", 5000, "khac"])
    data = io.BytesIO()
    book.save(data)
    assert statements.import_file("bank", "970436", data.getvalue(), "sao-ke.xlsx").created == 1
    with pytest.raises(statements.StatementError):
        statements.import_file("bank", "970436", b"date,reference,amount,note\nnot a day,F,1,x\n", "x.csv")


def test_import_statement_command_twice_adds_nothing(world: World, tmp_path: Path) -> None:
    payment = _gateway_payment(new_dossier(world))
    report = tmp_path / "vnpay.csv"
    with report.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_ref", "transaction no", "amount", "paid time", "status"])
        writer.writerow([payment.order_ref, payment.gateway_transaction, "30000", "20261125101010", "00"])
        writer.writerow(["MCX", "999", "30000", "20261125101010", "02"])
    out = io.StringIO()
    call_command("import_statement", "--source", "gateway", "--name", "sandbox", str(report), stdout=out,
                 stderr=io.StringIO())
    assert "1 new line(s), 0 already imported, 1 ignored, 1 matched, 0 unmatched" in out.getvalue()
    out = io.StringIO()
    call_command("import_statement", "--source", "gateway", "--name", "sandbox", str(report), stdout=out,
                 stderr=io.StringIO())
    assert "0 new line(s), 1 already imported" in out.getvalue()
    assert StatementLine.objects.get().payment_id == payment.pk


# --- the daily reconciliation --------------------------------------------------------------------------------------


def test_a_day_that_balances(world: World) -> None:
    at_counter = cash(world, new_dossier(world))
    online = _gateway_payment(new_dossier(world))
    by_transfer = new_dossier(world)
    withdrawn = new_dossier(world)
    cash(world, withdrawn)
    dossier_services.perform(withdrawn.code, "withdraw", actor=world.actor("tiepnhan"), params={"reason": "Xin rút"})
    refunds.refund(code=withdrawn.code, amount=30000, method="cash", actor=world.actor("tiepnhan"), reason="Rút")
    statements.import_lines("gateway", "sandbox", today(), [gateway_line(online)])
    statements.import_lines("bank", "970436", today(), [
        bank_line("FT1", 30000, selectors.transfer_reference(by_transfer.code))])
    result = reconciliation.reconcile(today())
    assert result.balanced, result.mismatches
    groups = {(g.channel, g.name): g for g in result.groups}
    point = groups[("point", world.commune.name)]
    assert (point.collected, point.refunded, point.owed, point.payments) == (60000, 30000, 60000, 2)
    assert groups[("gateway", "sandbox")].statement == 30000
    assert groups[("bank", "970436")].statement == 30000 and groups[("bank", "970436")].collected == 30000
    assert result.totals()["collected"] == 120000 and at_counter.point_id == world.commune.pk
    out = io.StringIO()
    call_command("reconcile", "--day", today().isoformat(), stdout=out)
    assert "BALANCED" in out.getvalue() and "NOT BALANCED" not in out.getvalue()


def test_a_day_with_one_planted_mismatch_of_each_kind(world: World) -> None:
    unreported = _gateway_payment(new_dossier(world))  # missing_in_statement
    short = _gateway_payment(new_dossier(world))  # amount_differs
    yesterday = _gateway_payment(new_dossier(world))  # other_day
    Payment.objects.filter(pk=yesterday.pk).update(paid_at=timezone.now() - timedelta(days=1))
    overpaid = new_dossier(world)  # overpaid: a second cash payment slipped past the rule
    first = cash(world, overpaid)
    Payment.objects.create(dossier=overpaid, amount=30000, order_ref="MCDOUBLE", gateway="", method="cash",
                           point=world.commune, status=PaymentStatus.PAID, created_at=first.created_at,
                           expires_at=first.created_at, paid_at=first.paid_at, receipt_number="BL-X-1")
    refunded = _gateway_payment(new_dossier(world))  # refund_not_in_statement
    Refund.objects.create(payment=refunded, amount=30000, method="gateway", reason="x", status=RefundStatus.DONE,
                          requested_at=timezone.now(), done_at=timezone.now(), gateway_transaction="R77",
                          receipt_number="HT-X-1")
    statements.import_lines("gateway", "sandbox", today(), [
        gateway_line(short, amount=25000), gateway_line(yesterday), gateway_line(refunded)])
    statements.import_lines("bank", "970436", today(), [bank_line("FT404", 50000, "tien ai do chuyen nham")])
    result = reconciliation.reconcile(today())
    kinds = sorted(m.kind for m in result.mismatches)
    assert kinds == sorted(reconciliation.KINDS), [(m.kind, m.dossier_code, m.reference) for m in result.mismatches]
    by_kind = {m.kind: m for m in result.mismatches}
    assert by_kind["missing_in_statement"].dossier_code == unreported.dossier.code
    assert (by_kind["amount_differs"].expected, by_kind["amount_differs"].actual) == (30000, 25000)
    assert by_kind["overpaid"].dossier_code == overpaid.code and by_kind["overpaid"].reference == "MCDOUBLE"
    assert by_kind["refund_not_in_statement"].dossier_code == refunded.dossier.code
    assert by_kind["missing_in_system"].actual == 50000 and by_kind["other_day"].reference == \
        yesterday.gateway_transaction
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_status:
        call_command("reconcile", "--day", today().isoformat(), "--save", stdout=out)
    assert exit_status.value.code == 1 and "NOT BALANCED: 6 mismatch(es)" in out.getvalue()
    run = ReconciliationRun.objects.get()
    assert not run.balanced and sorted(m["kind"] for m in run.mismatches) == kinds


def test_reconciliation_scoped_to_a_point(world: World) -> None:
    cash(world, new_dossier(world))
    statements.import_lines("bank", "970436", today(), [bank_line("FT404", 50000, "chuyen nham")])
    mine = reconciliation.reconcile(today(), points=[world.commune.pk])
    assert [g.channel for g in mine.groups] == ["point"] and mine.balanced  # the stray bank line is not theirs
    assert not reconciliation.reconcile(today(), points=[world.justice.pk]).groups


# --- the staff page --------------------------------------------------------------------------------------------


def test_reconciliation_page_csv_and_upload(world: World, client: Client) -> None:
    cash(world, new_dossier(world))
    statements.import_lines("bank", "970436", today(), [bank_line("FT404", 50000, "chuyen nham")])
    client.force_login(world.users["tiepnhan"])
    page = client.get(f"/workspace/reconciliation/?day={today().isoformat()}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-collected="30000"' in html and 'data-mismatches="0"' in html  # their point only
    exported = client.get(f"/workspace/reconciliation/export.csv?day={today().isoformat()}")
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][0] == "channel" and any(row[0] == "point" and row[3] == "30000" for row in rows[1:])
    upload = io.BytesIO(b"date,reference,amount,note\n2026-11-25,FT77,1000,khac\n")
    upload.name = "sao-ke.csv"
    answer = client.post("/workspace/reconciliation/import/", {"source": "bank", "name": "970436", "file": upload})
    assert answer.status_code == 302 and StatementLine.objects.filter(reference="FT77").exists()
    client.force_login(world.users["tuphap"])  # another agency's staff see nothing of Hà Tu's
    other = client.get(f"/workspace/reconciliation/?day={today().isoformat()}").content.decode()
    assert 'data-collected="30000"' not in other


def test_reconciliation_page_query_budget(world: World) -> None:
    """URL name workspace:reconciliation: as many queries for 50 mismatches as for 1."""
    from tests.test_query_budgets import flat, staff

    def gateway_payments(count: int) -> None:
        for _ in range(count):
            _gateway_payment(new_dossier(world))  # each missing in the (empty) gateway statement

    gateway_payments(1)
    flat(staff(world, "tiepnhan"), f"/workspace/reconciliation/?day={today().isoformat()}",
         lambda: gateway_payments(49), lambda page: page.count('data-kind="missing_in_statement"'))


def test_a_gateway_refund_the_report_shows_going_out_balances(world: World) -> None:
    payment = _gateway_payment(new_dossier(world))
    Refund.objects.create(payment=payment, amount=30000, method="gateway", reason="x", status=RefundStatus.DONE,
                          requested_at=timezone.now(), done_at=timezone.now(), gateway_transaction="R1",
                          receipt_number="HT-X-2")
    statements.import_lines("gateway", "sandbox", today(), [
        gateway_line(payment), {"reference": "R1", "amount": -30000, "note": payment.order_ref}])
    result = reconciliation.reconcile(today())
    gateway = next(g for g in result.groups if g.channel == "gateway")
    assert (gateway.collected, gateway.refunded, gateway.statement) == (30000, 30000, 0)
    assert result.balanced, result.mismatches


@pytest.mark.parametrize("model", ["refund", "statementline", "reconciliationrun"])
def test_admin_lists_refunds_statement_lines_and_runs(admin_client: Client, model: str) -> None:
    assert admin_client.get(f"/admin/payments/{model}/").status_code == 200
