"""Who must have a second factor, and whether they have one — answered in one query."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.models import UserObjectPermission

from communes.models import Agent, Collectivite, Membership

STAFF = "staff"
EPCI_DGS = "epci_dgs"
FACILITATOR = "facilitator"
ADMIN = "admin"

# Why the factor is mandatory, as the security page says it ("obligatoire pour vous : …").
REASON_LABELS = {
    STAFF: _("vous avez accès à l'administration du site"),
    EPCI_DGS: _("vous êtes DGS de l'EPCI d'un territoire"),
    FACILITATOR: _("vous accompagnez un territoire en tant que facilitateur·rice"),
    ADMIN: _("vous administrez un territoire"),
}


@dataclass(frozen=True)
class SecondFactorStatus:
    """Whether an agent has a confirmed authenticator app, and why (if at all) they must have one."""

    enabled: bool
    reasons: tuple[str, ...]

    @property
    def required(self) -> bool:
        return bool(self.reasons)

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[reason]) for reason in self.reasons]


def _object_permission(codename: str) -> Exists:
    # The agent's own object permission on a territory, as `communes.access` reads it (not a group's).
    return Exists(
        UserObjectPermission.objects.filter(
            user=OuterRef("pk"),
            permission__codename=codename,
            permission__content_type__app_label="communes",
            permission__content_type__model="territoire",
        )
    )


def second_factor_status(agent: Agent) -> SecondFactorStatus:
    """The agent's second-factor status in one query.

    Mandatory for staff and superusers, the EPCI's DGS of any territory (an active membership), the
    facilitators and the administrators of a territory (their object permissions); optional for the others.
    """
    row = (
        Agent.objects.filter(pk=agent.pk)
        .annotate(
            has_totp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
            is_epci_dgs=Exists(
                Membership.objects.active().filter(
                    agent=OuterRef("pk"), role=Membership.Role.DGS, collectivite__kind=Collectivite.Kind.EPCI
                )
            ),
            is_facilitator=_object_permission("facilitate_territoire"),
            is_admin=_object_permission("administer_territoire"),
        )
        .values("has_totp", "is_epci_dgs", "is_facilitator", "is_admin", "is_staff", "is_superuser")
        .first()
    )
    if row is None:  # the agent was deleted meanwhile: nothing to protect any more
        return SecondFactorStatus(enabled=False, reasons=())
    reasons = []
    if row["is_staff"] or row["is_superuser"]:
        reasons.append(STAFF)
    if row["is_epci_dgs"]:
        reasons.append(EPCI_DGS)
    if row["is_facilitator"]:
        reasons.append(FACILITATOR)
    if row["is_admin"]:
        reasons.append(ADMIN)
    return SecondFactorStatus(enabled=row["has_totp"], reasons=tuple(reasons))


def second_factor_required(agent: Agent) -> bool:
    """Whether the agent must log in with a second factor (password logins only; ProConnect is exempt)."""
    return second_factor_status(agent).required
