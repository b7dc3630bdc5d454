"""Mails of the decision engine, sent by the background worker."""

from django.urls import reverse
from django_tasks import task

from communes.mail import absolute_url, send_templated_mail
from communes.models import Membership, Seat


def _proposition(proposition_id: int):
    from decisions.models import Proposition

    return Proposition.objects.select_related("territoire", "author").get(pk=proposition_id)


def _members_emails(territoire) -> list[str]:
    return list(
        Membership.objects.active()
        .filter(territoire=territoire, agent__is_active=True)
        .values_list("agent__email", flat=True)
    )


def _link(proposition) -> str:
    return absolute_url(reverse("decisions:proposition", args=[proposition.territoire.slug, proposition.pk]))


@task()
def notify_opened(proposition_id: int, round_number: int) -> None:
    """Tell every member that a proposition (or its amended text) awaits their collectivité's position."""
    proposition = _proposition(proposition_id)
    if not proposition.is_open:
        return
    context = {"proposition": proposition, "round_number": round_number, "link": _link(proposition)}
    send_templated_mail("emails/decision_opened", context, _members_emails(proposition.territoire))


@task()
def remind_silent_collectivites(proposition_id: int) -> None:
    """24 hours before closing, remind the titulaire and suppléant of collectivités that have not expressed."""
    from decisions.models import Position

    proposition = _proposition(proposition_id)
    if not proposition.is_open:
        return
    round_ = proposition.rounds.get(closed_at__isnull=True)
    expressed = Position.objects.current().filter(round=round_).values("collectivite_id")
    recipients = (
        Seat.objects.active()
        .filter(collectivite__territoire=proposition.territoire, collectivite__left_at__isnull=True)
        .exclude(collectivite_id__in=expressed)
        .values_list("membership__agent__email", flat=True)
    )
    context = {"proposition": proposition, "link": _link(proposition)}
    send_templated_mail("emails/decision_reminder", context, recipients)


@task()
def notify_result(proposition_id: int) -> None:
    """Tell every member the outcome of a closed proposition."""
    proposition = _proposition(proposition_id)
    context = {"proposition": proposition, "link": _link(proposition)}
    send_templated_mail("emails/decision_result", context, _members_emails(proposition.territoire))


@task()
def remind_action(action_id: int) -> None:
    """Remind the owner of a follow-up action that is due (the agent, or the collectivité's voices)."""
    from decisions.models import Action

    action = Action.objects.select_related("proposition__territoire", "owner_agent", "owner_collectivite").get(
        pk=action_id
    )
    if not action.is_pending:
        return
    recipients = [action.owner_agent.email] if action.owner_agent else []
    if action.owner_collectivite:
        recipients += (
            Seat.objects.active()
            .filter(collectivite=action.owner_collectivite)
            .values_list("membership__agent__email", flat=True)
        )
    context = {"action": action, "proposition": action.proposition, "link": _link(action.proposition)}
    send_templated_mail("emails/action_reminder", context, recipients)
