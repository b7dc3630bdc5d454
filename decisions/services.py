"""The only writers of propositions, rounds, positions and follow-up actions.

Each function is one transaction, checks the invariants (with French messages) and writes the
journal. Mails leave through background tasks enqueued after commit.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from communes.journal import journal_record
from communes.models import Agent, Collectivite, Seat, Territoire
from communes.selectors import active_seat
from communes.text import clean_text, render_markdown
from decisions import tasks
from decisions.hooks import run_closing_handlers
from decisions.models import Action, Position, Proposition, Round
from decisions.outcome import Choice, Outcome, Result, Voter, compute_outcome
from decisions.rules import default_rule

REMINDER_BEFORE_CLOSING = timedelta(hours=24)
MINIMUM_DURATION = timedelta(hours=1)


def _check_closes_at(closes_at: datetime, now: datetime) -> None:
    if closes_at is None:
        raise ValidationError({"closes_at": _("Indiquez la date de clôture.")})
    if closes_at < now + MINIMUM_DURATION:
        raise ValidationError({"closes_at": _("La clôture doit laisser au moins une heure pour s'exprimer.")})


@transaction.atomic
def proposition_create(
    *,
    territoire: Territoire,
    author: Agent,
    title: str,
    body: str,
    kind: str = Proposition.Kind.LIBRE,
    mode: str | None = None,
    majority: str | None = None,
    quorum_percent: int | None = None,
    colleges: bool | None = None,
) -> Proposition:
    """Create a draft; the rule defaults to the territory's rules in force (the charter)."""
    rule = default_rule(territoire)
    body = clean_text(body)
    proposition = Proposition(
        territoire=territoire,
        author=author,
        title=title.strip(),
        body=body,
        body_html=render_markdown(body),
        kind=kind,
        mode=mode or rule.mode.value,
        majority=majority or rule.majority.value,
        quorum_percent=rule.quorum_percent if quorum_percent is None else quorum_percent,
        colleges=rule.colleges if colleges is None else colleges,
    )
    proposition.full_clean()
    proposition.save()
    # The author steers their proposition (amend, close early, withdraw): an object permission.
    assign_perm("decisions.change_proposition", author, proposition)
    journal_record(action="decisions.proposition.created", actor=author, territoire=territoire, target=proposition)
    return proposition


@transaction.atomic
def proposition_update(*, proposition: Proposition, by: Agent, **fields) -> Proposition:
    """Edit a draft (title, text, kind, rule); an open proposition changes only by amendment."""
    proposition = Proposition.objects.select_for_update().get(pk=proposition.pk)
    if proposition.status != Proposition.Status.BROUILLON:
        raise ValidationError(_("Seul un brouillon se modifie ; une proposition ouverte s'amende."))
    allowed = {"title", "body", "kind", "mode", "majority", "quorum_percent", "colleges"}
    for name, value in fields.items():
        if name not in allowed:
            raise ValueError(f"{name} cannot be updated")
        setattr(proposition, name, clean_text(value) if name == "body" else value)
    proposition.body_html = render_markdown(proposition.body)
    proposition.full_clean()
    proposition.save()
    journal_record(
        action="decisions.proposition.updated", actor=by, territoire=proposition.territoire, target=proposition
    )
    return proposition


@transaction.atomic
def proposition_open(*, proposition: Proposition, by: Agent, closes_at: datetime) -> Proposition:
    """Put a draft to the collective until `closes_at`: round 1 opens, members are told."""
    proposition = Proposition.objects.select_for_update().get(pk=proposition.pk)
    if proposition.status != Proposition.Status.BROUILLON:
        raise ValidationError(_("Cette proposition est déjà ouverte ou close."))
    now = timezone.now()
    _check_closes_at(closes_at, now)
    proposition.status = Proposition.Status.OUVERTE
    proposition.opens_at = now
    proposition.closes_at = closes_at
    proposition.save(update_fields=["status", "opens_at", "closes_at", "updated_at"])
    Round.objects.create(
        proposition=proposition, number=1, body=proposition.body, body_html=proposition.body_html, opened_at=now
    )
    journal_record(
        action="decisions.proposition.opened",
        actor=by,
        territoire=proposition.territoire,
        target=proposition,
        data={"closes_at": closes_at.isoformat(), "rule": proposition.rule.__dict__},
    )
    transaction.on_commit(lambda: tasks.notify_opened.enqueue(proposition.pk, 1))
    return proposition


def _open_round(proposition: Proposition) -> Round:
    round_ = Round.objects.select_for_update().filter(proposition=proposition, closed_at__isnull=True).first()
    if round_ is None or not proposition.is_open:
        raise ValidationError(_("Cette proposition n'est pas ouverte."))
    return round_


@transaction.atomic
def position_express(
    *,
    proposition: Proposition,
    agent: Agent,
    choice: str,
    motive: str = "",
    at: datetime | None = None,
) -> Position:
    """Record the position of the collectivité the agent speaks for, in the current round.

    Parity: one voice per collectivité (the database refuses a second current position).
    The titulaire speaks for it; the suppléant only while the titulaire has not expressed.
    A new position replaces the collectivité's previous one until closing; both are kept.
    """
    now = at or timezone.now()
    proposition = Proposition.objects.select_for_update().get(pk=proposition.pk)
    round_ = _open_round(proposition)
    if now >= proposition.closes_at:
        raise ValidationError(_("La proposition est close depuis le %(date)s.") % {"date": proposition.closes_at})
    if choice not in {c.value for c in Choice}:
        raise ValidationError({"choice": _("Position inconnue : pour, contre, abstention ou objection.")})
    motive = motive.strip()
    if choice == Choice.OBJECTION and not motive:
        raise ValidationError({"motive": _("Une objection doit être motivée : dites ce qui vous en empêche.")})
    seat = active_seat(agent, proposition.territoire)
    if seat is None:
        raise ValidationError(
            _("Seul·e le ou la titulaire d'une collectivité, ou son ou sa suppléant·e, peut s'exprimer pour elle.")
        )
    current = Position.objects.current().filter(round=round_, collectivite=seat.collectivite).first()
    if seat.kind == Seat.Kind.SUPPLEANT and current and current.seat_kind == Seat.Kind.TITULAIRE:
        raise ValidationError(
            _("Le ou la titulaire de %(collectivite)s s'est déjà exprimé·e ; le ou la suppléant·e ne le remplace pas.")
            % {"collectivite": seat.collectivite}
        )
    if current:
        current.replaced_at = now
        current.save(update_fields=["replaced_at"])
    position = Position.objects.create(
        round=round_,
        collectivite=seat.collectivite,
        choice=choice,
        motive=motive,
        spoken_by=agent,
        seat_kind=seat.kind,
        created_at=now,
    )
    journal_record(
        action="decisions.position.expressed",
        actor=agent,
        territoire=proposition.territoire,
        target=proposition,
        data={
            "round": round_.number,
            "collectivite": seat.collectivite.name,
            "choice": choice,
            "seat_kind": seat.kind,
            "replaces": current.choice if current else None,
        },
    )
    return position


def electorate(territoire: Territoire) -> list[Voter]:
    """The collectivités that have a voice: the EPCI and the communes still members."""
    return [
        Voter(key=pk, is_epci=kind == Collectivite.Kind.EPCI, population=population)
        for pk, kind, population in Collectivite.objects.for_territoire(territoire)
        .active()
        .values_list("pk", "kind", "population")
    ]


def round_outcome(round_: Round) -> Outcome:
    """The outcome of a round as it stands, from its current positions."""
    positions = dict(Position.objects.current().filter(round=round_).values_list("collectivite_id", "choice"))
    return compute_outcome(round_.proposition.rule, electorate(round_.proposition.territoire), positions)


def _close_round(round_: Round, closing: str, now: datetime) -> Outcome:
    outcome = round_outcome(round_)
    round_.closed_at = now
    round_.closing = closing
    round_.result = outcome.result.value
    round_.tally = {
        "pour": outcome.tally.pour,
        "contre": outcome.tally.contre,
        "abstention": outcome.tally.abstention,
        "objection": outcome.tally.objection,
        "electorate": outcome.electorate,
        "quorum_reached": outcome.quorum_reached,
        "reasons": list(outcome.reasons),
    }
    round_.save(update_fields=["closed_at", "closing", "result", "tally"])
    return outcome


@transaction.atomic
def proposition_amend(
    *,
    proposition: Proposition,
    by: Agent,
    body: str,
    responses: dict[int, str],
    closes_at: datetime,
) -> Round:
    """Answer the objections with a new text: the round closes, a new one opens on the new text.

    Every standing objection needs the author's response, so the record shows how each one
    was handled. Positions start afresh on the new text.
    """
    proposition = Proposition.objects.select_for_update().get(pk=proposition.pk)
    if proposition.kind == Proposition.Kind.CHARTE:
        # The text decided is the charter's amendment or draft, not this proposition's body.
        raise ValidationError(
            _(
                "Une objection à un changement de la charte se traite en reprenant l'amendement ou le brouillon : retirez cette proposition et soumettez le texte revu."
            )
        )
    round_ = _open_round(proposition)
    objections = list(Position.objects.current().filter(round=round_, choice=Choice.OBJECTION))
    if not objections:
        raise ValidationError(
            _("Aucune objection n'est à traiter : le texte ne s'amende qu'en réponse à une objection.")
        )
    missing = [p for p in objections if not responses.get(p.pk, "").strip()]
    if missing:
        raise ValidationError(
            {
                "responses": _("Répondez à chaque objection (manque : %(noms)s).")
                % {"noms": ", ".join(str(p.collectivite) for p in missing)}
            }
        )
    body = clean_text(body)
    if not body.strip():
        raise ValidationError({"body": _("Le texte amendé ne peut pas être vide.")})
    now = timezone.now()
    _check_closes_at(closes_at, now)
    for objection in objections:
        objection.response = responses[objection.pk].strip()
        objection.save(update_fields=["response"])
    _close_round(round_, Round.Closing.AMENDEMENT, now)
    proposition.body = body
    proposition.body_html = render_markdown(body)
    proposition.closes_at = closes_at
    proposition.reminder_sent_at = None
    proposition.save(update_fields=["body", "body_html", "closes_at", "reminder_sent_at", "updated_at"])
    new_round = Round.objects.create(
        proposition=proposition,
        number=round_.number + 1,
        body=body,
        body_html=proposition.body_html,
        opened_at=now,
    )
    journal_record(
        action="decisions.proposition.amended",
        actor=by,
        territoire=proposition.territoire,
        target=proposition,
        data={"round": new_round.number, "objections": len(objections), "closes_at": closes_at.isoformat()},
    )
    transaction.on_commit(lambda: tasks.notify_opened.enqueue(proposition.pk, new_round.number))
    return new_round


@transaction.atomic
def proposition_close(*, proposition: Proposition, by: Agent | None, at: datetime | None = None) -> Proposition:
    """Close the proposition now (early, or at its deadline when `by` is None) and record the outcome."""
    proposition = Proposition.objects.select_for_update().get(pk=proposition.pk)
    round_ = _open_round(proposition)
    now = at or timezone.now()
    outcome = _close_round(round_, Round.Closing.CLOTURE, now)
    proposition.status = Proposition.Status.CLOSE
    proposition.closed_at = now
    proposition.result = outcome.result.value
    avis = outcome.avis() if proposition.kind == Proposition.Kind.AVIS_TECHNIQUE else None
    proposition.avis = avis.value if avis else ""
    proposition.save(update_fields=["status", "closed_at", "result", "avis", "updated_at"])
    run_closing_handlers(proposition, by)
    journal_record(
        action="decisions.proposition.closed",
        actor=by,
        territoire=proposition.territoire,
        target=proposition,
        data={"result": outcome.result.value, "avis": proposition.avis, "early": by is not None, **round_.tally},
    )
    transaction.on_commit(lambda: tasks.notify_result.enqueue(proposition.pk))
    return proposition


@transaction.atomic
def proposition_withdraw(*, proposition: Proposition, by: Agent, reason: str) -> Proposition:
    """Withdraw a draft or an open proposition; its rounds and positions stay on record."""
    proposition = Proposition.objects.select_for_update().get(pk=proposition.pk)
    if proposition.status not in (Proposition.Status.BROUILLON, Proposition.Status.OUVERTE):
        raise ValidationError(_("Une proposition close ou retirée ne peut plus être retirée."))
    if not reason.strip():
        raise ValidationError({"reason": _("Dites pourquoi la proposition est retirée.")})
    now = timezone.now()
    round_ = Round.objects.select_for_update().filter(proposition=proposition, closed_at__isnull=True).first()
    if round_:
        _close_round(round_, Round.Closing.RETRAIT, now)
    proposition.status = Proposition.Status.RETIREE
    proposition.closed_at = now
    proposition.withdrawal_reason = reason.strip()
    proposition.save(update_fields=["status", "closed_at", "withdrawal_reason", "updated_at"])
    run_closing_handlers(proposition, by)
    journal_record(
        action="decisions.proposition.withdrawn",
        actor=by,
        territoire=proposition.territoire,
        target=proposition,
        data={"reason": proposition.withdrawal_reason},
    )
    return proposition


@transaction.atomic
def decision_record_in_session(
    *, territoire: Territoire, by: Agent, title: str, body: str, kind: str, taken_at: datetime
) -> Proposition:
    """Enter in the register a decision the collective took together in session, e.g. the commitments
    agreed at the annual séminaire: closed and adopted at `taken_at`, by the charter's mode, with no
    round of positions in the application (nobody voted here). Its follow-up actions come next, through
    `action_create`. The journal says who recorded it."""
    rule = default_rule(territoire)
    body = clean_text(body)
    proposition = Proposition(
        territoire=territoire,
        author=by,
        title=title.strip(),
        body=body,
        body_html=render_markdown(body),
        kind=kind,
        status=Proposition.Status.CLOSE,
        mode=rule.mode.value,
        majority=rule.majority.value,
        quorum_percent=rule.quorum_percent,
        colleges=rule.colleges,
        opens_at=taken_at,
        closes_at=taken_at,
        closed_at=taken_at,
        result=Result.ADOPTEE.value,
    )
    proposition.full_clean()
    proposition.save()
    journal_record(
        action="decisions.proposition.recorded_in_session", actor=by, territoire=territoire, target=proposition
    )
    return proposition


@transaction.atomic
def action_create(
    *,
    proposition: Proposition,
    by: Agent,
    title: str,
    description: str = "",
    owner_collectivite: Collectivite | None = None,
    owner_agent: Agent | None = None,
    due_date: date | None = None,
) -> Action:
    """Add a follow-up action to a closed decision, owned by a collectivité and/or an agent."""
    proposition = Proposition.objects.get(pk=proposition.pk)
    if proposition.status != Proposition.Status.CLOSE:
        raise ValidationError(_("Les actions de suivi accompagnent une décision close."))
    if owner_collectivite is None and owner_agent is None:
        raise ValidationError(
            {"owner_collectivite": _("Indiquez qui porte l'action : une collectivité ou une personne.")}
        )
    if owner_collectivite is not None and owner_collectivite.territoire_id != proposition.territoire_id:
        raise ValidationError({"owner_collectivite": _("Cette collectivité n'appartient pas au territoire.")})
    if (
        owner_agent is not None
        and not owner_agent.memberships.active().filter(territoire=proposition.territoire).exists()
    ):
        raise ValidationError({"owner_agent": _("Cette personne n'est pas membre du territoire.")})
    action = Action(
        territoire=proposition.territoire,
        proposition=proposition,
        title=title.strip(),
        description=description,
        owner_collectivite=owner_collectivite,
        owner_agent=owner_agent,
        due_date=due_date,
        created_by=by,
    )
    action.full_clean()
    action.save()
    journal_record(
        action="decisions.action.created",
        actor=by,
        territoire=proposition.territoire,
        target=action,
        data={"proposition": proposition.pk, "due_date": due_date.isoformat() if due_date else None},
    )
    return action


@transaction.atomic
def action_set_status(*, action: Action, by: Agent, status: str) -> Action:
    """Move a follow-up action along (à faire, en cours, faite, abandonnée)."""
    if status not in Action.Status.values:
        raise ValidationError({"status": _("État inconnu.")})
    action = Action.objects.select_for_update().get(pk=action.pk)
    previous = action.status
    action.status = status
    action.save(update_fields=["status", "updated_at"])
    journal_record(
        action="decisions.action.status_changed",
        actor=by,
        territoire=action.territoire,
        target=action,
        data={"from": previous, "to": status},
    )
    return action


@dataclass
class SweepReport:
    closed: int = 0
    reminders: int = 0
    action_reminders: int = 0


def decisions_sweep(*, now: datetime | None = None) -> SweepReport:
    """Do what deadlines call for: close what is due, remind who has not expressed, chase actions.

    Run every minute (`manage.py tick`); after downtime it catches up, so a deadline is never
    silently missed. Each step marks its rows in the same transaction that enqueues the mail,
    so two sweeps running at once do not remind twice.
    """
    now = now or timezone.now()
    report = SweepReport()
    for proposition in Proposition.objects.filter(status=Proposition.Status.OUVERTE, closes_at__lte=now).order_by(
        "closes_at", "pk"
    ):
        try:
            proposition_close(proposition=proposition, by=None, at=proposition.closes_at)
        except ValidationError:
            continue  # closed meanwhile by its author or by another sweep
        report.closed += 1
    due_reminders = Proposition.objects.filter(
        status=Proposition.Status.OUVERTE,
        reminder_sent_at__isnull=True,
        closes_at__gt=now,
        closes_at__lte=now + REMINDER_BEFORE_CLOSING,
    ).values_list("pk", flat=True)
    for pk in due_reminders:
        with transaction.atomic():
            marked = Proposition.objects.filter(pk=pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
            if marked:
                transaction.on_commit(lambda pk=pk: tasks.remind_silent_collectivites.enqueue(pk))
                report.reminders += 1
    today = timezone.localdate(now)
    week_ago = today - timedelta(days=7)
    due_actions = Action.objects.filter(
        status__in=[Action.Status.A_FAIRE, Action.Status.EN_COURS], due_date__lte=today
    ).exclude(reminded_on__gt=week_ago)
    for pk in due_actions.values_list("pk", flat=True):
        with transaction.atomic():
            marked = Action.objects.filter(pk=pk).exclude(reminded_on__gt=week_ago).update(reminded_on=today)
            if marked:
                transaction.on_commit(lambda pk=pk: tasks.remind_action.enqueue(pk))
                report.action_reminders += 1
    return report
