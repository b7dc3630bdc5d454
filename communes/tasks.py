"""Background jobs of the communes app (run by `manage.py db_worker`)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django_tasks import task

from communes.models import Invitation


@task()
def send_invitation(invitation_id: int) -> None:
    """Mail the one-time link of an invitation that is still pending."""
    from communes.services import invitation_token

    invitation = Invitation.objects.select_related("territoire", "collectivite", "invited_by").get(pk=invitation_id)
    if not invitation.is_usable:
        return
    link = settings.SITE_URL + reverse("invitation_accept", kwargs={"token": invitation_token(invitation)})
    context = {"invitation": invitation, "link": link, "validity_days": settings.INVITATION_VALIDITY_DAYS}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("emails/invitation_subject.txt", context).strip()
        text = render_to_string("emails/invitation_body.txt", context)
        html = render_to_string("emails/invitation_body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()
