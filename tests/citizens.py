"""Citizen accounts for tests: ``make_citizen()`` gives a verified account with a password, ready to sign in.

    from tests.citizens import PASSWORD, make_citizen, sign_in

    citizen = make_citizen(full_name="Trần Thị Bình")
    sign_in(client, citizen)                      # or POST phone + PASSWORD to /tai-khoan/dang-nhap/
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from motcua.accounts.models import Citizen, CitizenKind

PASSWORD = "Cong-dan-2026!"
_numbers = itertools.count(1)


def make_citizen(*, full_name: str = "Nguyễn Văn An", id_number: str = "022090001234", phone: str | None = None,
                 email: str = "", password: str = PASSWORD, kind: str = CitizenKind.PERSON, language: str = "vi",
                 address: str = "", verified: bool = True) -> Citizen:
    """A citizen (or, with ``kind="organization"`` and a tax code, a business) account with ``password``.

    Without ``phone``, a unique one (``0900000001``, …) is chosen. ``verified`` marks the phone (or the email, when
    there is no phone) as verified, so pages behind ``citizen_required`` open at once.
    """
    if phone is None:
        phone = "" if email else f"09{next(_numbers):08d}"
    user = get_user_model().objects.create_user(f"c-{uuid.uuid4().hex}", password=password,
                                                first_name=full_name[:150])
    now = timezone.now() if verified else None
    return Citizen.objects.create(
        user=user, kind=kind, full_name=full_name, id_number=id_number, phone=phone, email=email, address=address,
        language=language, phone_verified_at=now if phone else None, email_verified_at=now if email and not phone
        else None,
    )


def sign_in(client: Any, citizen: Citizen) -> None:
    """Sign the test client in as the citizen (the sign-in page itself is tested in tests/test_accounts.py)."""
    client.force_login(citizen.user, backend="django.contrib.auth.backends.ModelBackend")
