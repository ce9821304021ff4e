"""Start the test OpenID Connect provider: create its tables, users and client, serve on a free loopback port.

``PROVIDER_CONFIG`` (JSON) gives ``users`` (username, password, first_name, last_name, email, claims) and
``client`` (client_id, client_secret, redirect_uri). Prints ``READY <port>`` once it listens.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "provider_settings"


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    config = json.loads(os.environ["PROVIDER_CONFIG"])
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    for user in config["users"]:
        User.objects.create_user(user["username"], email=user.get("email", ""), password=user["password"],
                                 first_name=user.get("first_name", ""), last_name=user.get("last_name", ""))
    client = config["client"]
    Application.objects.create(
        name="MotCua", client_id=client["client_id"], client_secret=client["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL, authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=client["redirect_uri"], algorithm=Application.RS256_ALGORITHM, skip_authorization=True,
    )
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler, ipv6=False)
    server.set_app(get_wsgi_application())
    print(f"READY {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
