"""Fill the dossiers' new ``fee_paid`` from the payments already confirmed (``dossiers`` keeps it from now on)."""

from django.db import migrations
from django.db.models import Sum


def fill_fee_paid(apps, schema_editor):  # type: ignore[no-untyped-def]
    Payment = apps.get_model("payments", "Payment")
    Dossier = apps.get_model("dossiers", "Dossier")
    paid = Payment.objects.filter(status="paid").values("dossier_id").annotate(total=Sum("amount"))
    for row in paid.iterator():
        Dossier.objects.filter(pk=row["dossier_id"]).update(fee_paid=row["total"])


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_payment_method_point_collector"),
        ("dossiers", "0008_dossier_fee_paid"),
    ]

    operations = [migrations.RunPython(fill_fee_paid, migrations.RunPython.noop, elidable=True)]
