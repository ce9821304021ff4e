from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.core.errors import MotCuaError
from motcua.dossiers.seals import seal_heads


class Command(BaseCommand):
    help = (
        "Seal the heads of every dossier's event chain: their Merkle root, signed with the system's seal and "
        "timestamped (dossiers.seals). --if-due: only if the latest seal is older than MOTCUA_SEAL_EVERY_HOURS "
        "(`motcua serve` runs that every MOTCUA_SEAL_CHECK_MINUTES)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-due", action="store_true", help="Seal only if the latest seal is old enough.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            seal = seal_heads(if_due=options["if_due"])
        except MotCuaError as exc:  # no system seal, the timestamp authority unreachable…
            raise CommandError(f"{exc.text('en')} / {exc.text('vi')}") from exc
        if seal is None:
            if options["verbosity"] > 1:
                self.stdout.write("The latest seal is recent enough. / Niêm phong gần nhất còn mới.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Sealed {seal.dossier_count} dossiers: root {seal.root}. / Đã niêm phong {seal.dossier_count} hồ sơ."))
