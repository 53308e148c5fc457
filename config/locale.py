"""The page's language (docs/operations.md, "Languages"): Django's choice (the language chooser's cookie,
else the browser's Accept-Language, else LANGUAGE_CODE), except for the API, whose JSON messages stay in
English whatever the client asks (docs/api.md) so that programs can rely on them."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation

API_PREFIX = "/api/"


class LocaleMiddleware(DjangoLocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(API_PREFIX):
            translation.activate(settings.LANGUAGE_CODE)
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            return
        super().process_request(request)
