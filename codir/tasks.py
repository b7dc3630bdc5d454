"""Background jobs of the meetings: sending an agenda version, reminding a convener."""

from django.urls import reverse
from django_tasks import task

from communes.mail import absolute_url, send_templated_mail


@task()
def send_agenda_version(version_id: int) -> None:
    """Send the outbox rows of one agenda version (the sweep catches up whatever this misses)."""
    from codir.dispatch import send_pending
    from codir.models import AgendaVersion

    version = AgendaVersion.objects.filter(pk=version_id).first()
    if version is not None:
        send_pending(version=version)


@task()
def remind_empty_agenda(reunion_id: int) -> None:
    """Tell the convener that the agenda of a meeting is still empty, 24 hours before it goes out."""
    from codir.dispatch import dispatch_deadline
    from codir.models import Reunion

    reunion = Reunion.objects.select_related("territoire", "created_by").get(pk=reunion_id)
    if reunion.created_by is None or reunion.points.exists():
        return
    context = {
        "reunion": reunion,
        "deadline": dispatch_deadline(reunion),
        "link": absolute_url(reverse("codir:reunion", args=[reunion.territoire.slug, reunion.pk])),
    }
    send_templated_mail("emails/agenda_empty", context, [reunion.created_by.email])
