"""pylti1p3 wired to Parley's database: the registrations come from `Platform` rows, the tool's keys from
`ToolKey`, the nonces from `Nonce` (each used once), and every request to a platform has a timeout.

The state of an OIDC login is a short-lived cookie that the launch must bring back (pylti1p3's own check):
it ties the launch to the browser that began it. Cookies set here are `SameSite=None; Secure` on HTTPS,
as a launch is a cross-site form post.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto.jwk import JWK
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.registration import Registration
from pylti1p3.service_connector import REQUESTS_USER_AGENT
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfAbstract

from lti.models import Nonce, Platform, ToolKey

NONCE_MINUTES = 10  # from the OIDC login to the launch
NONCES_KEPT = timedelta(days=1)  # used nonces are kept this long, then deleted
HTTP_TIMEOUT_SECONDS = 10
KEY_SET_SECONDS = 300  # a platform's key set is kept this long in the cache
KEY_SET_CACHE = "parley.lti.keyset."
RSA_BITS = 2048


class NoToolKey(Exception):
    """No active key: `manage.py lti_keys` makes one."""


class TimedSession(requests.Session):
    """requests with a timeout on every call: a platform that does not answer must not hold a worker."""

    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = f"Parley ({REQUESTS_USER_AGENT})"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", HTTP_TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


# The tool's keys


def rsa_pem_pair() -> tuple[str, str]:
    """A new RSA key pair as PEM: (private PKCS#8, public SubjectPublicKeyInfo)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def key_create() -> ToolKey:
    """A new key pair, the one that signs from now on; the private key never leaves the database."""
    private_pem, public_pem = rsa_pem_pair()
    kid = JWK.from_pem(public_pem.encode()).thumbprint()
    return ToolKey.objects.create(kid=kid, private_key=private_pem, public_key=public_pem)


def signing_key() -> ToolKey:
    key = ToolKey.objects.filter(is_active=True).order_by("-created_at", "-pk").first()
    if key is None:
        raise NoToolKey(_("Parley has no LTI key yet: an administrator runs `python manage.py lti_keys`."))
    return key


def key_set() -> dict[str, list[dict[str, Any]]]:
    """The public keys of every active key, as the JWKS a platform fetches."""
    keys = []
    for key in ToolKey.objects.filter(is_active=True).order_by("-created_at", "-pk"):
        jwk = json.loads(JWK.from_pem(key.public_key.encode()).export_public())
        keys.append({**jwk, "kid": key.kid, "alg": "RS256", "use": "sig"})
    return {"keys": keys}


# Registrations


class ParleyRegistration(Registration):
    """A pylti1p3 registration with its platform row and the tool's signing key (its kid named exactly)."""

    def __init__(self, platform: Platform, key: ToolKey | None) -> None:
        self.platform = platform
        self._kid = key.kid if key else None
        self.set_issuer(platform.issuer).set_client_id(platform.client_id).set_key_set_url(platform.key_set_url)
        self.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)
        if key is not None:
            self.set_tool_private_key(key.private_key).set_tool_public_key(key.public_key)

    def get_kid(self) -> str | None:
        return self._kid


def registration_for(platform: Platform, *, signing: bool = False) -> ParleyRegistration:
    """The platform's registration; with the signing key when the tool must sign (services, deep links)."""
    return ParleyRegistration(platform, signing_key() if signing else None)


class ToolConf(ToolConfAbstract[DjangoRequest]):
    """The active platforms in the database. An issuer may hold several client ids: found by both."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        if not iss or not client_id:
            return None
        return Platform.objects.filter(issuer=iss, client_id=client_id, is_active=True).first()

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        raise NotImplementedError  # every issuer is looked up with its client id

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        platform = self.platform(iss, client_id)
        return ParleyRegistration(platform, None) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        raise NotImplementedError

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        platform = self.platform(iss, client_id)
        if platform is None or deployment_id not in platform.deployments():
            return None
        return Deployment().set_deployment_id(deployment_id)


# Nonces: issued at the login, used once at the launch


class NonceService(SessionService):
    """pylti1p3's session service with the nonces in the database: a nonce is good for one launch, within
    NONCE_MINUTES of the login that issued it, whatever session or cookie the launch brings. The launch's
    data is kept by the views themselves, so nothing else is stored."""

    def __init__(self, request: DjangoRequest) -> None:
        self._request = request

    def save_nonce(self, nonce: str) -> None:
        Nonce.objects.filter(created_at__lt=timezone.now() - NONCES_KEPT).delete()
        Nonce.objects.create(value=nonce)

    def check_nonce(self, nonce: str) -> bool:
        if not isinstance(nonce, str) or len(nonce) > 100:
            return False
        fresh = timezone.now() - timedelta(minutes=NONCE_MINUTES)
        with transaction.atomic():  # one conditional update: of two launches with one nonce, one wins
            return (
                Nonce.objects.filter(value=nonce, used_at__isnull=True, created_at__gte=fresh).update(
                    used_at=timezone.now()
                )
                == 1
            )

    def save_launch_data(self, key: str, jwt_body: Any) -> None:
        pass

    def get_launch_data(self, key: str) -> Any:
        return None

    def save_state_params(self, state: str, params: Any) -> None:
        pass

    def get_state_params(self, state: str) -> Any:
        return {}

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        pass

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False  # the state cookie alone proves it


def oidc_login(request: Any) -> DjangoOIDCLogin:
    django_request = DjangoRequest(request)
    return DjangoOIDCLogin(request, ToolConf(), session_service=NonceService(django_request))


class MessageLaunch(DjangoMessageLaunch):
    """pylti1p3's launch, with the platform's key set kept KEY_SET_SECONDS in the cache (a class launching
    at once fetches it once), and fetched again at once when a launch names a key it does not hold (the
    platform rotated its keys)."""

    _key_set_cached = False

    def fetch_public_key(self, key_set_url: str) -> Any:
        name = KEY_SET_CACHE + hashlib.sha256(key_set_url.encode()).hexdigest()
        keys = cache.get(name)
        if keys is not None:
            self._key_set_cached = True
            return keys
        keys = super().fetch_public_key(key_set_url)
        cache.set(name, keys, KEY_SET_SECONDS)
        return keys

    def get_public_key(self) -> tuple[str, str]:
        try:
            return super().get_public_key()
        except LtiException as exc:
            if str(exc) != "Unable to find public key" or not self._key_set_cached or self._registration is None:
                raise
        url = self._registration.get_key_set_url() or ""
        cache.delete(KEY_SET_CACHE + hashlib.sha256(url.encode()).hexdigest())
        self._key_set_cached = False
        self._registration.set_key_set(None)
        return super().get_public_key()


def message_launch(request: Any) -> MessageLaunch:
    """The launch, its token required to carry its expiry and issue times (pylti1p3 would take a token
    without them, which never expires). pylti1p3 checks the audience itself."""
    django_request = DjangoRequest(request, post_only=True)
    launch = MessageLaunch(
        django_request,
        ToolConf(),
        session_service=NonceService(django_request),
        requests_session=TimedSession(),
    )
    launch.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})
    return launch
