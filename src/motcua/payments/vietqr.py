"""VietQR: the EMVCo merchant-presented QR code every Vietnamese banking app reads (NAPAS 247 transfer to an
account, "QRIBFTTA"), built with the ``vietqr-emvco`` library (``VietQRGenerator``: the EMVCo TLV fields and the
CRC16-CCITT checksum, and ``VietQRParser`` to read one back).

The code carries the agency's collecting account (``MOTCUA_VIETQR_BANK_BIN``, ``MOTCUA_VIETQR_ACCOUNT``,
``MOTCUA_VIETQR_ACCOUNT_NAME``), the amount due and the transfer note ``selectors.transfer_reference(code)``
(``HS`` and the dossier code's letters and digits), so that the bank statement line can be matched to the
dossier. It is printed on the receipt-and-appointment slip and shown on the citizen's dossier page while a fee
is due, never otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from unidecode import unidecode
from vietqr_emvco import VietQRGenerator, VietQRParser

from motcua.core.formats import qr_data_uri, vnd
from motcua.dossiers.models import Dossier
from motcua.payments import selectors

MAX_FIELD = 99  # an EMVCo value is at most 99 characters (two length digits)
NAME_LENGTH = 25  # EMVCo's merchant name (tag 59): at most 25 characters


@dataclass(frozen=True)
class TransferQR:
    """One VietQR code: its EMVCo payload and what it says, for the page and slip that print it."""

    payload: str
    bank_bin: str
    account: str
    account_name: str
    amount: int
    note: str

    @property
    def data_uri(self) -> str:
        """The QR code as an inline SVG ``data:`` URI (segno)."""
        return qr_data_uri(self.payload)

    @property
    def amount_text(self) -> str:
        return vnd(self.amount)

    def as_slip(self) -> dict[str, object]:
        """What the receipt slip (``dossiers.slips``, which cannot import this module) prints."""
        return {"data_uri": self.data_uri, "amount": self.amount, "amount_text": self.amount_text,
                "bank_bin": self.bank_bin, "account": self.account, "account_name": self.account_name,
                "note": self.note, "payload": self.payload}


def ascii_upper(text: str, limit: int) -> str:
    """What a banking app shows of a name: upper-case ASCII without diacritics (``Đ`` → ``D``), within ``limit``."""
    return " ".join(unidecode(text).upper().split())[:limit]


def build(*, bank_bin: str, account: str, amount: int, note: str, account_name: str) -> str:
    """The EMVCo payload of a transfer of ``amount`` đồng to ``account`` at the bank ``bank_bin`` with ``note``."""
    if not (bank_bin.isdigit() and len(bank_bin) == 6):
        raise ValueError(f"a bank BIN is 6 digits, not {bank_bin!r}")
    if not account or not account.isalnum() or len(account) > 19:
        raise ValueError(f"not a bank account number: {account!r}")
    if amount <= 0 or len(str(amount)) > 13:
        raise ValueError(f"not an amount to transfer: {amount!r}")
    memo = "".join(ch for ch in unidecode(note) if ch.isalnum() or ch == " ")[:MAX_FIELD - 4]
    return VietQRGenerator(bank_bin, account).generate(amount=amount, memo=memo,
                                                      merchant_name=ascii_upper(account_name, NAME_LENGTH))


def parse(payload: str) -> dict[str, object]:
    """A VietQR payload read back (``VietQRParser``): bank BIN, account, amount, note, and whether the CRC holds."""
    read = VietQRParser.parse(payload)
    return {"bank_bin": read["bank_bin"], "account": read["account_number"],
            "amount": int(read["amount"]) if read["amount"] is not None else None, "note": read["memo"],
            "name": read["merchant_name"], "crc_valid": VietQRParser.verify_checksum(payload)}


def transfer_qr(dossier: Dossier, amount: int | None = None) -> TransferQR | None:
    """The VietQR code paying what ``dossier`` still owes (``amount``: that figure, when the caller has it), or
    None when nothing is due or no collecting account is configured."""
    due = selectors.amount_due(dossier) if amount is None else amount
    bank_bin, account = settings.MOTCUA_VIETQR_BANK_BIN, settings.MOTCUA_VIETQR_ACCOUNT
    if not due or not bank_bin or not account:
        return None
    note = selectors.transfer_reference(dossier.code)
    name = settings.MOTCUA_VIETQR_ACCOUNT_NAME
    payload = build(bank_bin=bank_bin, account=account, amount=due, note=note, account_name=name)
    return TransferQR(payload=payload, bank_bin=bank_bin, account=account, account_name=ascii_upper(name, NAME_LENGTH),
                      amount=due, note=note)


def slip_block(dossier: Dossier) -> dict[str, object] | None:
    """The VietQR block of the receipt slip, registered with ``dossiers.slips.transfer_qr_with`` (apps.py)."""
    qr = transfer_qr(dossier)
    return qr.as_slip() if qr is not None else None
