from typing import Any

from django.conf import settings
from django.http import HttpRequest

from motcua import __version__


def site(request: HttpRequest) -> dict[str, Any]:
    return {"DEMO_MODE": settings.DEMO_MODE, "MOTCUA_VERSION": __version__}
