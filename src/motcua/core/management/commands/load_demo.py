from typing import Any

from django.core.management.base import BaseCommand

from motcua.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo province (Quảng Ninh): units, agencies, demo staff and real procedures. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        report = load_demo(progress=self.stdout.write)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo accounts / Tài khoản thử nghiệm (password / mật khẩu: "
                                             f"{DEMO_PASSWORD})"))
        width = max(len(username) for username, _, _ in report.staff)
        for username, role, agency in report.staff:
            self.stdout.write(f"  {username.ljust(width)}  {role.ljust(13)}  {agency}")
        self.stdout.write("  Staff workspace / Không gian làm việc của cán bộ: http://127.0.0.1:8000/workspace/")
        self.stdout.write("Citizen accounts / Tài khoản công dân, doanh nghiệp (same password / cùng mật khẩu):")
        for phone, email, name in report.citizens:
            self.stdout.write(f"  {phone}  {email.ljust(26)}  {name}")
        self.stdout.write("  Public portal / Cổng dịch vụ công: http://127.0.0.1:8000/  (Đăng nhập / Sign in)")
        self.stdout.write("  Administration / Quản trị (quantri): http://127.0.0.1:8000/admin/")
