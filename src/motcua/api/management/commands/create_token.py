from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from motcua.api.auth import issue_token


class Command(BaseCommand):
    help = "Issue an API token (Authorization: Bearer …) for a staff member or an integration account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for (shown in the admin).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user called {options['username']!r} / Không có người dùng này.")
        if not user.is_active:
            raise CommandError(f"{user} is not active / Tài khoản đã bị khóa.")
        token = issue_token(user, options["name"])
        self.stderr.write("Keep this token secret; it is shown only once. / Giữ bí mật; mã chỉ hiện một lần.")
        self.stdout.write(token)
