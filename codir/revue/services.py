"""The only writers of annual reviews, campaigns, anonymous answers, commitments and sharing settings.

A facilitator runs the reviews of the territories they accompany (the object permission
`communes.facilitate_territoire`, checked again here at every step, so a revoked facilitator can do
nothing more) and changes nothing else in them. Members answer once, anonymously.
"""

import re
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from codir.models import Campagne, Engagement, Partage, Participation, Reponse, RevueAnnuelle
from codir.revue import indicators, questionnaire
from codir.revue.questionnaire import LIKERT, MAX_TEXT_ANSWER, TEXTE
from communes.access import facilitates
from communes.journal import journal_record
from communes.models import Agent, Collectivite, Membership, Territoire
from communes.population import population_class
from communes.text import clean_text, render_markdown
from decisions.models import Proposition
from decisions.services import action_create, decision_record_in_session

FAMILIES = tuple(indicators.FAMILIES)


def _require_facilitator(agent: Agent, territoire: Territoire) -> None:
    """A facilitator still accompanying the territory, with an active account, runs its review."""
    if not (agent.is_active and facilitates(agent, territoire)):
        raise PermissionDenied(_("Seul·e un·e facilitateur·rice du territoire conduit sa revue annuelle."))


def _locked(revue: RevueAnnuelle) -> RevueAnnuelle:
    return RevueAnnuelle.objects.select_for_update(of=("self",)).select_related("territoire").get(pk=revue.pk)


def _require_stage(revue: RevueAnnuelle, *stages: str) -> None:
    if revue.stage not in stages:
        labels = ", ".join(str(RevueAnnuelle.Stage(stage).label) for stage in stages)
        raise ValidationError(
            _("La revue est à l'étape « %(current)s » : cette action est possible à l'étape %(expected)s.")
            % {"current": revue.get_stage_display(), "expected": labels}
        )


def _check_year(year: int) -> None:
    current = timezone.localdate().year
    if not current - 5 <= year <= current + 1:
        raise ValidationError(
            {"year": _("Choisissez une année entre %(a)s et %(b)s.") % {"a": current - 5, "b": current + 1}}
        )


@transaction.atomic
def revue_create(
    *,
    territoire: Territoire,
    year: int,
    by: Agent,
    campagne: Campagne | None = None,
    questionnaire_data: dict | None = None,
) -> RevueAnnuelle:
    """Open the review of a territory for a year, in préparation, with our questionnaire or the campaign's."""
    _require_facilitator(by, territoire)
    _check_year(year)
    # Two facilitators opening the same year at once: the second waits, then finds the first one's review.
    Territoire.objects.select_for_update().filter(pk=territoire.pk).first()
    already = _("La revue %(year)s de %(territoire)s existe déjà.") % {"year": year, "territoire": territoire.name}
    if RevueAnnuelle.objects.filter(territoire=territoire, year=year).exists():
        raise ValidationError(already)
    data = questionnaire_data or (campagne.questionnaire if campagne else questionnaire.default_questionnaire())
    revue = RevueAnnuelle(
        territoire=territoire,
        year=year,
        campagne=campagne,
        facilitator=by,
        questionnaire=questionnaire.validate_questionnaire(data),
        created_by=by,
    )
    revue.full_clean()
    try:
        with transaction.atomic():
            revue.save()
    except IntegrityError:  # SQLite does not lock rows: the unique constraint has the last word
        raise ValidationError(already) from None
    journal_record(action="codir.revue.created", actor=by, territoire=territoire, target=revue, data={"year": year})
    return revue


@transaction.atomic
def campagne_create(*, facilitator: Agent, year: int, title: str, territoires: list[Territoire]) -> Campagne:
    """Open the reviews of several territories at once, sharing one questionnaire that the facilitator may
    adapt until each review's questionnaire opens. All or nothing: one refusal creates no review."""
    if not territoires:
        raise ValidationError({"territoires": _("Choisissez au moins un territoire.")})
    _check_year(year)
    title = title.strip() or _("Revues annuelles %(year)s") % {"year": year}
    for territoire in territoires:
        _require_facilitator(facilitator, territoire)
    existing = sorted(
        RevueAnnuelle.objects.filter(territoire__in=territoires, year=year).values_list("territoire__name", flat=True)
    )
    if existing:
        raise ValidationError(
            {"territoires": _("Ces territoires ont déjà leur revue %(year)s : %(names)s.") % {"year": year, "names": ", ".join(existing)}}
        )  # fmt: skip
    campagne = Campagne(
        facilitator=facilitator, year=year, title=title[:200], questionnaire=questionnaire.default_questionnaire()
    )
    campagne.full_clean()
    campagne.save()
    for territoire in territoires:
        revue_create(territoire=territoire, year=year, by=facilitator, campagne=campagne)
    return campagne


@transaction.atomic
def campagne_questionnaire_set(*, campagne: Campagne, by: Agent, questionnaire_data: dict) -> Campagne:
    """Adapt a campaign's questionnaire; its reviews still in préparation take it, the others keep theirs."""
    campagne = Campagne.objects.select_for_update().get(pk=campagne.pk)
    if campagne.facilitator_id != by.pk:
        raise PermissionDenied(_("Seul·e la personne qui a ouvert la campagne l'adapte."))
    campagne.questionnaire = questionnaire.validate_questionnaire(questionnaire_data)
    campagne.save(update_fields=["questionnaire"])
    # Locked: a review whose questionnaire opens meanwhile must keep the questions its members answer.
    preparing = campagne.revues.select_for_update(of=("self",)).filter(stage=RevueAnnuelle.Stage.PREPARATION)
    for revue in preparing.select_related("territoire"):
        if facilitates(by, revue.territoire):
            revue.questionnaire = campagne.questionnaire
            revue.save(update_fields=["questionnaire"])
            journal_record(
                action="codir.revue.questionnaire_adapted", actor=by, territoire=revue.territoire, target=revue
            )
    return campagne


@transaction.atomic
def revue_questionnaire_set(*, revue: RevueAnnuelle, by: Agent, questionnaire_data: dict) -> RevueAnnuelle:
    """Adapt one review's questionnaire while it is in préparation."""
    revue = _locked(revue)
    _require_facilitator(by, revue.territoire)
    _require_stage(revue, RevueAnnuelle.Stage.PREPARATION)
    revue.questionnaire = questionnaire.validate_questionnaire(questionnaire_data)
    revue.save(update_fields=["questionnaire"])
    journal_record(action="codir.revue.questionnaire_adapted", actor=by, territoire=revue.territoire, target=revue)
    return revue


@transaction.atomic
def revue_open_questionnaire(*, revue: RevueAnnuelle, by: Agent) -> RevueAnnuelle:
    """Open the questionnaire to the territory's members; they are told by mail after commit."""
    from codir.revue.tasks import notify_questionnaire_open

    revue = _locked(revue)
    _require_facilitator(by, revue.territoire)
    _require_stage(revue, RevueAnnuelle.Stage.PREPARATION)
    revue.stage = RevueAnnuelle.Stage.QUESTIONNAIRE
    revue.questionnaire_opened_at = timezone.now()
    revue.save(update_fields=["stage", "questionnaire_opened_at"])
    journal_record(action="codir.revue.questionnaire_opened", actor=by, territoire=revue.territoire, target=revue)
    transaction.on_commit(lambda: notify_questionnaire_open.enqueue(revue.pk))
    return revue


@transaction.atomic
def revue_start_seminar(
    *, revue: RevueAnnuelle, by: Agent, seminar_on: date | None = None, place: str = ""
) -> RevueAnnuelle:
    """Close the questionnaire and move to the séminaire, where the bilan and the commitments are written."""
    revue = _locked(revue)
    _require_facilitator(by, revue.territoire)
    _require_stage(revue, RevueAnnuelle.Stage.QUESTIONNAIRE)
    revue.stage = RevueAnnuelle.Stage.SEMINAIRE
    revue.questionnaire_closed_at = timezone.now()
    revue.seminar_on = seminar_on or revue.seminar_on
    revue.seminar_place = place.strip()[:200] or revue.seminar_place
    revue.save(update_fields=["stage", "questionnaire_closed_at", "seminar_on", "seminar_place"])
    journal_record(
        action="codir.revue.seminar_started",
        actor=by,
        territoire=revue.territoire,
        target=revue,
        data={"answers": revue.reponses.count()},
    )
    return revue


def _likert_level(value: object) -> int | None:
    """A level of the scale given as a whole number (4, 4.0 or "4"); anything else (True, 3.5, "beaucoup")
    is not an answer, rather than something silently rounded into one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[0-9]", value.strip()):
        return int(value.strip())
    return None


def eligible(membership: Membership | None) -> bool:
    """Members answer; observers (élus) and facilitators do not."""
    return membership is not None and membership.role != Membership.Role.OBSERVATEUR


@transaction.atomic
def reponse_submit(*, revue: RevueAnnuelle, agent: Agent, answers: dict[str, object]) -> None:
    """Record one member's answers, anonymously and once: the answers are stored apart from the fact that
    this member answered, with no date and a random key. Unknown questions, out-of-scale values and
    empty submissions are refused; a Likert question left blank means "je ne sais pas"."""
    revue = _locked(revue)
    membership = (
        Membership.objects.active()
        .select_related("collectivite")
        .filter(territoire=revue.territoire, agent=agent)
        .first()
    )
    if not eligible(membership) or facilitates(agent, revue.territoire):
        raise PermissionDenied(_("Seuls les membres du CoDir de territoire répondent au questionnaire."))
    if not revue.accepts_answers:
        raise ValidationError(_("Le questionnaire n'est pas ouvert."))
    items = {item["key"]: item for _dimension, item in questionnaire.items_of(revue.questionnaire)}
    clean: dict[str, int | str] = {}
    errors = {}
    for key, value in answers.items():
        item = items.get(key)
        if item is None:
            errors[key] = _("Cette question ne fait pas partie du questionnaire.")
            continue
        if value in (None, ""):
            continue
        if item["type"] == LIKERT:
            level = _likert_level(value)
            if level is None or not 1 <= level <= 5:
                errors[key] = _("Choisissez une réponse entre 1 et 5.")
                continue
            clean[key] = level
        elif item["type"] == TEXTE:
            text = clean_text(str(value)).replace("\x00", "").strip()  # PostgreSQL refuses NUL in jsonb
            if len(text) > MAX_TEXT_ANSWER:
                errors[key] = _("%(max)s caractères au plus.") % {"max": MAX_TEXT_ANSWER}
                continue
            if text:
                clean[key] = text
    if errors:
        raise ValidationError(errors)
    if not clean:
        raise ValidationError(_("Répondez à au moins une question avant d'envoyer."))
    try:
        with transaction.atomic():
            Participation.objects.create(revue=revue, agent=agent)
    except IntegrityError:
        raise ValidationError(
            _("Vous avez déjà répondu à ce questionnaire : une réponse anonyme ne se modifie pas.")
        ) from None
    Reponse.objects.create(revue=revue, profile=population_class(membership.collectivite), answers=clean)
    # No journal line per answer: even without a name, its exact time beside the participations (who
    # answered, in order) would tie answers to people. The journal counts them when the answers close.


@transaction.atomic
def seminaire_save(
    *,
    revue: RevueAnnuelle,
    by: Agent,
    bilan: str,
    perspectives: str,
    seminar_on: date | None = None,
    place: str | None = None,
) -> RevueAnnuelle:
    """Write the séminaire's bilan and perspectives (Markdown, rendered once)."""
    revue = _locked(revue)
    _require_facilitator(by, revue.territoire)
    _require_stage(revue, RevueAnnuelle.Stage.SEMINAIRE)
    revue.bilan = clean_text(bilan)
    revue.bilan_html = render_markdown(revue.bilan)
    revue.perspectives = clean_text(perspectives)
    revue.perspectives_html = render_markdown(revue.perspectives)
    if seminar_on is not None:
        revue.seminar_on = seminar_on
    if place is not None:  # None keeps the place given when the séminaire started
        revue.seminar_place = place.strip()[:200]
    revue.full_clean()
    revue.save(
        update_fields=["bilan", "bilan_html", "perspectives", "perspectives_html", "seminar_on", "seminar_place"]
    )
    journal_record(action="codir.revue.seminar_written", actor=by, territoire=revue.territoire, target=revue)
    return revue


@transaction.atomic
def engagement_add(
    *,
    revue: RevueAnnuelle,
    by: Agent,
    title: str,
    owner_collectivite: Collectivite,
    description: str = "",
    due_date: date | None = None,
) -> Engagement:
    """Note a commitment for next year, carried by a collectivité of the territory."""
    revue = _locked(revue)
    _require_facilitator(by, revue.territoire)
    _require_stage(revue, RevueAnnuelle.Stage.SEMINAIRE)
    if owner_collectivite.territoire_id != revue.territoire_id or owner_collectivite.left_at is not None:
        raise ValidationError({"owner_collectivite": _("Cette collectivité n'appartient pas au territoire.")})
    if not title.strip():
        raise ValidationError({"title": _("Dites en une phrase à quoi le collectif s'engage.")})
    if due_date is not None and due_date <= timezone.localdate():
        raise ValidationError({"due_date": _("L'échéance d'un engagement est dans le futur.")})
    engagement = Engagement(
        revue=revue,
        position=revue.engagements.count() + 1,
        title=title.strip(),
        description=clean_text(description),
        owner_collectivite=owner_collectivite,
        due_date=due_date,
    )
    engagement.full_clean()
    engagement.save()
    journal_record(action="codir.revue.engagement_added", actor=by, territoire=revue.territoire, target=engagement)
    return engagement


@transaction.atomic
def engagement_withdraw(*, engagement: Engagement, by: Agent) -> Engagement:
    """Take a commitment back before closure (kept, marked withdrawn)."""
    revue = _locked(engagement.revue)
    _require_facilitator(by, revue.territoire)
    _require_stage(revue, RevueAnnuelle.Stage.SEMINAIRE)
    engagement = Engagement.objects.select_for_update().get(pk=engagement.pk)
    if engagement.withdrawn_at is None:
        engagement.withdrawn_at = timezone.now()
        engagement.save(update_fields=["withdrawn_at"])
        journal_record(
            action="codir.revue.engagement_withdrawn", actor=by, territoire=revue.territoire, target=engagement
        )
    return engagement


@transaction.atomic
def revue_close(*, revue: RevueAnnuelle, by: Agent, now: datetime | None = None) -> RevueAnnuelle:
    """Close the review: freeze its indicators, questionnaire results and network map, and enter the
    séminaire's commitments in the decision register as one decision with a follow-up action each."""
    from codir.revue.report import network_snapshot
    from codir.revue.selectors import figures_of, results_of

    revue = _locked(revue)
    _require_facilitator(by, revue.territoire)
    _require_stage(revue, RevueAnnuelle.Stage.SEMINAIRE)
    if not revue.bilan.strip():
        raise ValidationError({"bilan": _("Écrivez le bilan du séminaire avant de clôturer la revue.")})
    now = now or timezone.now()
    engagements = list(revue.engagements.filter(withdrawn_at__isnull=True).select_related("owner_collectivite"))
    if engagements:
        lines = "\n".join(
            f"- {e.title} — {e.owner_collectivite.name}" + (f" (échéance {e.due_date:%d/%m/%Y})" if e.due_date else "")
            for e in engagements
        )
        body = _("Engagements pris au séminaire annuel %(year)s, animé par un tiers facilitateur.") % {
            "year": revue.year
        }
        body += "\n\n" + lines + ("\n\n" + revue.perspectives if revue.perspectives else "")
        proposition = decision_record_in_session(
            territoire=revue.territoire,
            by=by,
            title=_("Engagements du séminaire annuel %(year)s") % {"year": revue.year},
            body=body,
            kind=Proposition.Kind.SEMINAIRE,
            taken_at=now,
        )
        for engagement in engagements:
            engagement.action = action_create(
                proposition=proposition,
                by=by,
                title=engagement.title,
                description=engagement.description,
                owner_collectivite=engagement.owner_collectivite,
                due_date=engagement.due_date,
            )
            engagement.save(update_fields=["action"])
        revue.proposition = proposition
    end = min(indicators.year_bounds(revue.year)[1], now)
    figures = indicators.indicators_for(revue.territoire, revue.year, now=end)
    # Last year's values are frozen with this year's, so the report never moves once closed.
    last_year = {
        (f["key"], f["detail"]): f["value"] for f in figures_of(revue.territoire, revue.year - 1) if not f["detail"]
    }
    for figure in figures:
        if figure.previous is None and not figure.detail:
            figure.previous = last_year.get((figure.key, ""))
    revue.indicators = [figure.as_dict() for figure in figures]
    revue.results = results_of(revue).as_dict()
    revue.network_svg = network_snapshot(revue.territoire, timezone.localdate(end - timedelta(microseconds=1)))
    revue.stage = RevueAnnuelle.Stage.CLOTUREE
    revue.closed_at = now
    revue.save(update_fields=["indicators", "results", "network_svg", "stage", "closed_at", "proposition"])
    journal_record(
        action="codir.revue.closed",
        actor=by,
        territoire=revue.territoire,
        target=revue,
        data={"engagements": len(engagements)},
    )
    return revue


@transaction.atomic
def partage_set(*, territoire: Territoire, by: Agent, families: list[str]) -> Partage:
    """Choose which families of indicators the territory shows beside other territories. The territory's
    members choose (not observers, not its facilitators: the comparison is theirs)."""
    membership = Membership.objects.active().filter(territoire=territoire, agent=by, agent__is_active=True).first()
    if not eligible(membership) or facilitates(by, territoire):
        raise PermissionDenied(_("Seuls les membres du CoDir de territoire choisissent ce qu'il partage."))
    unknown = [family for family in families if family not in FAMILIES and family != "questionnaire"]
    if unknown:
        raise ValidationError(
            {"families": _("Famille d'indicateurs inconnue : %(names)s.") % {"names": ", ".join(unknown)}}
        )
    chosen = [family for family in (*FAMILIES, "questionnaire") if family in families]
    partage, _created = Partage.objects.select_for_update().get_or_create(
        territoire=territoire, defaults={"families": chosen, "updated_by": by}
    )
    previous = list(partage.families) if not _created else []
    partage.families = chosen
    partage.updated_by = by
    partage.updated_at = timezone.now()
    partage.save()
    journal_record(
        action="codir.revue.sharing_changed",
        actor=by,
        territoire=territoire,
        target=partage,
        data={"before": previous, "after": chosen},
    )
    return partage
