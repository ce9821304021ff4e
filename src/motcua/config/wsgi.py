import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.config.settings")
application = get_wsgi_application()

# The web server's workers only (gunicorn imports this module in each worker, after the fork; management commands
# and the tests do not): what the first request would otherwise wait for — every view imported (the URL conf, the
# API's schemas) and the assistant's index built (pyvi's model, the catalogue) — is done in a background thread
# as the worker starts (MOTCUA_ASSISTANT_WARM_UP).
from django.conf import settings  # noqa: E402 - once the apps are loaded
from django.db import connections  # noqa: E402 - same
from django.urls import get_resolver  # noqa: E402 - same

from motcua.assistant.index import warm_up  # noqa: E402 - same


def _warm_up() -> None:
    try:
        get_resolver().url_patterns  # noqa: B018 - imports every view
        warm_up()
    finally:
        connections.close_all()  # this thread's own connections, opened to read the catalogue


if settings.MOTCUA_ASSISTANT_WARM_UP:
    threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
