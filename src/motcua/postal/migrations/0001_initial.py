from django.db import migrations


class Migration(migrations.Migration):
    """The postal app's first migration: empty, so that each part's tables come in their own migration."""

    initial = True
    dependencies = [("dossiers", "0007_digitization")]
    operations: list = []
