"""Header-based single sign-on: a trusted proxy in front of AdGenesis names the user."""

from django.conf import settings
from django.contrib.auth.middleware import RemoteUserMiddleware


class HeaderSSOMiddleware(RemoteUserMiddleware):
    """Reads the user name from ADGENESIS_SSO_HEADER (e.g. X-Forwarded-User).

    Only switch it on behind a proxy that strips this header from client requests.
    """

    force_logout_if_no_header = False

    @property
    def header(self) -> str:
        return "HTTP_" + settings.SSO_HEADER.upper().replace("-", "_")
