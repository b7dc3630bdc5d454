"""Background jobs of the communes app (run by `manage.py db_worker`)."""

from django.conf import settings
from django.urls import reverse
from django_tasks import task

from communes.mail import absolute_url, send_templated_mail
from communes.models import Invitation


@task()
def send_invitation(invitation_id: int) -> None:
    """Mail the one-time link of an invitation that is still pending."""
    from communes.services import invitation_token

    invitation = Invitation.objects.select_related("territoire", "collectivite", "invited_by").get(pk=invitation_id)
    if not invitation.is_usable:
        return
    link = absolute_url(reverse("invitation_accept", kwargs={"token": invitation_token(invitation)}))
    context = {"invitation": invitation, "link": link, "validity_days": settings.INVITATION_VALIDITY_DAYS}
    send_templated_mail("emails/invitation", context, [invitation.email])
