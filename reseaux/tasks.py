"""Mails of the portfolio, sent by the background worker."""

from datetime import date

from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from communes.mail import absolute_url, send_templated_mail
from communes.models import Membership


def project_followers(projet, on: date | None = None) -> list[str]:
    """Who hears of a project's handovers and reviews: those acting for its pilots on that day (today by
    default), and its active référents."""
    from reseaux.services.projets import active_pilots

    pilots = active_pilots(projet, on or timezone.localdate())
    acting = (
        Membership.objects.active()
        .filter(territoire=projet.territoire_id, collectivite_id__in=pilots, agent__is_active=True)
        .exclude(role=Membership.Role.OBSERVATEUR)
    )
    emails = set(acting.values_list("agent__email", flat=True))
    # A référent who has left the territory no longer reads its pages: no mail either.
    followers = projet.referents.filter(
        until__isnull=True,
        agent__is_active=True,
        agent__memberships__territoire=projet.territoire_id,
        agent__memberships__ended_at__isnull=True,
    )
    emails |= set(followers.values_list("agent__email", flat=True))
    return sorted(emails)


def _link(projet) -> str:
    return absolute_url(reverse("reseaux:projet", args=[projet.territoire.slug, projet.pk]))


@task()
def notify_handover(revue_id: int) -> None:
    """The new pilot of an alternating project is told to hold the handover review."""
    from reseaux.models import Revue

    revue = Revue.objects.select_related("projet__territoire").get(pk=revue_id)
    if revue.held:
        return
    projet = revue.projet
    context = {"projet": projet, "revue": revue, "link": _link(projet)}
    # The pilot from the handover day on is told (the sweep may have opened it ahead of, or after, today).
    send_templated_mail("emails/projet_handover", context, project_followers(projet, revue.held_on))


@task()
def remind_review(projet_id: int, due_on: str) -> None:
    """The pilots and référents are told that the project's periodic review falls due."""
    from reseaux.models import Projet

    projet = Projet.objects.select_related("territoire").get(pk=projet_id)
    context = {"projet": projet, "due_on": date.fromisoformat(due_on), "link": _link(projet)}
    send_templated_mail("emails/projet_review_due", context, project_followers(projet))
