"""What an authenticator app needs: the otpauth:// address, as a QR code drawn here and as text.

The QR code is an inline SVG drawn on the server with segno: no external service sees the secret, and the
page needs no JavaScript.
"""

from base64 import b32encode
from dataclasses import dataclass

import segno
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice


@dataclass(frozen=True)
class Provisioning:
    uri: str  # otpauth://totp/Codir%20de%20territoire:agent@…?secret=…&issuer=…
    secret_groups: list[str]  # the base32 secret in groups of 4, for typing by hand
    qr_svg: SafeString


def totp_provisioning(device: TOTPDevice) -> Provisioning:
    """The enrollment data of a TOTP device; the label is the issuer (`OTP_TOTP_ISSUER`) and the agent's email."""
    uri = device.config_url
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    groups = [secret[i : i + 4] for i in range(0, len(secret), 4)]
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title=_("QR code à scanner"), svgclass=None, lineclass=None
    )
    # An image for assistive technologies; its name comes from the <title> segno writes first.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(_("QR code à scanner"))}" ', 1)
    return Provisioning(uri=uri, secret_groups=groups, qr_svg=mark_safe(svg))
