"""Systemic links between projects, and the priorisation of projects to launch (a decision)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.journal import journal_record
from communes.models import Agent, Territoire
from decisions import services as decisions
from decisions.models import Proposition
from reseaux import systemic
from reseaux.models import Lien, Priorisation, Projet

# Projects that can still be launched by a priorisation.
LAUNCHABLE = (Projet.Status.IDEE, Projet.Status.EN_PREPARATION)


@transaction.atomic
def lien_create(*, source: Projet, target: Projet, kind: str, justification: str, by: Agent) -> Lien:
    """Link two projects of the same territory, saying why."""
    if source.territoire_id != target.territoire_id:
        raise ValidationError(_("Les deux projets doivent appartenir au même territoire."))
    if source.pk == target.pk:
        raise ValidationError(_("Un projet ne se lie pas à lui-même."))
    if kind not in Lien.Kind.values:
        raise ValidationError({"kind": _("Nature de lien inconnue.")})
    if not justification.strip():
        raise ValidationError({"justification": _("Justifiez le lien en une phrase.")})
    try:
        with transaction.atomic():
            lien = Lien.objects.create(
                source=source, target=target, kind=kind, justification=justification.strip(), created_by=by
            )
    except IntegrityError:
        raise ValidationError(_("Ce lien existe déjà.")) from None
    journal_record(
        action="reseaux.lien.created", actor=by, territoire=source.territoire, target=lien, data={"kind": kind}
    )
    return lien


@transaction.atomic
def lien_delete(*, lien: Lien, by: Agent) -> None:
    """Remove a link; the journal keeps both ends, its nature and its justification."""
    journal_record(
        action="reseaux.lien.deleted",
        actor=by,
        territoire=lien.source.territoire,
        target=lien.source,
        data={
            "source": lien.source.title,
            "target": lien.target.title,
            "kind": lien.kind,
            "justification": lien.justification,
        },
    )
    lien.delete()


@transaction.atomic
def priorisation_create(
    *, territoire: Territoire, by: Agent, title: str, intro: str, projets: list[Projet]
) -> Proposition:
    """Put to the collective a choice of projects to launch, each with its systemic score of today.

    The proposition is a draft of kind `priorisation`, decided like any other by the charter's rule;
    once adopted, the chosen projects start (`on_priorisation_closed`).
    """
    if not projets:
        raise ValidationError({"projets": _("Choisissez au moins un projet à lancer.")})
    if len({p.pk for p in projets}) != len(projets):
        raise ValidationError({"projets": _("Un projet n'est proposé qu'une fois.")})
    if any(p.territoire_id != territoire.pk for p in projets):
        raise ValidationError({"projets": _("Un projet n'appartient pas au territoire.")})
    if any(p.status not in LAUNCHABLE for p in projets):
        raise ValidationError({"projets": _("Seuls les projets à l'état d'idée ou en préparation se lancent.")})
    scores = dict(systemic.systemic_ranking(systemic.link_graph(territoire)))
    chosen = sorted(projets, key=lambda p: (-scores.get(p.pk, 0), p.title))
    lines = [
        _("%(rang)s. **%(titre)s** — score systémique %(score)s")
        % {"rang": rank, "titre": p.title, "score": f"{scores.get(p.pk, 0):g}"}
        for rank, p in enumerate(chosen, start=1)
    ]
    body = "\n\n".join(part for part in (intro.strip(), _("Projets proposés au lancement :"), "\n".join(lines)) if part)
    proposition = decisions.proposition_create(
        territoire=territoire, author=by, title=title, body=body, kind=Proposition.Kind.PRIORISATION
    )
    Priorisation.objects.bulk_create(
        Priorisation(proposition=proposition, projet=p, rank=rank, systemic_score=Decimal(str(scores.get(p.pk, 0))))
        for rank, p in enumerate(chosen, start=1)
    )
    journal_record(
        action="reseaux.priorisation.created",
        actor=by,
        territoire=territoire,
        target=proposition,
        data={"projets": [p.title for p in chosen]},
    )
    return proposition


def on_priorisation_closed(proposition: Proposition, by: Agent | None) -> None:
    """Decisions closing handler for kind `priorisation`: an adopted choice launches its projects."""
    if proposition.status != Proposition.Status.CLOSE or proposition.result != "adoptee":
        return
    now = timezone.now()
    for choice in Priorisation.objects.filter(proposition=proposition).select_related("projet"):
        projet = choice.projet
        # A project suspended, finished or abandoned while the collective decided is not revived, and the
        # record does not pretend it was launched: the status is checked by the update itself, on the row.
        if not Projet.objects.filter(pk=projet.pk, status__in=LAUNCHABLE).update(status=Projet.Status.EN_COURS):
            continue
        Priorisation.objects.filter(pk=choice.pk).update(launched_at=now)
        journal_record(
            action="reseaux.projet.launched",
            actor=by,
            territoire=proposition.territoire,
            target=projet,
            data={"proposition": proposition.pk},
        )
