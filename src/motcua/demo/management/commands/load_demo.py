from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from motcua.core.web import site_root
from motcua.demo.province import DEMO_PASSWORD, load_demo
from motcua.demo.queue import CENTER, DEMO_CITIZEN_LOGIN
from motcua.integrations.population.people import ASSISTED_DEMO


class Command(BaseCommand):
    help = "Load the demo province (Quảng Ninh): units, agencies, demo staff and real procedures. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="", help="the address the site is served at, for the links printed "
                            "(default: MOTCUA_PUBLIC_URL, else http://127.0.0.1:8000)")
        parser.add_argument("--without-history", action="store_true",
                            help="skip the four months of demo dossiers (demo.history)")

    def handle(self, *args: Any, **options: Any) -> None:
        site = (options["url"] or site_root() or "http://127.0.0.1:8000").rstrip("/")
        report = load_demo(progress=self.stdout.write, history=not options["without_history"])
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo accounts / Tài khoản thử nghiệm (password / mật khẩu: "
                                             f"{DEMO_PASSWORD})"))
        width = max(len(username) for username, _, _ in report.staff)
        for username, role, agency in report.staff:
            self.stdout.write(f"  {username.ljust(width)}  {role.ljust(13)}  {agency}")
        self.stdout.write(f"  Staff workspace / Không gian làm việc của cán bộ: {site}/workspace/")
        self.stdout.write("Citizen accounts / Tài khoản công dân, doanh nghiệp (same password / cùng mật khẩu):")
        for phone, email, name in report.citizens:
            self.stdout.write(f"  {phone}  {email.ljust(26)}  {name}")
        self.stdout.write(f"  Public portal / Cổng dịch vụ công: {site}/  (Đăng nhập / Sign in)")
        if report.returned_dossier:
            self.stdout.write(f"  Returned dossier of 0912000001 to rate / Hồ sơ đã trả kết quả để đánh giá: "
                              f"{report.returned_dossier} (Zalo: DG {report.returned_dossier} 5)")
        self.stdout.write(f"  Administration / Quản trị (quantri): {site}/admin/")
        lan = ASSISTED_DEMO
        self.stdout.write(f"Assisted filing / Nộp hộ: buudien.hatu files for {lan.full_name} ({lan.id_number}, "
                          f"{lan.date_of_birth:%d/%m/%Y}, phone 0912000005), who has no account yet: "
                          f"{site}/workspace/assisted/ (her SMS codes are shown on the page in trial mode, and "
                          "written under var/sms/); she then signs in with a code: "
                          f"{site}/tai-khoan/dang-nhap-bang-ma/")
        self.stdout.write("Waiting room / Phòng chờ (docs/counters.md):")
        self.stdout.write(f"  Kiosk / Ki-ốt lấy số: {site}/quay-so/{CENTER}/  (next ticket A015 / số tiếp theo A015)")
        self.stdout.write(f"  Display board / Màn hình: {site}/man-hinh/{CENTER}/")
        self.stdout.write(f"  Counter / Quầy (tiepnhan): {site}/workspace/quay/")
        self.stdout.write(f"  Booking / Đặt lịch (sign in / đăng nhập {DEMO_CITIZEN_LOGIN} / {DEMO_PASSWORD}): "
                          f"{site}/dat-lich/?co-quan={CENTER}")
