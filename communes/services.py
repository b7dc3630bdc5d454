"""The only writers of territories' people: memberships, seats, invitations, facilitators.

Each function is one transaction, takes the acting agent (`by`, None for the system), checks
its invariants with French error messages (`ValidationError`) and writes the journal.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from communes.access import facilitates
from communes.journal import journal_record
from communes.models import Agent, Collectivite, Invitation, Membership, Seat, Territoire

INVITATION_SALT = "communes.invitation"

# Roles that may hold a collectivité's voice: the directors and, as interim, a référent.
SEAT_ROLES = {Membership.Role.DGS, Membership.Role.DGA, Membership.Role.SG, Membership.Role.REFERENT}


def _check_collectivite(territoire: Territoire, collectivite: Collectivite) -> None:
    if collectivite.territoire_id != territoire.pk:
        raise ValidationError(_("Cette collectivité n'appartient pas au territoire."))
    if not collectivite.is_active:
        raise ValidationError(_("%(nom)s a quitté le territoire.") % {"nom": collectivite.name})


@transaction.atomic
def agent_create(
    *,
    email: str,
    first_name: str,
    last_name: str,
    password: str | None,
    collectivite: Collectivite | None = None,
    job_title: str = "",
    phone: str = "",
    by: Agent | None = None,
) -> Agent:
    """Create an account; the password is checked against the validators in settings."""
    email = Agent.objects.normalize_email(email).lower()
    if Agent.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("Un compte existe déjà avec cette adresse électronique.")})
    agent = Agent(
        email=email,
        first_name=first_name,
        last_name=last_name,
        collectivite=collectivite,
        job_title=job_title,
        phone=phone,
    )
    if password is None:
        agent.set_unusable_password()
    else:
        try:
            validate_password(password, user=agent)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from None
        agent.set_password(password)
    agent.full_clean()
    try:
        with transaction.atomic():
            agent.save()
    except IntegrityError:  # Created by a concurrent request since the check above.
        raise ValidationError({"email": _("Un compte existe déjà avec cette adresse électronique.")}) from None
    territoire = collectivite.territoire if collectivite else None
    journal_record(action="communes.agent.created", actor=by, territoire=territoire, target=agent)
    return agent


@transaction.atomic
def membership_add(
    *,
    territoire: Territoire,
    agent: Agent,
    collectivite: Collectivite,
    role: str,
    by: Agent | None,
) -> Membership:
    """Make the agent a member of the territory on behalf of the collectivité.

    An agent has at most one active membership per territory (also enforced by the database).
    """
    _check_collectivite(territoire, collectivite)
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Rôle inconnu.")})
    Agent.objects.select_for_update().filter(pk=agent.pk).first()  # serialise concurrent additions
    if Membership.objects.active().filter(agent=agent, territoire=territoire).exists():
        raise ValidationError(_("%(agent)s est déjà membre de ce territoire.") % {"agent": agent})
    membership = Membership.objects.create(agent=agent, territoire=territoire, collectivite=collectivite, role=role)
    journal_record(
        action="communes.membership.added",
        actor=by,
        territoire=territoire,
        target=membership,
        data={"agent": agent.email, "collectivite": collectivite.name, "role": role},
    )
    return membership


def _administrators(territoire: Territoire) -> set[int]:
    """Agent ids of the territory's administrators: the EPCI's DGS and those granted the permission."""
    by_role = Membership.objects.active().filter(
        territoire=territoire, role=Membership.Role.DGS, collectivite__kind=Collectivite.Kind.EPCI
    )
    by_permission = (
        Membership.objects.active()
        .filter(
            territoire=territoire,
            agent__in=get_users_with_perms(territoire, only_with_perms_in=["administer_territoire"]),
        )
        .exclude(role=Membership.Role.OBSERVATEUR)
    )
    return set(by_role.values_list("agent_id", flat=True)) | set(by_permission.values_list("agent_id", flat=True))


@transaction.atomic
def membership_deactivate(*, membership: Membership, by: Agent | None) -> Membership:
    """End a membership and what came with it; the rows stay, so the history is kept.

    Its seats are vacated, its administrator permission removed and the invitations it sent
    that are still pending revoked. A territory never loses its last administrator this way,
    and an administrator does not remove themselves.
    """
    membership = Membership.objects.select_for_update().select_related("agent", "territoire").get(pk=membership.pk)
    if not membership.is_active:
        raise ValidationError(_("Ce membre est déjà désactivé."))
    territoire = membership.territoire
    if by is not None and by.pk == membership.agent_id:
        raise ValidationError(
            _("Vous ne pouvez pas vous désactiver vous-même : demandez-le à un autre administrateur.")
        )
    admins = _administrators(territoire)
    if admins == {membership.agent_id}:
        raise ValidationError(
            _("%(agent)s est le dernier administrateur du territoire : invitez d'abord son successeur.")
            % {"agent": membership.agent}
        )
    now = timezone.now()
    vacated = list(Seat.objects.active().filter(membership=membership).values_list("kind", flat=True))
    Seat.objects.active().filter(membership=membership).update(ended_at=now)
    membership.ended_at = now
    membership.save(update_fields=["ended_at"])
    remove_perm("communes.administer_territoire", membership.agent, territoire)
    revoked = list(
        Invitation.objects.for_territoire(territoire)
        .pending()
        .filter(invited_by=membership.agent)
        .values_list("pk", flat=True)
    )
    Invitation.objects.filter(pk__in=revoked).update(revoked_at=now)
    journal_record(
        action="communes.membership.deactivated",
        actor=by,
        territoire=territoire,
        target=membership,
        data={"agent": membership.agent.email, "seats_vacated": vacated, "invitations_revoked": revoked},
    )
    return membership


@transaction.atomic
def agent_deactivate(*, agent: Agent, by: Agent | None) -> Agent:
    """Close an account: it can no longer log in, and its memberships end (history kept)."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    for membership in Membership.objects.active().filter(agent=agent):
        membership_deactivate(membership=membership, by=None)
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    journal_record(action="communes.agent.deactivated", actor=by, territoire=None, target=agent)
    return agent


@transaction.atomic
def seat_assign(*, collectivite: Collectivite, kind: str, membership: Membership, by: Agent | None) -> Seat:
    """Give the collectivité's titulaire or suppléant seat to a member of that collectivité.

    The previous holder's tenure is closed, not erased; a member who held the other seat of
    the same collectivité (a suppléant becoming titulaire) leaves it.
    """
    # Serialise concurrent assignments on the same collectivité, and read the member afresh:
    # the object a form validated may have been deactivated since.
    collectivite = Collectivite.objects.select_for_update().get(pk=collectivite.pk)
    membership = Membership.objects.select_for_update().select_related("agent", "territoire").get(pk=membership.pk)
    if kind not in Seat.Kind.values:
        raise ValidationError({"kind": _("Siège inconnu : titulaire ou suppléant·e.")})
    _check_collectivite(membership.territoire, collectivite)
    if not membership.is_active:
        raise ValidationError(_("Ce membre est désactivé."))
    if membership.collectivite_id != collectivite.pk:
        raise ValidationError(
            _("%(agent)s ne représente pas %(collectivite)s.")
            % {"agent": membership.agent, "collectivite": collectivite}
        )
    if membership.role not in SEAT_ROLES:
        raise ValidationError(_("Un·e observateur·rice ne peut pas porter la voix d'une collectivité."))
    current = Seat.objects.active().filter(collectivite=collectivite, kind=kind).first()
    if current and current.membership_id == membership.pk:
        raise ValidationError(_("Ce membre occupe déjà ce siège."))
    now = timezone.now()
    Seat.objects.active().filter(Q(collectivite=collectivite, kind=kind) | Q(membership=membership)).update(
        ended_at=now
    )
    seat = Seat.objects.create(collectivite=collectivite, kind=kind, membership=membership, started_at=now)
    journal_record(
        action="communes.seat.assigned",
        actor=by,
        territoire=collectivite.territoire,
        target=seat,
        data={
            "kind": kind,
            "agent": membership.agent.email,
            "previous": current.membership.agent.email if current else None,
        },
    )
    return seat


@transaction.atomic
def seat_vacate(*, seat: Seat, by: Agent | None) -> Seat:
    """Close a seat's tenure, leaving the collectivité without that voice until reassigned."""
    seat = (
        Seat.objects.select_for_update().select_related("collectivite__territoire", "membership__agent").get(pk=seat.pk)
    )
    if seat.ended_at is not None:
        raise ValidationError(_("Ce siège est déjà vacant."))
    seat.ended_at = timezone.now()
    seat.save(update_fields=["ended_at"])
    journal_record(
        action="communes.seat.vacated",
        actor=by,
        territoire=seat.collectivite.territoire,
        target=seat,
        data={"kind": seat.kind, "agent": seat.membership.agent.email},
    )
    return seat


def invitation_token(invitation: Invitation) -> str:
    """The secret part of an invitation link, signed with SECRET_KEY."""
    # No timestamp in the signature: the expiry lives in the database, where it can be shown.
    return signing.Signer(salt=INVITATION_SALT).sign_object([invitation.pk, invitation.nonce], compress=True)


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a token designates, whatever its state; None if the token is forged."""
    try:
        pk, nonce = signing.Signer(salt=INVITATION_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    invitation = Invitation.objects.select_related("territoire", "collectivite", "invited_by").filter(pk=pk).first()
    if invitation is None or not constant_time_compare(invitation.nonce, str(nonce)):
        return None
    return invitation


@transaction.atomic
def invitation_create(
    *,
    territoire: Territoire,
    collectivite: Collectivite,
    email: str,
    role: str,
    seat_kind: str = "",
    by: Agent,
) -> Invitation:
    """Invite someone by e-mail; the mail with the one-time link leaves after commit.

    A pending invitation to the same address for the same territory is replaced, so only
    the latest link works.
    """

    # One invitation at a time per territory, so "only the latest link works" holds under races.
    Territoire.objects.select_for_update().filter(pk=territoire.pk).first()
    _check_collectivite(territoire, collectivite)
    email = Agent.objects.normalize_email(email).strip().lower()
    if role not in Membership.Role.values:
        raise ValidationError({"role": _("Rôle inconnu.")})
    if seat_kind and seat_kind not in Seat.Kind.values:
        raise ValidationError({"seat_kind": _("Siège inconnu : titulaire ou suppléant·e.")})
    if seat_kind and role not in SEAT_ROLES:
        raise ValidationError({"seat_kind": _("Un·e observateur·rice ne peut pas porter la voix d'une collectivité.")})
    if Membership.objects.active().filter(territoire=territoire, agent__email__iexact=email).exists():
        raise ValidationError({"email": _("Cette personne est déjà membre du territoire.")})
    return _invitation_send(
        Invitation(
            territoire=territoire,
            kind=Invitation.Kind.MEMBRE,
            collectivite=collectivite,
            email=email,
            role=role,
            seat_kind=seat_kind,
            invited_by=by,
        ),
        action="communes.membership.invited",
        data={"collectivite": collectivite.name, "role": role, "seat_kind": seat_kind},
    )


def _invitation_send(invitation: Invitation, *, action: str, data: dict) -> Invitation:
    """Replace the pending invitations to the same address for the territory (only the latest link works),
    save this one with its validity, journal it and mail it after commit. The caller holds the territory's
    row lock."""
    from communes.tasks import send_invitation

    now = timezone.now()
    replaced = Invitation.objects.for_territoire(invitation.territoire).pending().filter(email__iexact=invitation.email)
    replaced_ids = list(replaced.values_list("pk", flat=True))
    replaced.update(revoked_at=now)
    invitation.created_at = now
    invitation.expires_at = now + timedelta(days=settings.INVITATION_VALIDITY_DAYS)
    invitation.full_clean()
    invitation.save()
    journal_record(
        action=action,
        actor=invitation.invited_by,
        territoire=invitation.territoire,
        target=invitation,
        data={"email": invitation.email, **data, "replaces": replaced_ids},
    )
    transaction.on_commit(lambda: send_invitation.enqueue(invitation.pk))
    return invitation


@transaction.atomic
def facilitator_invite(*, territoire: Territoire, email: str, by: Agent) -> Invitation:
    """Invite a neutral third party to accompany the territory; the mail leaves after commit.

    Accepting grants read access (`facilitator_grant`), no membership. Refused for someone who
    already facilitates the territory or is one of its members. A pending invitation to the same
    address for the same territory is replaced, so only the latest link works. The caller checks
    that `by` administers the territory.
    """

    # One invitation at a time per territory, so "only the latest link works" holds under races.
    Territoire.objects.select_for_update().filter(pk=territoire.pk).first()
    email = Agent.objects.normalize_email(email).strip().lower()
    existing = Agent.objects.filter(email__iexact=email).first()
    if existing is not None and facilitates(existing, territoire):
        raise ValidationError(
            {"email": _("Cette personne accompagne déjà ce territoire en tant que facilitateur·rice.")}
        )
    if Membership.objects.active().filter(territoire=territoire, agent__email__iexact=email).exists():
        raise ValidationError(
            {"email": _("Cette personne est membre du territoire : un·e facilitateur·rice est un tiers neutre.")}
        )
    return _invitation_send(
        Invitation(territoire=territoire, kind=Invitation.Kind.FACILITATEUR, email=email, invited_by=by),
        action="communes.facilitator.invited",
        data={},
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: Agent) -> Invitation:
    """Cancel a pending invitation: its link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValidationError(_("Cette invitation n'est plus en attente."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    journal_record(action="communes.invitation.revoked", actor=by, territoire=invitation.territoire, target=invitation)
    return invitation


@transaction.atomic
def invitation_accept(
    *,
    invitation: Invitation,
    agent: Agent | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> Membership | None:
    """Accept an invitation: create the account if needed, then the membership and the seat.

    An invitation works once, for the address it was sent to, within its validity. Someone
    who already has an account accepts while logged in as that account (`agent`); a newcomer
    chooses their password here. A facilitator invitation grants the facilitator permission
    instead of a membership, and then returns None.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status == "expiree":
        raise ValidationError(_("Cette invitation a expiré. Demandez-en une nouvelle."))
    if not invitation.is_usable:
        raise ValidationError(_("Cette invitation a déjà été utilisée ou a été annulée."))
    if not Membership.objects.active().filter(territoire=invitation.territoire, agent=invitation.invited_by).exists():
        raise ValidationError(
            _("La personne qui vous a invité·e n'est plus membre du territoire : demandez une nouvelle invitation.")
        )
    existing = Agent.objects.filter(email__iexact=invitation.email).first()
    if existing is not None:
        if agent is None or agent.pk != existing.pk:
            raise ValidationError(_("Un compte existe déjà pour cette adresse : connectez-vous pour accepter."))
    elif agent is not None:
        raise ValidationError(_("Cette invitation a été envoyée à une autre adresse électronique."))
    else:
        if not password:
            raise ValidationError({"password": _("Choisissez un mot de passe.")})
        agent = agent_create(
            email=invitation.email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            collectivite=invitation.collectivite,
        )
    if invitation.is_facilitator:
        # Checked again here: the person may have joined the territory since they were invited.
        if Membership.objects.active().filter(territoire=invitation.territoire, agent=agent).exists():
            raise ValidationError(
                _("Vous êtes membre de ce territoire : vous ne pouvez pas l'accompagner en tant que facilitateur·rice.")
            )
        # The journal names the administrator who decided the access; the acceptance line names the agent.
        facilitator_grant(territoire=invitation.territoire, agent=agent, by=invitation.invited_by)
        membership = None
    else:
        membership = membership_add(
            territoire=invitation.territoire,
            agent=agent,
            collectivite=invitation.collectivite,
            role=invitation.role,
            by=agent,
        )
        if invitation.seat_kind:
            seat_assign(
                collectivite=invitation.collectivite, kind=invitation.seat_kind, membership=membership, by=agent
            )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = agent
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    journal_record(
        action="communes.invitation.accepted", actor=agent, territoire=invitation.territoire, target=invitation
    )
    return membership


@transaction.atomic
def facilitator_grant(*, territoire: Territoire, agent: Agent, by: Agent | None) -> None:
    """Let a neutral facilitator read the territory and run its reviews."""
    assign_perm("communes.facilitate_territoire", agent, territoire)
    journal_record(
        action="communes.facilitator.granted",
        actor=by,
        territoire=territoire,
        target=agent,
        data={"agent": agent.email},
    )


@transaction.atomic
def facilitator_revoke(*, territoire: Territoire, agent: Agent, by: Agent | None) -> None:
    """Withdraw a facilitator's access to the territory; refused for someone who is not one."""
    if not facilitates(agent, territoire):
        raise ValidationError(_("%(agent)s n'accompagne pas ce territoire.") % {"agent": agent})
    remove_perm("communes.facilitate_territoire", agent, territoire)
    journal_record(
        action="communes.facilitator.revoked",
        actor=by,
        territoire=territoire,
        target=agent,
        data={"agent": agent.email},
    )


@transaction.atomic
def territoire_admin_grant(*, territoire: Territoire, agent: Agent, by: Agent | None) -> None:
    """Make a member an administrator of the territory (invitations, seats, journal).

    The EPCI's DGS administers by right; this grants the same to someone else, e.g. the
    DGS of the commune that hosts the CoDir's secretariat.
    """
    membership = Membership.objects.active().filter(territoire=territoire, agent=agent).first()
    if membership is None:
        raise ValidationError(_("Seul un membre du territoire peut l'administrer."))
    if membership.role == Membership.Role.OBSERVATEUR:
        raise ValidationError(_("Un·e observateur·rice ne peut pas administrer le territoire."))
    assign_perm("communes.administer_territoire", agent, territoire)
    journal_record(
        action="communes.admin.granted", actor=by, territoire=territoire, target=agent, data={"agent": agent.email}
    )
