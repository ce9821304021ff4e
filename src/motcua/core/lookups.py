"""``field__has="text"``: a case-sensitive substring test that uses the database's plain string search.

Search keys are stored folded (lower-case ASCII, :mod:`motcua.core.text`), so case-insensitive ``LIKE`` is
wasted work: on SQLite, ``INSTR`` is about 3x faster than ``LIKE '%…%'`` over the catalogue's keys.
"""

from typing import Any

from django.db.models import CharField, Lookup, TextField


class Has(Lookup):
    lookup_name = "has"

    def _parts(self, compiler: Any, connection: Any) -> tuple[str, str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return lhs, rhs, (*lhs_params, *rhs_params)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, rhs, params = self._parts(compiler, connection)
        return f"INSTR({lhs}, {rhs}) > 0", params

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, rhs, params = self._parts(compiler, connection)
        return f"STRPOS({lhs}, {rhs}) > 0", params


TextField.register_lookup(Has)
CharField.register_lookup(Has)
