"""The portfolio review of a CoDir meeting: which projects the collective should look at, and their
agenda items added in one action. `codir` (a higher room) reads the portfolio through reseaux's
selectors and writes the agenda through its own `point_add`."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from codir import dispatch
from codir.models import AgendaVersion, PointOdj, Reunion
from codir.services import point_add
from communes.journal import journal_record
from communes.mail import absolute_url
from communes.models import Agent
from reseaux import selectors as portfolio
from reseaux.models import Projet

# Without an earlier meeting, health changes of the last quarter are worth a look.
DEFAULT_LOOKBACK = timedelta(days=92)


def review_since(reunion: Reunion) -> datetime:
    """Health changes count from the previous meeting of the territory (not cancelled)."""
    previous = (
        Reunion.objects.for_territoire(reunion.territoire)
        .filter(starts_at__lt=reunion.starts_at, cancelled_at__isnull=True)
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return previous or reunion.starts_at - DEFAULT_LOOKBACK


def portfolio_review_of(reunion: Reunion) -> list[portfolio.ReviewCandidate]:
    """The projects due for review by the meeting, with late milestones or changed health; each says
    whether the meeting's agenda already has it."""
    candidates = portfolio.portfolio_review(
        reunion.territoire, meeting_day=timezone.localtime(reunion.starts_at).date(), since=review_since(reunion)
    )
    on_agenda = set(
        reunion.points.filter(projet__isnull=False, withdrawn_at__isnull=True).values_list("projet_id", flat=True)
    )
    for candidate in candidates:
        candidate.on_agenda = candidate.projet.pk in on_agenda
    return candidates


def _describe(candidate: portfolio.ReviewCandidate) -> str:
    lines = []
    if candidate.pending_handover:
        lines.append(_("- Revue de passation du pilotage à tenir."))
    if candidate.due_on:
        lines.append(_("- Revue périodique attendue le %(date)s.") % {"date": candidate.due_on.strftime("%d/%m/%Y")})
    for jalon in candidate.late_jalons:
        lines.append(
            _("- Jalon en retard : %(jalon)s (échéance %(date)s).")
            % {"jalon": jalon.title, "date": jalon.due_on.strftime("%d/%m/%Y")}
        )
    for change in candidate.health_changes:
        lines.append(
            _("- Santé passée de %(avant)s à %(apres)s : %(raison)s")
            % {"avant": change.get_previous_display(), "apres": change.get_health_display(), "raison": change.reason}
        )
    return "\n".join(lines)


@transaction.atomic
def portfolio_review_add(*, reunion: Reunion, by: Agent, projets: list[Projet]) -> list[PointOdj]:
    """Put a review of each chosen project on the meeting's agenda (once per project), presented by its
    pilot of the meeting day, described by why it is due, with a link to its fiche action. After the agenda
    has gone out, the members receive one update for all the items added."""
    if not projets:
        raise ValidationError({"projets": _("Choisissez au moins un projet à passer en revue.")})
    if any(projet.territoire_id != reunion.territoire_id for projet in projets):
        raise ValidationError({"projets": _("Ce projet n'appartient pas au territoire.")})
    # Lock the meeting first: two people adding the same projects at once add them once.
    reunion = Reunion.objects.select_for_update(of=("self",)).select_related("territoire").get(pk=reunion.pk)
    already = set(
        reunion.points.filter(projet__in=projets, withdrawn_at__isnull=True).values_list("projet_id", flat=True)
    )
    candidates = {c.projet.pk: c for c in portfolio_review_of(reunion)}
    day = timezone.localtime(reunion.starts_at).date()
    now = timezone.now()
    points = []
    for projet in sorted({p.pk: p for p in projets if p.pk not in already}.values(), key=lambda p: p.title):
        candidate = candidates.get(projet.pk)
        pilots = portfolio.current_pilots(candidate.projet if candidate else projet, day)
        fiche = absolute_url(reverse("reseaux:fiche", args=[reunion.territoire.slug, projet.pk]))
        description = _describe(candidate) if candidate else ""
        points.append(
            point_add(
                reunion=reunion,
                by=by,
                title=_("Revue de projet : %(titre)s") % {"titre": projet.title},
                description=f"{description}\n\n" + _("[Fiche action du projet](%(url)s)") % {"url": fiche},
                presenter=pilots[0].collectivite if len(pilots) == 1 else None,
                duration_minutes=15,
                projet=projet,
                notify=False,
                now=now,
            )
        )
    if points and reunion.dispatched_at is not None:
        dispatch.new_version(
            reunion,
            AgendaVersion.Kind.MISE_A_JOUR,
            now,
            _("Revues de projet ajoutées hors délai : %(titres)s") % {"titres": ", ".join(p.title for p in points)},
        )
    journal_record(
        action="codir.revue_portefeuille.added",
        actor=by,
        territoire=reunion.territoire,
        target=reunion,
        data={"projets": [p.title for p in projets], "points": len(points)},
    )
    return points
