"""The test server's URLs: django-oauth-toolkit under /o/, a login page, one protected API
resource, and a middleware that logs each request (method and path) for the tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from oauth2_provider.decorators import protected_resource


class RequestLog:
    """Appends ``{"method", "path"}`` per request to settings.REQUEST_LOG."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with open(settings.REQUEST_LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps({"method": request.method, "path": request.path}) + "\n")
        return self.get_response(request)


def me(request: Any) -> JsonResponse:
    user = request.resource_owner
    return JsonResponse({"id": user.pk, "username": user.username})


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("api/me", protected_resource(scopes=["read"])(me)),
]
