"""E-mails as subject / text / HTML template triplets, in the application's language."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_mail(template_prefix: str, context: dict[str, Any], recipients: Iterable[str]) -> int:
    """Send `<prefix>_subject.txt`, `_body.txt` and `_body.html` to each recipient separately.

    One message per recipient, so nobody sees the others' addresses. Returns how many left.
    """
    recipients = sorted(set(recipients))
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context).split())
        text = render_to_string(f"{template_prefix}_body.txt", context)
        html = render_to_string(f"{template_prefix}_body.html", context)
    sent = 0
    for recipient in recipients:
        message = EmailMultiAlternatives(subject, text, to=[recipient])
        message.attach_alternative(html, "text/html")
        sent += message.send()
    return sent


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path
