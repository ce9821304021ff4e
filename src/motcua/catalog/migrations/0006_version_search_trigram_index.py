"""On PostgreSQL, a trigram index (``pg_trgm``, GIN) on the versions' search key: each word of a catalogue search
is a ``LIKE '% word%'`` on ``search_text``, which the index answers from the words' trigrams instead of testing
every version (2,147 in a province: 10 ms a scan, twice a search, for the page and the count; 0.5 ms with it).

SQLite keeps the covering index ``version_search``. Without the right to create the extension (``pg_trgm`` is a
trusted extension: the database's owner may), the search works as before, only slower; a warning says so."""

import logging

from django.db import DatabaseError, migrations, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

logger = logging.getLogger(__name__)


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute("CREATE INDEX IF NOT EXISTS version_search_trgm ON catalog_procedureversion "
                                  "USING gin (search_text gin_trgm_ops)")
    except DatabaseError as error:
        logger.warning("catalogue search without its trigram index (pg_trgm could not be created: %s)", error)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS version_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_component_filled_by_eform")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
