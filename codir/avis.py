"""Technical opinions of the CoDir (services): decided through the decision engine, sent to the
instance's convener, then compared with what the instance actually decided."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from codir.models import Deliberation, PointOdj
from communes.journal import journal_record
from communes.models import Agent
from decisions import services as decisions
from decisions.models import Proposition


@transaction.atomic
def avis_open(*, point: PointOdj, by: Agent, closes_at: datetime) -> Proposition:
    """Put the CoDir's technical opinion on an item to the collective (decision kind avis_technique)."""
    # of=("self",): the instance is on the nullable side of a join, which PostgreSQL cannot lock.
    point = (
        PointOdj.objects.select_for_update(of=("self",))
        .select_related("reunion__territoire", "reunion__instance")
        .get(pk=point.pk)
    )
    if point.reunion.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est annulée."))
    if point.proposition_id is not None:
        raise ValidationError(_("Un avis est déjà soumis au CoDir pour ce point."))
    if point.reunion.instance is None:
        raise ValidationError(_("Cette réunion ne prépare aucune instance : il n'y a pas d'avis technique à rendre."))
    body = point.description or point.title
    if point.instance_item:
        body = _("Point de l'instance : %(point)s") % {"point": point.instance_item} + "\n\n" + body
    proposition = decisions.proposition_create(
        territoire=point.reunion.territoire,
        author=by,
        title=_("Avis technique : %(titre)s") % {"titre": point.title},
        body=body,
        kind=Proposition.Kind.AVIS_TECHNIQUE,
    )
    proposition = decisions.proposition_open(proposition=proposition, by=by, closes_at=closes_at)
    point.proposition = proposition
    point.save(update_fields=["proposition"])
    journal_record(action="codir.avis.opened", actor=by, territoire=point.reunion.territoire, target=point)
    return proposition


@transaction.atomic
def avis_send(*, point: PointOdj, by: Agent) -> PointOdj:
    """Send the printable "Avis du CoDir de territoire" to the instance's convener."""
    point = (
        PointOdj.objects.select_for_update(of=("self",))
        .select_related("reunion__territoire", "reunion__instance", "proposition")
        .get(pk=point.pk)
    )
    if point.avis_sent_at is not None:
        raise ValidationError(_("Cet avis a déjà été transmis."))
    proposition = point.proposition
    if proposition is None or proposition.status != Proposition.Status.CLOSE:
        raise ValidationError(_("L'avis n'est pas encore rendu : la décision du CoDir n'est pas close."))
    instance = point.reunion.instance
    if not instance.convener_email:
        raise ValidationError(_("Indiquez d'abord l'adresse de l'autorité qui convoque l'instance."))
    context = {"point": point, "proposition": proposition, "instance": instance, "reunion": point.reunion}
    with translation.override("fr"):
        subject = " ".join(render_to_string("emails/avis_subject.txt", context).split())
        html = render_to_string("codir/avis_document.html", context)
        text = render_to_string("emails/avis_body.txt", context)
    message = EmailMultiAlternatives(subject, text, to=[instance.convener_email])
    message.attach_alternative(html, "text/html")
    message.send()
    point.avis_sent_at = timezone.now()
    point.save(update_fields=["avis_sent_at"])
    journal_record(
        action="codir.avis.sent",
        actor=by,
        territoire=point.reunion.territoire,
        target=point,
        data={"to": instance.convener_email, "avis": proposition.avis},
    )
    return point


@transaction.atomic
def deliberation_record(*, point: PointOdj, by: Agent, date: date, number: str, outcome: str) -> Deliberation:
    """Record what the instance decided on the item, after its meeting."""
    point = PointOdj.objects.select_related("reunion__instance", "reunion__territoire", "proposition").get(pk=point.pk)
    instance = point.reunion.instance
    if instance is None:
        raise ValidationError(_("Cette réunion ne prépare aucune instance."))
    if point.proposition is None or point.proposition.status != Proposition.Status.CLOSE:
        raise ValidationError(_("L'avis du CoDir n'est pas encore rendu sur ce point."))
    if date < timezone.localtime(instance.starts_at).date():
        raise ValidationError({"date": _("La délibération ne peut pas précéder la séance de l'instance.")})
    deliberation, _created = Deliberation.objects.update_or_create(
        point=point, defaults={"date": date, "number": number.strip(), "outcome": outcome, "recorded_by": by}
    )
    deliberation.full_clean()
    journal_record(
        action="codir.deliberation.recorded",
        actor=by,
        territoire=point.reunion.territoire,
        target=point,
        data={"outcome": outcome, "differs": avis_differs(point)},
    )
    return deliberation


def avis_differs(point: PointOdj) -> bool:
    """Whether the instance decided against the CoDir's opinion (the avis → deliberation chain)."""
    deliberation = getattr(point, "deliberation", None)
    avis = point.proposition.avis if point.proposition_id else ""
    if deliberation is None or not avis:
        return False
    adopted = deliberation.outcome in (Deliberation.Outcome.ADOPTEE, Deliberation.Outcome.ADOPTEE_MODIFIEE)
    favourable = avis in ("favorable", "favorable_avec_reserves")
    return deliberation.outcome != Deliberation.Outcome.AJOURNEE and adopted != favourable
