"""Headers on every answer Parley makes (docs/operations.md, "Headers"), static files aside (WhiteNoise
answers those before this middleware and lets browsers cache them).

- `Cache-Control: no-store` unless the view chose its own: most pages carry students' names, personal
  links, role sheets or points, and a shared computer's cache or back button must not show them to the
  next person. Pages are cheap to fetch again.
- `Content-Security-Policy`: scripts and styles only from our own static files (no inline script, event
  handler or eval; no inline `<style>` or style attribute: the charts take their rules from a
  constructed style sheet), nothing loaded from another site, no framing, forms post only to us.
- `Permissions-Policy`: none of the browser's sensors, camera, microphone, payment or USB.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "font-src": "'self'",
    "connect-src": "'self'",  # the socket's own ws:// or wss:// origin is added per request
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


def content_security_policy(request: HttpRequest, form_action: str = "") -> str:
    """The policy; `form_action` is one more origin a page's form may post to (a learning platform's deep
    link return address: lti/views.py sets it as the response's `csp_form_action`)."""
    directives = dict(POLICY)
    if form_action:
        directives["form-action"] += f" {form_action}"
    try:
        host = request.get_host()
    except DisallowedHost:  # refused already; its answer gets the policy without the socket
        pass
    else:  # older browsers do not count ws:// and wss:// as 'self', so the socket's origin is named
        directives["connect-src"] += f" {'wss' if request.is_secure() else 'ws'}://{host}"
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        form_action = getattr(response, "csp_form_action", "")
        response.setdefault("Content-Security-Policy", content_security_policy(request, form_action))
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
