"""Who may do what with the collective's decisions, answered in one place for pages and API."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from communes.access import TerritoireAccess, holds_permission
from communes.models import Seat
from communes.selectors import active_seat
from decisions.models import Action, Proposition


def require_contributor(access: TerritoireAccess) -> None:
    """Any member may propose; observers (élus) and facilitators read only."""
    if not access.can_contribute:
        raise PermissionDenied


def can_steer(access: TerritoireAccess, proposition: Proposition) -> bool:
    """The author (an object permission given at creation) or the EPCI's DGS."""
    if not access.can_contribute:
        return False
    return access.is_epci_dgs or (
        proposition.author_id == access.agent.pk
        and holds_permission(access.agent, "decisions.change_proposition", proposition)
    )


def access_proposition(access: TerritoireAccess, proposition_id: int, *, steer: bool = False) -> Proposition:
    proposition = get_object_or_404(
        Proposition.objects.for_territoire(access.territoire).select_related("author"), pk=proposition_id
    )
    # A draft is its author's alone until opened: to others it does not exist.
    if proposition.status == Proposition.Status.BROUILLON and proposition.author_id != access.agent.pk:
        raise Http404
    if steer and not can_steer(access, proposition):
        raise PermissionDenied
    return proposition


def speaking_seat(access: TerritoireAccess) -> Seat | None:
    """The seat through which this agent speaks for a collectivité, if any."""
    return active_seat(access.agent, access.territoire) if access.membership is not None else None


def access_action(access: TerritoireAccess, action_id: int, *, write: bool = False) -> Action:
    action = get_object_or_404(
        Action.objects.for_territoire(access.territoire).select_related("proposition", "owner_collectivite"),
        pk=action_id,
    )
    if write and not can_update_action(access, action):
        raise PermissionDenied
    return action


def can_update_action(access: TerritoireAccess, action: Action) -> bool:
    """Its owner (the agent, or any member of the owning collectivité), the decision's author, the EPCI's DGS."""
    if not access.can_contribute:
        return False
    return (
        access.is_epci_dgs
        or action.owner_agent_id == access.agent.pk
        or action.proposition.author_id == access.agent.pk
        or (
            action.owner_collectivite_id is not None
            and action.owner_collectivite_id == access.membership.collectivite_id
        )
    )
