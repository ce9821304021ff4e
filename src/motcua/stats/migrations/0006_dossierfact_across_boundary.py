"""Facts say whether their dossier was received regardless of boundary (at a point of another unit than its
competent commune); the facts already built are marked from their dossiers (a rebuild would say the same)."""

from django.db import migrations, models
from django.db.models import F


def mark(apps, schema_editor):
    fact = apps.get_model("stats", "DossierFact")
    found = fact.objects.filter(dossier__competent_unit__isnull=False).exclude(
        dossier__competent_unit=F("receiving_agency__unit"))
    fact.objects.filter(pk__in=found.values("pk")).update(across_boundary=True)


class Migration(migrations.Migration):

    dependencies = [
        ('stats', '0005_bench_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='dossierfact',
            name='across_boundary',
            field=models.BooleanField(default=False),
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
    ]
