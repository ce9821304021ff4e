"""A dossier is rated once: from the applicant's account or with its receipt's QR code, not once by each.

Before, the constraint was one rating per dossier *and channel*, so a dossier could count twice in its agency's
satisfaction figures. A dossier that already has two keeps the first one given; the later one is deleted.
"""

from typing import Any

from django.db import migrations, models


def keep_the_first_rating(apps: Any, schema_editor: Any) -> None:
    Rating = apps.get_model("feedback", "Rating")
    seen: set[int] = set()
    later = []
    for pk, dossier_id in (Rating.objects.filter(dossier__isnull=False).order_by("created_at", "pk")
                           .values_list("pk", "dossier_id")):
        if dossier_id in seen:
            later.append(pk)
        seen.add(dossier_id)
    Rating.objects.filter(pk__in=later).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='rating',
            name='unique_rating_per_dossier_channel',
        ),
        migrations.RunPython(keep_the_first_rating, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='rating',
            constraint=models.UniqueConstraint(condition=models.Q(('dossier__isnull', False)), fields=('dossier',),
                                               name='one_rating_per_dossier'),
        ),
    ]
