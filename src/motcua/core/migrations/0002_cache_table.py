"""The database cache's table (``CACHES`` without ``REDIS_URL``): created by ``migrate`` like every other table, so
that no installation serves without it. It does nothing when the configured caches have no database table."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=True)]
