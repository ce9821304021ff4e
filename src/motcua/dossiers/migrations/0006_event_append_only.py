"""The dossier event log is append-only in the database itself: a trigger refuses every UPDATE and DELETE of
``dossiers_event``, whoever sends it (the application has no code that does; ``Event`` refuses it in Python too).

PostgreSQL: a plpgsql function raising an exception, called by a BEFORE UPDATE OR DELETE row trigger (TRUNCATE,
which only an owner of the table may run, does not fire row triggers: wiping a test database still works).
SQLite: BEFORE UPDATE and BEFORE DELETE triggers with ``RAISE(ABORT, …)``. Someone with the rights to drop the
trigger can still rewrite the log; the sealed chain heads (``dossiers.seals``) catch that.
"""

from django.db import migrations

MESSAGE = "dossier events are append-only: UPDATE and DELETE of dossiers_event are refused"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION motcua_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE} (% of event %)', TG_OP, OLD.id USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER dossiers_event_append_only BEFORE UPDATE OR DELETE ON dossiers_event
    FOR EACH ROW EXECUTE FUNCTION motcua_event_append_only();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS dossiers_event_append_only ON dossiers_event;
DROP FUNCTION IF EXISTS motcua_event_append_only();
"""
SQLITE = [
    f"""CREATE TRIGGER dossiers_event_no_update BEFORE UPDATE ON dossiers_event
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} (UPDATE)'); END""",
    f"""CREATE TRIGGER dossiers_event_no_delete BEFORE DELETE ON dossiers_event
        BEGIN SELECT RAISE(ABORT, '{MESSAGE} (DELETE)'); END""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS dossiers_event_no_update",
                  "DROP TRIGGER IF EXISTS dossiers_event_no_delete"]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [("dossiers", "0005_integrity_alerts_chain_seals")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
