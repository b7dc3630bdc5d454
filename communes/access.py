"""Who may see and change what in a territory: resolved once per request, 404 for outsiders.

Pages (`TerritoireMixin`) and the API (`communes.api_base.TerritoireAPIMixin`) both call
`territoire_access`; nothing else decides whether someone belongs to a territory.
"""

from dataclasses import dataclass

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Exists, OuterRef
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_object_or_404
from guardian.models import UserObjectPermission
from guardian.shortcuts import get_user_perms

from communes.models import Agent, Collectivite, Invitation, Membership, Seat, Territoire
from communes.selectors import facilitators_of_territoire


@dataclass(frozen=True)
class TerritoireAccess:
    """What one agent may do in one territory."""

    territoire: Territoire
    agent: Agent
    membership: Membership | None
    is_facilitator: bool
    has_admin_permission: bool

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_epci_dgs(self) -> bool:
        return (
            self.membership is not None
            and self.membership.role == Membership.Role.DGS
            and self.membership.collectivite.kind == Collectivite.Kind.EPCI
        )

    @property
    def is_admin(self) -> bool:
        """The EPCI's DGS administers by right; other members by an object permission."""
        return self.can_contribute and (self.is_epci_dgs or self.has_admin_permission)

    @property
    def can_contribute(self) -> bool:
        """Members other than observers write; facilitators and observers read."""
        return self.membership is not None and self.membership.role != Membership.Role.OBSERVATEUR


def holds_permission(agent: Agent, permission: str, obj) -> bool:
    """Whether the agent holds `permission` ("app_label.codename") on `obj` themselves: one query.

    Object permissions are granted to agents, never to groups, so guardian's `has_perm` (which asks for the
    groups' too, a second query) has nothing more to find; and, as in `territoire_access`, a superuser gets
    no shortcut in a territory's data.
    """
    app_label, codename = permission.split(".", 1)
    return agent.is_active and obj._meta.app_label == app_label and codename in get_user_perms(agent, obj)


def facilitates(agent: Agent, territoire: Territoire) -> bool:
    """Whether the agent accompanies the territory: their own permission (not a group's, not a superuser's),
    as `territoire_access` reads it."""
    return "facilitate_territoire" in get_user_perms(agent, territoire)


def territoire_access(agent: Agent, slug: str) -> TerritoireAccess:
    """Resolve a territory by its slug for an agent, or raise Http404.

    Missing and not-yours answer the same, so nobody learns which territories exist.
    Superusers get no shortcut: tenant data is for the territory's members and facilitators.
    """
    if not agent.is_authenticated or not agent.is_active:
        raise Http404
    # Members, the common case, come with their territory and their permissions on it in one query (every
    # page and API call starts here); others look the territory up by its slug, then their permissions.
    membership = (
        Membership.objects.active()
        .select_related("collectivite", "territoire")
        .filter(agent=agent, territoire__slug=slug)
        .order_by()  # at most one active membership per agent and territory: no sort, no join on the agent
        .annotate(
            facilitates=permission_held(agent, "communes.facilitate_territoire", Territoire, "territoire_id"),
            administers=permission_held(agent, "communes.administer_territoire", Territoire, "territoire_id"),
        )
        .first()
    )
    if membership is not None:
        territoire, is_facilitator, has_admin_permission = (
            membership.territoire,
            membership.facilitates,
            membership.administers,
        )
    else:
        territoire = Territoire.objects.filter(slug=slug).first()
        if territoire is None:
            raise Http404
        perms = set(get_user_perms(agent, territoire))
        is_facilitator, has_admin_permission = "facilitate_territoire" in perms, "administer_territoire" in perms
        if not is_facilitator:
            raise Http404
    return TerritoireAccess(
        territoire=territoire,
        agent=agent,
        membership=membership,
        is_facilitator=is_facilitator,
        has_admin_permission=has_admin_permission,
    )


def permission_held(agent: Agent, permission: str, model, pk_ref: str = "pk") -> Exists:
    """`holds_permission` as a subquery on rows of `model` whose object pk is `OuterRef(pk_ref)`, so that
    the query reading the object also says whether the reader holds the permission: no query of its own.
    For readers who passed `territoire_access` (active agents). Guardian's generic table keys the object by
    its pk as text."""
    app_label, codename = permission.split(".", 1)
    content_type = ContentType.objects.get_for_model(model)
    assert content_type.app_label == app_label, f"{permission} is not a permission on {model.__name__}"
    return Exists(
        UserObjectPermission.objects.filter(
            user=agent,
            content_type=content_type,
            permission__content_type=content_type,
            permission__codename=codename,
            object_pk=Cast(OuterRef(pk_ref), CharField()),
        )
    )


def require_admin(access: TerritoireAccess) -> None:
    """Administering (invitations, seats, members, journal) is for the territory's admins."""
    if not access.is_admin:
        raise PermissionDenied


def require_member(access: TerritoireAccess) -> None:
    """Some lists (e.g. the facilitators' addresses) are for the territory's members, not its facilitators."""
    if not access.is_member:
        raise PermissionDenied


def access_collectivite(access: TerritoireAccess, collectivite_id: int) -> Collectivite:
    return get_object_or_404(Collectivite.objects.for_territoire(access.territoire), pk=collectivite_id)


def access_membership(access: TerritoireAccess, membership_id: int, *, write: bool = False) -> Membership:
    membership = get_object_or_404(
        Membership.objects.for_territoire(access.territoire).select_related("agent", "collectivite"),
        pk=membership_id,
    )
    if write:
        require_admin(access)
    return membership


def access_seat(access: TerritoireAccess, seat_id: int, *, write: bool = False) -> Seat:
    seat = get_object_or_404(
        Seat.objects.for_territoire(access.territoire).select_related("collectivite", "membership__agent"),
        pk=seat_id,
    )
    if write:
        require_admin(access)
    return seat


def access_invitation(access: TerritoireAccess, invitation_id: int) -> Invitation:
    require_admin(access)
    return get_object_or_404(Invitation.objects.for_territoire(access.territoire), pk=invitation_id)


def access_facilitator(access: TerritoireAccess, agent_id: int) -> Agent:
    """A facilitator of the territory, for its administrators; 404 for anyone else's id."""
    require_admin(access)
    return get_object_or_404(facilitators_of_territoire(access.territoire), pk=agent_id)


class TerritoireMixin(LoginRequiredMixin):
    """For views under /t/<territoire_slug>/: sets `self.access` and `self.territoire`."""

    admin_required = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.access = territoire_access(request.user, kwargs["territoire_slug"])
        self.territoire = self.access.territoire
        if self.admin_required:
            require_admin(self.access)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(territoire=self.territoire, access=self.access)
        return context
