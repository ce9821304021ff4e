"""The action table (``dossiers.machine.ACTIONS``), the parameter schemas (``dossiers.schema.ACTION_PARAMS``) and
the handlers (``dossiers.services.HANDLERS``) name the same actions: an action added to one and forgotten in
another fails here, not in production."""

from __future__ import annotations

from motcua.dossiers import machine, schema, services
from motcua.dossiers.statuses import EventKind


def test_the_machine_the_schemas_and_the_handlers_name_the_same_actions() -> None:
    table = set(machine.ACTIONS)
    assert table, "the action table is empty"
    assert set(schema.ACTION_PARAMS) == table, "ACTION_PARAMS differs from machine.ACTIONS"
    assert set(services.HANDLERS) == table, "the handlers differ from machine.ACTIONS"


def test_every_action_is_an_event_kind_and_the_applicant_actions_are_actions() -> None:
    assert all(isinstance(name, EventKind) for name in machine.ACTIONS)
    assert set(machine.APPLICANT_ACTIONS) <= set(machine.ACTIONS)
    for name, action in machine.ACTIONS.items():
        assert action.name == name
        assert machine.APPLICANT_ACTIONS.get(name, frozenset()) <= action.sources
