"""Files stored inside a transaction are removed again if the transaction rolls back.

A database rollback cannot take back a file already written to storage (local disk or S3). A service that stores
files runs in :func:`atomic_with_files` instead of ``transaction.atomic()``; :func:`stored` records each file
written inside it, and a rollback deletes them. A nested block that rolls back (a savepoint) deletes its own files;
one that succeeds hands them to the enclosing block, which alone knows whether the whole operation committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.core.files.storage import Storage
from django.db import transaction

logger = logging.getLogger(__name__)

_written: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("motcua_files_written", default=None)


@contextmanager
def atomic_with_files() -> Iterator[None]:
    """``transaction.atomic()``; if it rolls back, the files :func:`stored` inside it are deleted."""
    outer = _written.get()
    written = outer if outer is not None else []
    mark = len(written)
    token = _written.set(written) if outer is None else None
    try:
        with transaction.atomic():
            yield
    except BaseException:
        for storage, name in written[mark:]:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001 - the original error matters more; the orphan is logged
                logger.exception("could not remove %s after a rollback", name)
        del written[mark:]
        raise
    finally:
        if token is not None:
            _written.reset(token)


def stored(storage: Storage, name: str | None) -> None:
    """Record a file just written: it is deleted if the enclosing :func:`atomic_with_files` rolls back."""
    written = _written.get()
    if written is not None and name:
        written.append((storage, name))
