"""The follow-up of a project: phases of cooperation, milestones, indicators of the fiche action, documents."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.journal import journal_record
from communes.models import Agent
from communes.uploads import PROJECT_DOCUMENTS, validate_upload
from reseaux.models import DocumentProjet, Indicateur, Jalon, Phase, Projet


@transaction.atomic
def phase_set(*, projet: Projet, by: Agent, kind: str, starts_on: date, ends_on: date, status: str) -> Phase:
    """Plan (or re-plan) one phase of cooperation: its dates and where it stands."""
    if kind not in Phase.Kind.values:
        raise ValidationError({"kind": _("Phase inconnue.")})
    if status not in Phase.Status.values:
        raise ValidationError({"status": _("État de phase inconnu.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("La phase finit après avoir commencé.")})
    # Serialise on the project row: two people planning the same new phase do not collide.
    Projet.objects.select_for_update().get(pk=projet.pk)
    phase = Phase.objects.filter(projet=projet, kind=kind).order_by("pk").first() or Phase(projet=projet, kind=kind)
    before = None if phase.pk is None else [phase.starts_on.isoformat(), phase.ends_on.isoformat(), phase.status]
    phase.starts_on, phase.ends_on, phase.status = starts_on, ends_on, status
    phase.full_clean()
    phase.save()
    journal_record(
        action="reseaux.phase.set",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={"phase": kind, "dates": [starts_on.isoformat(), ends_on.isoformat()], "status": status, "before": before},
    )
    return phase


@transaction.atomic
def jalon_add(*, projet: Projet, by: Agent, title: str, due_on: date) -> Jalon:
    """Set a milestone with its due date."""
    jalon = Jalon(projet=projet, title=title.strip(), due_on=due_on)
    jalon.full_clean()
    jalon.save()
    journal_record(
        action="reseaux.jalon.added",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={"jalon": jalon.title, "due_on": due_on.isoformat()},
    )
    return jalon


@transaction.atomic
def jalon_update(*, jalon: Jalon, by: Agent, title: str, due_on: date) -> Jalon:
    """Rename or move a milestone; the journal keeps its former due date (a moved date is not hidden)."""
    before = {"jalon": jalon.title, "due_on": jalon.due_on.isoformat()}
    jalon.title, jalon.due_on = title.strip(), due_on
    jalon.full_clean()
    jalon.save(update_fields=["title", "due_on"])
    journal_record(
        action="reseaux.jalon.updated",
        actor=by,
        territoire=jalon.projet.territoire,
        target=jalon.projet,
        data={"jalon": jalon.title, "due_on": due_on.isoformat(), "before": before},
    )
    return jalon


@transaction.atomic
def jalon_reach(*, jalon: Jalon, by: Agent, done_on: date | None) -> Jalon:
    """Mark a milestone as reached on a day (not in the future), or reopen it with `None`."""
    if done_on is not None and done_on > timezone.localdate():
        raise ValidationError({"done_on": _("Un jalon ne peut pas être atteint dans le futur.")})
    jalon.done_on = done_on
    jalon.save(update_fields=["done_on"])
    journal_record(
        action="reseaux.jalon.reached" if done_on else "reseaux.jalon.reopened",
        actor=by,
        territoire=jalon.projet.territoire,
        target=jalon.projet,
        data={"jalon": jalon.title, "done_on": done_on.isoformat() if done_on else None},
    )
    return jalon


@transaction.atomic
def indicateur_set(
    *,
    projet: Projet,
    by: Agent,
    name: str,
    unit: str = "",
    target: Decimal | None = None,
    measured: Decimal | None = None,
    measured_on: date | None = None,
    indicateur: Indicateur | None = None,
) -> Indicateur:
    """Define an indicator of the fiche action, or update it with a new measure."""
    if indicateur is not None and indicateur.projet_id != projet.pk:
        raise ValidationError(_("Cet indicateur n'est pas celui du projet."))
    if indicateur is not None:
        # The journal's "before" is what is stored, not what an object held by the caller says.
        indicateur = Indicateur.objects.select_for_update().get(pk=indicateur.pk)
    if measured is not None and measured_on is None:
        measured_on = timezone.localdate()
    indicateur = indicateur or Indicateur(projet=projet)
    before = None if indicateur.pk is None else {"measured": str(indicateur.measured), "target": str(indicateur.target)}
    indicateur.name, indicateur.unit = name.strip(), unit.strip()
    indicateur.target, indicateur.measured, indicateur.measured_on = target, measured, measured_on
    indicateur.full_clean()
    indicateur.save()
    journal_record(
        action="reseaux.indicateur.set",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={"indicateur": indicateur.name, "target": str(target), "measured": str(measured), "before": before},
    )
    return indicateur


@transaction.atomic
def indicateur_remove(*, indicateur: Indicateur, by: Agent) -> None:
    """Drop an indicator; the journal keeps its last values."""
    # The stored values, not those of an object the caller may hold from before a measure.
    indicateur = (
        Indicateur.objects.select_for_update(of=("self",)).select_related("projet__territoire").get(pk=indicateur.pk)
    )
    journal_record(
        action="reseaux.indicateur.removed",
        actor=by,
        territoire=indicateur.projet.territoire,
        target=indicateur.projet,
        data={"indicateur": indicateur.name, "target": str(indicateur.target), "measured": str(indicateur.measured)},
    )
    indicateur.delete()


@transaction.atomic
def document_add(*, projet: Projet, by: Agent, upload: UploadedFile) -> DocumentProjet:
    """Attach a document to the project (office and image formats, checked by their content; size capped by
    settings.MAX_UPLOAD_SIZE)."""
    try:
        validate_upload(upload, PROJECT_DOCUMENTS)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None
    document = DocumentProjet(projet=projet, file=upload, name=upload.name[:255], size=upload.size, uploaded_by=by)
    document.full_clean()
    document.save()
    journal_record(
        action="reseaux.document.added",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={"nom": document.name},
    )
    return document


@transaction.atomic
def document_withdraw(*, document: DocumentProjet, by: Agent) -> DocumentProjet:
    """Withdraw a document from the project's page; the file is kept (nothing is silently lost)."""
    if document.withdrawn_at is not None:
        raise ValidationError(_("Ce document est déjà retiré."))
    document.withdrawn_at = timezone.now()
    document.save(update_fields=["withdrawn_at"])
    journal_record(
        action="reseaux.document.withdrawn",
        actor=by,
        territoire=document.projet.territoire,
        target=document.projet,
        data={"nom": document.name},
    )
    return document
