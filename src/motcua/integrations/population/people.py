"""The population simulator's fictional people: the persons of the demo accounts (``DEMO_PEOPLE``, so that they
can be verified in trial mode) and ~200 generated ones, the same on every run (a fixed seed).

A citizen ID is 12 digits (Circular 59/2021/TT-BCA): the code of the province of birth registration (3), a digit
for century and sex (0/1: born in the 1900s, man/woman; 2/3: in the 2000s), the last two digits of the year of
birth (2), then 6 random digits.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

# birth provinces of the generated people (code, name); Quảng Ninh (022) most often
PROVINCES = [("022", "Quảng Ninh"), ("022", "Quảng Ninh"), ("022", "Quảng Ninh"), ("001", "Hà Nội"),
             ("031", "Hải Phòng"), ("030", "Hải Dương"), ("036", "Nam Định"), ("034", "Thái Bình"),
             ("079", "Hồ Chí Minh"), ("048", "Đà Nẵng")]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
MIDDLE_MEN = ["Văn", "Minh", "Đức", "Quốc", "Thanh", "Hữu", "Công"]
MIDDLE_WOMEN = ["Thị", "Thu", "Thanh", "Ngọc", "Minh", "Kim", "Phương"]
FIRST_MEN = ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Hiếu", "Khánh", "Long", "Nam", "Phong", "Quang",
             "Sơn", "Thắng", "Trung", "Tuấn", "Việt"]
FIRST_WOMEN = ["Anh", "Chi", "Giang", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung",
               "Phương", "Thảo", "Trang", "Vân", "Yến"]
STREETS = ["Tổ 3, khu 5, phường Hà Tu", "Tổ 1, khu 2, phường Hồng Gai", "Số 12 đường Lê Thánh Tông, phường Hạ Long",
           "Thôn 4, xã Hoành Bồ", "Tổ 7, khu 3, phường Cẩm Phả", "Thôn Đông, xã Quảng Hà",
           "Số 8 phố Hải Đăng, phường Bãi Cháy", "Tổ 2, khu 1, phường Uông Bí"]


@dataclass(frozen=True)
class Person:
    id_number: str
    full_name: str
    date_of_birth: date
    sex: str  # "1" man, "2" woman (the database's codes)
    permanent_address: str
    place_of_origin: str

    def as_record(self) -> dict[str, Any]:
        """The person as the population database answers (its field names)."""
        return {"SoDinhDanh": self.id_number, "HoVaTen": self.full_name, "NgaySinh": self.date_of_birth.isoformat(),
                "GioiTinh": self.sex, "NoiThuongTru": self.permanent_address, "QueQuan": self.place_of_origin}

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "date_of_birth": self.date_of_birth.isoformat()}


# the demo accounts' persons (``motcua.demo.province.DEMO_CITIZENS``) and a few free ones to try a sign-up with
DEMO_PEOPLE = [
    Person("022190004567", "Nguyễn Thị Hương", date(1990, 4, 12), "2",
           "Tổ 3, khu 5, phường Hà Tu, Quảng Ninh", "Xã Hoành Bồ, Quảng Ninh"),
    Person("022095001234", "Trần Văn Minh", date(1995, 3, 14), "1",
           "Số 12 đường Lê Thánh Tông, phường Hạ Long, Quảng Ninh", "Xã Quảng Hà, Quảng Ninh"),
    Person("030198007788", "Lê Thị Thu Hà", date(1998, 11, 2), "2",
           "Tổ 7, khu 3, phường Cẩm Phả, Quảng Ninh", "Phường Uông Bí, Quảng Ninh"),
    Person("001301000321", "Phạm Ngọc Anh", date(2001, 6, 30), "2",
           "Thôn Đông, xã Quảng Hà, Quảng Ninh", "Quận Ba Đình, Hà Nội"),
    # an elderly woman a postal worker files for (assisted filing, issue 15): no account until the post files for her
    Person("022141000088", "Vũ Thị Lan", date(1941, 8, 19), "2",
           "Tổ 2, khu 1, phường Hà Tu, Quảng Ninh", "Xã Hoành Bồ, Quảng Ninh"),
]


ASSISTED_DEMO = DEMO_PEOPLE[4]  # Vũ Thị Lan: the trial's assisted filing (``load_demo`` prints how to try it)


# the demo history's made-up applicants have citizen IDs 02219xxxxxxx (``motcua.demo.history``): no generated
# person has one, so that signing up as one never joins their dossiers
HISTORY_PREFIX = "02219"


def citizen_id(province: str, born: date, sex: str, serial: int) -> str:
    century = 0 if born.year < 2000 else 2
    return f"{province}{century + (1 if sex == '2' else 0)}{born.year % 100:02d}{serial:06d}"


def generated(count: int = 200, seed: int = 14) -> list[Person]:
    rng = random.Random(seed)
    people: list[Person] = []
    taken = {p.id_number for p in DEMO_PEOPLE}
    while len(people) < count:
        sex = rng.choice("12")
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 56))
        code, province = rng.choice(PROVINCES)
        _home_code, home = rng.choice(PROVINCES)
        middle, first = (MIDDLE_MEN, FIRST_MEN) if sex == "1" else (MIDDLE_WOMEN, FIRST_WOMEN)
        number = citizen_id(code, born, sex, rng.randrange(1, 1_000_000))
        if number in taken or number.startswith(HISTORY_PREFIX):
            continue
        taken.add(number)
        people.append(Person(number, f"{rng.choice(FAMILY)} {rng.choice(middle)} {rng.choice(first)}", born, sex,
                             f"{rng.choice(STREETS)}, Quảng Ninh", f"{province}" if province == home
                             else f"{home}"))
    return people


def population(count: int = 200, seed: int = 14) -> dict[str, Person]:
    """Everyone the simulator knows, by citizen ID."""
    return {p.id_number: p for p in [*DEMO_PEOPLE, *generated(count, seed)]}
