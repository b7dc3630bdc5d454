"""Read queries of the charter; `rules_in_force` is what the rest of the application reads."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from charte.models import Amendement, Charte, Ratification, Regles, Section, Signature, Version
from communes.models import Collectivite, Seat, Territoire
from communes.selectors import active_seat
from decisions.outcome import Rule


def rules_in_force(territoire: Territoire, at: datetime | None = None) -> Regles:
    """The rules of the version in force at `at` (now by default); the defaults before any adoption.

    A version's rules apply from its adoption: a meeting prepared before an amendment keeps the
    rules of its time.
    """
    at = at or timezone.now()
    version = (
        Version.objects.for_territoire(territoire)
        .filter(adopted_at__isnull=False, adopted_at__lte=at)
        .select_related("regles")
        .order_by("-number")  # versions are numbered in the order they came into force
        .first()
    )
    return version.regles if version else Regles()


def decision_rule_in_force(territoire: Territoire, at: datetime) -> Rule | None:
    """Default decision rule for `decisions`, registered as its provider; None before any adoption."""
    has_adopted = Version.objects.for_territoire(territoire).filter(adopted_at__lte=at).exists()
    return rules_in_force(territoire, at).decision_rule if has_adopted else None


def charte_of(territoire: Territoire) -> Charte | None:
    return Charte.objects.filter(territoire=territoire).first()


def version_in_force(charte: Charte) -> Version | None:
    return _with_content(charte.versions.filter(status=Version.Status.ADOPTEE)).first()


def current_draft(charte: Charte, *, with_content: bool = True) -> Version | None:
    drafts = charte.versions.filter(status__in=[Version.Status.BROUILLON, Version.Status.EN_ADOPTION])
    return (_with_content(drafts) if with_content else drafts).first()


def _with_content(versions: QuerySet[Version]) -> QuerySet[Version]:
    return versions.select_related("regles", "proposition").prefetch_related(
        Prefetch("sections", queryset=Section.objects.select_related("updated_by").order_by("position"))
    )


def version_of(charte: Charte, number: int) -> Version:
    return _with_content(charte.versions.all()).get(number=number)


def versions_of(charte: Charte) -> QuerySet[Version]:
    return charte.versions.select_related("created_by", "based_on").order_by("-number")


def amendements_of(charte: Charte) -> QuerySet[Amendement]:
    return charte.amendements.select_related("author", "proposition", "base_version", "result_version")


@dataclass
class RatificationRow:
    collectivite: Collectivite
    signature: Signature | None
    ratification: Ratification | None


def ratification_table(territoire: Territoire, version: Version) -> list[RatificationRow]:
    """Collectivité by collectivité: who signed the version, whose council ratified it."""
    signatures = {s.collectivite_id: s for s in version.signatures.select_related("signed_by")}
    ratifications = {r.collectivite_id: r for r in version.ratifications.all()}
    return [
        RatificationRow(c, signatures.get(c.pk), ratifications.get(c.pk))
        for c in Collectivite.objects.for_territoire(territoire).active()
    ]


def seat_of(access) -> Seat | None:
    """The seat the agent holds in this territory, if any (to offer signing and ratifying)."""
    return active_seat(access.agent, access.territoire) if access.membership is not None else None
