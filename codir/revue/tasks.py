"""Background jobs of the annual review."""

from django.urls import reverse
from django_tasks import task

from communes.mail import absolute_url, send_templated_mail


@task()
def notify_questionnaire_open(revue_id: int) -> None:
    """Invite every member who may answer (not observers) to fill in the anonymous questionnaire."""
    from codir.models import RevueAnnuelle
    from codir.revue.selectors import answerers

    revue = RevueAnnuelle.objects.select_related("territoire").get(pk=revue_id)
    if not revue.accepts_answers:
        return
    recipients = answerers().filter(territoire=revue.territoire).values_list("agent__email", flat=True)
    link = absolute_url(reverse("revue:repondre", args=[revue.territoire.slug, revue.year]))
    send_templated_mail("emails/revue_questionnaire", {"revue": revue, "link": link}, recipients)
