"""django-oauth-toolkit (from PyPI) as an authorization server for the tests, on 127.0.0.1.

Run as a script by tests/dot_support.py: ``serve.py DIRECTORY`` makes a SQLite database in
DIRECTORY, migrates it, seeds a user and the clients of ``clients.json`` (written there by
the test), listens on a free port, writes every request's method and path to
``requests.log`` and prints ``READY <port>``. PKCE is required, refresh tokens rotate, OpenID
Connect is on (RS256, the key in ``oidc.pem``) and the device grant is served.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

HERE = Path(__file__).resolve().parent


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The test reads requests.log instead."""


def configure(directory: Path, port: int) -> None:
    import django
    from django.conf import settings

    base = f"http://127.0.0.1:{port}"
    settings.configure(
        DEBUG=False,
        SECRET_KEY="dot-test-server-not-a-secret",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF="urls",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "oauth2_provider",
        ],
        MIDDLEWARE=[
            "urls.RequestLog",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(directory / "db.sqlite3"),
            }
        },
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(HERE / "templates")],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                    ]
                },
            }
        ],
        LOGIN_URL="/accounts/login/",
        LOGGING={  # a server error's traceback on stderr, for the test's failure message
            "version": 1,
            "handlers": {"stderr": {"class": "logging.StreamHandler"}},
            "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
        },
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
        REQUEST_LOG=str(directory / "requests.log"),
        OAUTH2_PROVIDER={
            "PKCE_REQUIRED": True,
            "ROTATE_REFRESH_TOKEN": True,
            "REFRESH_TOKEN_REUSE_PROTECTION": True,
            "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
            "OIDC_ENABLED": True,
            "OIDC_RSA_PRIVATE_KEY": (directory / "oidc.pem").read_text(encoding="utf-8"),
            "OIDC_ISS_ENDPOINT": f"{base}/o",
            "SCOPES": {"openid": "OpenID Connect", "read": "Read", "write": "Write"},
            "DEFAULT_SCOPES": ["read"],
            "OAUTH_DEVICE_VERIFICATION_URI": f"{base}/o/device/",
            "DEVICE_FLOW_INTERVAL": 1,
        },
    )
    django.setup()


def tolerate_oauthlib_4() -> None:
    """django-oauth-toolkit 3.4.1's device view passes oauthlib 4's whole device response
    (which now carries ``scope``) to its DeviceCodeResponse and fails with a TypeError (HTTP
    500); keep only the fields it knows. A finding against the toolkit, not the runner."""
    import dataclasses

    from oauth2_provider import models
    from oauth2_provider.views import device

    known = {field.name for field in dataclasses.fields(models.DeviceCodeResponse)}

    def response(**fields: Any) -> Any:
        return models.DeviceCodeResponse(**{k: v for k, v in fields.items() if k in known})

    device.DeviceCodeResponse = response


def seed(directory: Path) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0, interactive=False)
    people = json.loads((directory / "clients.json").read_text(encoding="utf-8"))
    user = get_user_model().objects.create_user(people["username"], password=people["password"])
    application = get_application_model()
    for client in people["clients"]:
        application.objects.create(user=user, skip_authorization=False, **client)


def main() -> None:
    directory = Path(sys.argv[1])
    server = make_server("127.0.0.1", 0, lambda e, s: [], _Server, _Quiet)
    port = server.server_address[1]
    configure(directory, port)
    seed(directory)
    tolerate_oauthlib_4()
    from django.core.wsgi import get_wsgi_application

    server.set_app(get_wsgi_application())
    print(f"READY {port}", flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the test closes stdin (or ends) to stop the server
    server.shutdown()


if __name__ == "__main__":
    main()
