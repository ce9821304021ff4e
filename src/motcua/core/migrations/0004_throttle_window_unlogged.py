"""On PostgreSQL the throttles' windows are an UNLOGGED table: a count written on every public look-up then
costs no write-ahead log and no flush to disk at commit. A crash of the database server empties the table, which
only opens new windows early (throttle counts are not records). Nothing changes on SQLite."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def unlogged(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_throttlewindow SET UNLOGGED")


def logged(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_throttlewindow SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_throttle_window")]

    operations = [migrations.RunPython(unlogged, logged, elidable=False)]
