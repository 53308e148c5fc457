"""A learning platform for the LTI tests, run by the tests themselves: its own RSA keys, a key set served
to the tool over HTTP, id_tokens it signs, and the services a course offers a tool (an OAuth2 token
endpoint that checks the tool's signed assertion, Names and Role Provisioning with pages, Assignment and
Grade Services line items and scores), on a tiny HTTP server in the test process.

The tool is driven through Django's test client; everything it asks of the platform goes over real HTTP to
this server, so nothing inside the tool is replaced.
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from jwcrypto.jwk import JWK

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
AGS_SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]


def rsa_key() -> tuple[str, str]:
    """A key pair of the platform's own (the tool's helper only makes it: PEM, private and public)."""
    from lti.tool import rsa_pem_pair

    return rsa_pem_pair()


@dataclass
class Member:
    user_id: str
    name: str
    email: str = ""
    roles: list[str] = field(default_factory=lambda: [LEARNER])
    status: str = "Active"

    def as_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "email": self.email,
            "roles": self.roles,
            "status": self.status,
        }


class Platform:
    """One platform (issuer) with one registration of the tool (client id) and one deployment."""

    def __init__(self, name: str = "Test LMS", client_id: str = "parley-client") -> None:
        self.name = name
        self.client_id = client_id
        self.deployment_id = "deployment-1"
        self.private_key, public_key = rsa_key()
        self.kid = "platform-key-" + secrets.token_hex(4)
        self.public_jwk = {
            **json.loads(JWK.from_pem(public_key.encode()).export_public()),
            "kid": self.kid,
            "alg": "RS256",
        }
        self.tool_keys: dict[str, Any] = {"keys": []}  # what the tool's key set URL serves (the test hands it over)
        self.members: list[Member] = []
        self.lineitems: dict[str, dict[str, Any]] = {}
        self.scores: list[dict[str, Any]] = []  # every score posted, in order, with its line item
        self.scored = threading.Condition()
        self.fail_scores = 0  # answer the next so many score posts with 503
        self.tokens: set[str] = set()
        self.jwks_requests = 0
        self.token_requests: list[dict[str, Any]] = []
        self.page_size = 2
        # For a browser: the people who may open the tool from the course page, by login hint, with their
        # claims, and the tool's login URL the course page posts to.
        self.people: dict[str, dict[str, Any]] = {}
        self.tool_login_url = ""
        self.deep_link_answers: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.issuer = self.base  # an issuer is the platform's URL
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def rotate_key(self) -> None:
        """A new signing key; the key set serves only it from now on."""
        self.private_key, public_key = rsa_key()
        self.kid = "platform-key-" + secrets.token_hex(4)
        self.public_jwk = {
            **json.loads(JWK.from_pem(public_key.encode()).export_public()),
            "kid": self.kid,
            "alg": "RS256",
        }

    def wait_for_scores(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """The scores posted once there are `count` of them; fails after `timeout` seconds."""
        with self.scored:
            if not self.scored.wait_for(lambda: len(self.scores) >= count, timeout):
                raise AssertionError(f"{len(self.scores)} scores posted in {timeout} s, expected {count}")
            return list(self.scores)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # The registration an administrator makes in Parley's admin

    def register(self, **overrides: Any):
        from lti.models import Platform as Registration

        fields = {
            "name": self.name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": self.deployment_id,
            "auth_login_url": f"{self.base}/auth",
            "auth_token_url": f"{self.base}/token",
            "key_set_url": f"{self.base}/jwks",
            **overrides,
        }
        return Registration.objects.create(**fields)

    # id_tokens

    def id_token(
        self,
        *,
        nonce: str,
        sub: str,
        roles: list[str],
        context_id: str = "course-1",
        message_type: str = "LtiResourceLinkRequest",
        resource_link_id: str = "link-1",
        custom: dict[str, str] | None = None,
        aud: str | list[str] | None = None,
        iss: str | None = None,
        deployment_id: str | None = None,
        expires_in: int = 300,
        signing_key: str | None = None,
        email: str = "",
        name: str = "",
        lineitem: str | None = None,
        **extra: Any,
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": iss or self.issuer,
            "aud": aud or self.client_id,
            "sub": sub,
            "nonce": nonce,
            "iat": now - 5,
            "exp": now + expires_in,
            "name": name,
            "email": email,
            CLAIM + "message_type": message_type,
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": deployment_id or self.deployment_id,
            CLAIM + "roles": roles,
            CLAIM + "context": {"id": context_id, "label": "NEG101", "title": "Negotiation 101"},
            CLAIM + "target_link_uri": "https://parley.test/lti/launch/",
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.base}/courses/{context_id}/Memberships",
                "service_versions": ["2.0"],
            },
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": AGS_SCOPES,
                "lineitems": f"{self.base}/courses/{context_id}/lineitems",
                **({"lineitem": lineitem} if lineitem else {}),
            },
            **extra,
        }
        if message_type == "LtiResourceLinkRequest":
            body[CLAIM + "resource_link"] = {"id": resource_link_id, "title": "Negotiation exercise"}
        if custom:
            body[CLAIM + "custom"] = custom
        if message_type == "LtiDeepLinkingRequest":
            body["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.base}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["window"],
                "data": "platform-data-42",
            }
        return jwt.encode(body, signing_key or self.private_key, algorithm="RS256", headers={"kid": self.kid})

    # The HTTP side

    def _token_ok(self, handler: BaseHTTPRequestHandler) -> bool:
        auth = handler.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.tokens

    def _issue_token(self, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        assertion = form.get("client_assertion", [""])[0]
        header = jwt.get_unverified_header(assertion)
        key = next((k for k in self.tool_keys["keys"] if k.get("kid") == header.get("kid")), None)
        if key is None:
            return 401, {"error": "invalid_client", "error_description": "unknown kid"}
        public = JWK(**key).export_to_pem()
        try:
            claims = jwt.decode(assertion, public, algorithms=["RS256"], audience=f"{self.base}/token")
        except jwt.InvalidTokenError as exc:
            return 401, {"error": "invalid_client", "error_description": str(exc)}
        if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
            return 401, {"error": "invalid_client"}
        token = secrets.token_hex(16)
        self.tokens.add(token)
        self.token_requests.append({"scope": form.get("scope", [""])[0], "claims": claims})
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    def _members_page(self, path: str, query: dict[str, list[str]]) -> tuple[dict[str, Any], str]:
        page = int(query.get("Page", ["0"])[0])
        chunk = self.members[page * self.page_size : (page + 1) * self.page_size]
        link = ""
        if (page + 1) * self.page_size < len(self.members):
            # The next page's URL has capitals: a tool that changes its case loses it.
            link = f'<{self.base}{path}?Page={page + 1}>; rel="next"'
        body = {"id": path, "context": {"id": "course-1"}, "members": [m.as_json() for m in chunk]}
        return body, link

    def lineitem_add(self, label: str, maximum: float, context_id: str = "course-1") -> str:
        """A gradebook column the platform made (for a deep link's content item): its URL."""
        url = f"{self.base}/courses/{context_id}/lineitems/{uuid.uuid4().hex[:8]}"
        self.lineitems[url] = {"id": url, "label": label, "scoreMaximum": maximum}
        return url

    # The browser's side: the course page, the OIDC authentication endpoint, the deep link return

    @staticmethod
    def _autopost(action: str, fields: dict[str, str], title: str) -> str:
        inputs = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items()
        )
        return (
            f"<!doctype html><html lang=en><title>{title}</title><h1>{title}</h1>"
            f'<form method="post" action="{html.escape(action)}">{inputs}<button>Continue</button></form>'
            "<script>document.forms[0].submit()</script></html>"
        )

    def course_page(self, query: dict[str, list[str]]) -> str:
        """A course's link to the tool: the third-party initiated login, posted by the browser."""
        hint = query.get("as", [""])[0]
        fields = {
            "iss": self.issuer,
            "login_hint": hint,
            "client_id": self.client_id,
            "target_link_uri": self.tool_login_url.replace("/login/", "/launch/"),
            "lti_message_hint": query.get("type", ["resource"])[0],
        }
        return self._autopost(self.tool_login_url, fields, "Opening Parley")

    def authenticate(self, query: dict[str, list[str]]) -> tuple[int, str]:
        """The OIDC authentication endpoint: the person of the login hint, signed into an id_token posted back
        (response_mode form_post) to the redirect URI with the tool's state."""
        person = self.people.get(query.get("login_hint", [""])[0])
        if person is None or query.get("client_id") != [self.client_id]:
            return 400, "unknown login"
        claims = dict(person)
        if query.get("lti_message_hint") == ["deep"]:
            claims["message_type"] = "LtiDeepLinkingRequest"
        token = self.id_token(nonce=query["nonce"][0], **claims)
        return 200, self._autopost(
            query["redirect_uri"][0], {"id_token": token, "state": query["state"][0]}, "Signing in"
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _html(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/jwks":
                    platform.jwks_requests += 1
                    return self._send(200, {"keys": [platform.public_jwk]})
                if url.path == "/course":
                    return self._html(200, platform.course_page(parse_qs(url.query)))
                if url.path == "/auth":
                    return self._html(*platform.authenticate(parse_qs(url.query)))
                if not platform._token_ok(self):
                    return self._send(401, {"error": "no token"})
                if url.path.endswith("/Memberships"):
                    body, link = platform._members_page(url.path, parse_qs(url.query))
                    return self._send(200, body, {"Link": link} if link else None)
                if url.path.endswith("/lineitems"):
                    return self._send(200, list(platform.lineitems.values()))
                item = platform.lineitems.get(f"{platform.base}{url.path}")
                if item is not None:
                    return self._send(200, item)
                return self._send(404, {"error": "not found"})

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                raw = self._body()
                if url.path == "/deep-link-return":
                    platform.deep_link_answers.append(parse_qs(raw.decode()).get("JWT", [""])[0])
                    return self._html(
                        200, "<!doctype html><html lang=en><title>Placed</title><h1>Content placed</h1></html>"
                    )
                if url.path == "/token":
                    status, body = platform._issue_token(parse_qs(raw.decode()))
                    return self._send(status, body)
                if not platform._token_ok(self):
                    return self._send(401, {"error": "no token"})
                if url.path.endswith("/lineitems"):
                    item = json.loads(raw)
                    item["id"] = f"{platform.base}{url.path}/{uuid.uuid4().hex[:8]}"
                    platform.lineitems[item["id"]] = item
                    return self._send(201, item)
                if url.path.endswith("/scores"):
                    if platform.fail_scores > 0:
                        platform.fail_scores -= 1
                        return self._send(503, {"error": "gradebook unavailable"})
                    lineitem = f"{platform.base}{url.path.removesuffix('/scores')}"
                    if lineitem not in platform.lineitems:
                        return self._send(404, {"error": "no such line item"})
                    with platform.scored:
                        platform.scores.append({**json.loads(raw), "lineitem": lineitem})
                        platform.scored.notify_all()
                    return self._send(200, {})
                return self._send(404, {"error": "not found"})

        return Handler
