from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "motcua.payments"
    verbose_name = _("Payments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from motcua.dossiers.slips import transfer_qr_with
        from motcua.payments import checks  # noqa: F401 - registers the system checks
        from motcua.payments.vietqr import slip_block

        transfer_qr_with(slip_block)  # the receipt slip prints the VietQR code while a fee is due
