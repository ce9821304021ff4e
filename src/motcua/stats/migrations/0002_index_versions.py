"""The versions of the service-quality index, seeded with Decision 766/2022 as the national portal publishes it
(2025): ``stats/index_766.json``."""

import json
from pathlib import Path

from django.db import migrations, models

SEED = Path(__file__).resolve().parent.parent / "index_766.json"


def seed(apps, schema_editor):
    IndexVersion = apps.get_model("stats", "IndexVersion")
    data = json.loads(SEED.read_text(encoding="utf-8"))
    IndexVersion.objects.get_or_create(effective_from=data["effective_from"], defaults={
        "name": data["name"], "legal_basis": data["legal_basis"], "groups": data["groups"], "rows": data["rows"],
        "bands": data["bands"]})


class Migration(migrations.Migration):

    dependencies = [
        ("stats", "0001_reporting_facts"),
    ]

    operations = [
        migrations.CreateModel(
            name="IndexVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="name")),
                ("legal_basis", models.TextField(blank=True, verbose_name="legal basis")),
                ("effective_from", models.DateField(unique=True, verbose_name="effective from")),
                ("groups", models.JSONField(default=list, help_text='[{"code": "1", "key": "CKMB", "max": 18}, …]', verbose_name="groups")),
                ("rows", models.JSONField(default=list, help_text='[{"code": "1.1", "formula": "procedures_published_on_time", "max": 6, "threshold": null}, …]: a threshold (percent) gives full points at or above it, rate × max ÷ threshold below; none: rate × max. A row of max 0 is shown, not scored.', verbose_name="rows")),
                ("bands", models.JSONField(default=list, help_text='[{"min": 90, "band": "excellent"}, …]', verbose_name="bands")),
            ],
            options={
                "verbose_name": "version of the service-quality index",
                "verbose_name_plural": "versions of the service-quality index",
                "ordering": ["-effective_from"],
            },
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
