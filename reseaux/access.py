"""Who may do what with the portfolio and the networks: one place for pages and API.

Everyone with access to the territory (members, observers, its facilitator) reads the portfolio and the
networks. Those who act for a project's pilot collectivités edit it (the `pilot_projet` object permission,
kept in sync with the pilotage); its active référents also follow it up: reviews, milestones reached,
indicator measures. Axes are the administrators'. A network is run by its référents (`lead_reseau`) and
the administrators; any contributing member creates one and becomes its référent.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone

from communes.access import TerritoireAccess, holds_permission
from communes.models import Agent
from reseaux.models import Axe, Projet, Reseau
from reseaux.services import LEAD_PERMISSION, PILOT_PERMISSION, active_pilots


def access_projet(access: TerritoireAccess, projet_id: int) -> Projet:
    return get_object_or_404(
        Projet.objects.for_territoire(access.territoire).select_related("territoire"), pk=projet_id
    )


def access_axe(access: TerritoireAccess, axe_id: int) -> Axe:
    return get_object_or_404(Axe.objects.filter(territoire=access.territoire), pk=axe_id)


def can_pilot(access: TerritoireAccess, projet: Projet) -> bool:
    """Acting for a pilot collectivité today: edit the project, its pilotage, phases, contributions, links.

    The object permission is checked against the membership too, so a permission left behind by a
    membership ended in bulk (a commune leaving the EPCI) grants nothing.
    """
    # The pilots come prefetched with the project: checked first, they spare the other members the
    # permission query; `selectors.projet_of` may have read the reader's permission with the project.
    if not (access.can_contribute and access.membership.collectivite_id in active_pilots(projet, timezone.localdate())):
        return False
    reader, held = getattr(projet, "pilot_permission_of", (None, False))
    return held if reader == access.agent.pk else holds_permission(access.agent, PILOT_PERMISSION, projet)


def can_follow(access: TerritoireAccess, projet: Projet, *, pilot: bool | None = None) -> bool:
    """Pilots and the project's active référents record reviews, reached milestones and measures;
    `pilot` is `can_pilot` when the caller already knows it."""
    if can_pilot(access, projet) if pilot is None else pilot:
        return True
    # From the prefetched référents when the page has them; a handful of rows otherwise.
    return access.can_contribute and any(
        r.agent_id == access.agent.pk and r.until is None for r in projet.referents.all()
    )


def require_contributor(access: TerritoireAccess) -> None:
    """Creating a project or proposing a priorisation: any member who writes (not observers nor facilitators)."""
    if not access.can_contribute:
        raise PermissionDenied


def require_pilot(access: TerritoireAccess, projet: Projet) -> None:
    if not can_pilot(access, projet):
        raise PermissionDenied


def require_follower(access: TerritoireAccess, projet: Projet) -> None:
    if not can_follow(access, projet):
        raise PermissionDenied


def access_reseau(access: TerritoireAccess, reseau_id: int) -> Reseau:
    return get_object_or_404(
        Reseau.objects.for_territoire(access.territoire).select_related("territoire"), pk=reseau_id
    )


def can_lead(access: TerritoireAccess, reseau: Reseau) -> bool:
    """The network's référents (the `lead_reseau` permission) and the territory's administrators run it:
    members, events, resources, closing."""
    return access.can_contribute and (access.is_admin or holds_permission(access.agent, LEAD_PERMISSION, reseau))


def require_lead(access: TerritoireAccess, reseau: Reseau) -> None:
    if not can_lead(access, reseau):
        raise PermissionDenied


def can_record_echange(access: TerritoireAccess, host: Agent, guest: Agent) -> bool:
    """An exchange is recorded by one of the two agents, or by an administrator."""
    return access.can_contribute and (access.is_admin or access.agent.pk in (host.pk, guest.pk))
