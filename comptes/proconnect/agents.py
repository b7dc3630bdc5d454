"""Whom a verified ProConnect identity opens a session for: an active agent, or the person a pending invitation
was sent to — nobody else — and only with the SIRET of a structure they work for."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NoReturn

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from communes.journal import journal_record
from communes.models import Agent, Collectivite, Invitation, Membership, Territoire
from communes.services import agent_create, invitation_accept
from comptes.proconnect.session import SessionIdentity

REFUSED = "comptes.proconnect.refused"
SIRET_PATTERN = re.compile(r"^\d{14}$")


@dataclass(frozen=True)
class ProConnectClaims:
    """The claims of ProConnect's signed userinfo this application uses."""

    email: str
    given_name: str
    usual_name: str
    siret: str
    uid: str
    idp_id: str

    @classmethod
    def from_userinfo(cls, userinfo: dict) -> "ProConnectClaims":
        def text(name: str) -> str:
            value = userinfo.get(name)
            return value.strip() if isinstance(value, str) else ""

        return cls(
            email=text("email"),
            given_name=text("given_name"),
            usual_name=text("usual_name"),
            # Some identity providers print the SIRET with spaces, as INSEE does.
            siret=text("siret").replace(" ", ""),
            uid=text("uid"),
            idp_id=text("idp_id"),
        )

    @property
    def siren(self) -> str:
        """The SIREN of the establishment, "" when the SIRET is not one."""
        return self.siret[:9] if SIRET_PATTERN.match(self.siret) else ""


class ProConnectRefused(Exception):
    """A verified ProConnect identity that does not open a session here; `message` tells the person why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class ProConnectLogin:
    agent: Agent
    structure: Collectivite | None  # whose SIREN the SIRET matched; None when no collectivité was expected

    def identity(self, claims: ProConnectClaims, *, amr: tuple[str, ...] = ()) -> SessionIdentity:
        return SessionIdentity(
            siret=claims.siret,
            idp_id=claims.idp_id,
            uid=claims.uid,
            structure=self.structure.name if self.structure else "",
            amr=amr,
        )


def _printable(text: str, limit: int) -> str:
    """The text as the journal and the pages may show it: no control character (PostgreSQL's JSON refuses NUL)."""
    return "".join(character if character.isprintable() else "?" for character in text[:limit])


def _refuse(
    *,
    reason: str,
    message: str,
    claims: ProConnectClaims,
    actor: Agent | None = None,
    territoire: Territoire | None = None,
    target: models.Model | None = None,
) -> NoReturn:
    # Written outside any transaction that is being rolled back: the refusal stays in the journal.
    journal_record(
        action=REFUSED,
        actor=actor,
        territoire=territoire,
        target=target,
        data={"reason": reason, "email": _printable(claims.email, 254), "siret": _printable(claims.siret, 64)},
    )
    raise ProConnectRefused(reason, message)


def _with_their_epcis(collectivites: Iterable[Collectivite]) -> list[Collectivite]:
    """The collectivités, then the EPCI of each of their territories: EPCI staff act for the communes
    (mutualised services), so the EPCI's SIRET is accepted for a commune's agent."""
    expected = {collectivite.pk: collectivite for collectivite in collectivites}  # in order, once each
    territoires = {collectivite.territoire_id for collectivite in expected.values()}
    for epci in Collectivite.objects.filter(territoire_id__in=territoires, kind=Collectivite.Kind.EPCI):
        expected.setdefault(epci.pk, epci)
    return list(expected.values())


def _expected_for_agent(agent: Agent) -> list[Collectivite]:
    """The agent's employer, the collectivités they represent, and the EPCIs of those territories."""
    own = [agent.collectivite] if agent.collectivite_id else []
    memberships = Membership.objects.active().filter(agent=agent).select_related("collectivite")
    return _with_their_epcis([*own, *(m.collectivite for m in memberships)])


def _expected_for_invitations(invitations: list[Invitation]) -> list[Collectivite]:
    """The collectivités the person is invited to represent, and the EPCIs of those territories."""
    return _with_their_epcis(i.collectivite for i in invitations if i.collectivite_id)


def _names(collectivites: list[Collectivite]) -> str:
    names = [f"{c.name} (SIREN {c.siren})" for c in collectivites]
    if len(names) == 1:
        return names[0]
    return _("%(first)s ou %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def _matching(claims: ProConnectClaims, expected: list[Collectivite]) -> Collectivite | None:
    """The expected collectivité whose SIREN begins the SIRET, or None."""
    return next((c for c in expected if claims.siren and c.siren == claims.siren), None)


def _refuse_siret(
    claims: ProConnectClaims, expected: list[Collectivite], *, actor: Agent | None, target: models.Model
) -> NoReturn:
    siret = SessionIdentity(siret=claims.siret, idp_id="", uid="", structure="").siret_display or _("(aucun)")
    _refuse(
        reason="siret_mismatch",
        message=_(
            "Votre identité ProConnect est rattachée au SIRET %(siret)s, qui n'est pas celui de %(expected)s. "
            "Connectez-vous avec l'identité ProConnect de votre collectivité, ou demandez au DGS de votre EPCI "
            "de corriger votre rattachement."
        )
        % {"siret": _printable(siret, 64), "expected": _names(expected)},
        claims=claims,
        actor=actor,
        territoire=expected[0].territoire,
        target=target,
    )


def _structure_for(
    claims: ProConnectClaims,
    expected: list[Collectivite],
    *,
    actor: Agent | None,
    target: models.Model,
) -> Collectivite | None:
    """The expected collectivité whose SIREN begins the SIRET; None when none is expected (a facilitator,
    employed elsewhere: the SIRET is recorded as it came). Refuses any other SIRET."""
    if not expected:
        return None
    structure = _matching(claims, expected)
    if structure is None:
        _refuse_siret(claims, expected, actor=actor, target=target)
    return structure


class _SiretMismatch(Exception):
    """Raised inside the transaction that created the account, to roll it back before refusing."""

    def __init__(self, expected: list[Collectivite]) -> None:
        super().__init__("siret_mismatch")
        self.expected = expected


def _invited_agent_create(claims: ProConnectClaims, invitations: list[Invitation]) -> ProConnectLogin:
    """Create the invited person's account, accept their invitations, then check the SIRET against the
    invitations that were accepted, and only those; or refuse (then no account is left behind).

    The employer is the collectivité of an accepted invitation: the one the SIRET matched, else the first.
    """
    # Member invitations first: a facilitator invitation to a territory one has just joined is refused.
    invitations = sorted(invitations, key=lambda invitation: invitation.is_facilitator)
    errors: list[tuple[Invitation, ValidationError]] = []
    try:
        with transaction.atomic():
            # No employer yet: it must come from an invitation that is actually accepted below.
            agent = agent_create(
                email=claims.email,
                first_name=claims.given_name[:150],
                last_name=claims.usual_name[:150],
                password=None,  # ProConnect is this person's way in; a password can be chosen later (« oubli »)
            )
            accepted: list[Invitation] = []
            for invitation in invitations:
                try:
                    with transaction.atomic():
                        invitation_accept(invitation=invitation, agent=agent)
                except ValidationError as error:
                    errors.append((invitation, error))
                else:
                    accepted.append(invitation)
            if not accepted:
                raise errors[0][1]  # rolls the account back
            expected = _expected_for_invitations(accepted)
            structure = _matching(claims, expected) if expected else None
            if expected and structure is None:
                raise _SiretMismatch(expected)  # rolls the account and the acceptances back
            joined = [i.collectivite for i in accepted if i.collectivite_id]
            employer = structure if structure in joined else next(iter(joined), None)
            if employer is not None:
                agent.collectivite = employer
                agent.save(update_fields=["collectivite"])
    except ValidationError as error:
        invitation = errors[0][0] if errors else invitations[0]
        _refuse(
            reason="invitation_invalid",
            message=" ".join(error.messages),
            claims=claims,
            territoire=invitation.territoire,
            target=invitation,
        )
    except _SiretMismatch as mismatch:
        _refuse_siret(claims, mismatch.expected, actor=None, target=invitations[0])
    return ProConnectLogin(agent=agent, structure=structure)


def _email_usable(email: str) -> bool:
    # ASCII only: PostgreSQL compares case-insensitively with UPPER(), for which « ı » is « I » and « ſ » is « S »;
    # a lookalike address must never reach the account or the invitations of the address it imitates.
    if not email.isascii():
        return False
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


def proconnect_login_accept(*, claims: ProConnectClaims) -> ProConnectLogin:
    """The agent a verified ProConnect identity opens a session for, and the structure its SIRET matched.

    The address must be an ASCII e-mail address; it is compared, lower-cased, with the lower-cased addresses
    of the accounts and invitations, exactly. It must be an active agent's — or, when nobody has it, the
    address of pending invitations: the account is then created without a usable password and the invitations
    are accepted (`communes.services.invitation_accept`, whose refusals are passed on). Nobody gets an account
    by merely logging in. The SIRET's SIREN must be that of the agent's employer, of a collectivité they
    represent (or, for a newcomer, have just joined through an invitation), or of the EPCI of such a
    territory; with no collectivité to compare with, any SIRET is accepted and recorded. Every refusal writes
    `comptes.proconnect.refused` to the journal and raises `ProConnectRefused` with a French message.
    """
    if not _email_usable(claims.email):
        _refuse(
            reason="email_invalid",
            message=_(
                "ProConnect a transmis l'adresse électronique « %(email)s », que CoDir de territoire ne peut pas "
                "accepter : seules les adresses sans accent ni caractère spécial sont reconnues. Connectez-vous "
                "avec votre adresse électronique et votre mot de passe, ou adressez-vous au DGS de votre EPCI."
            )
            % {"email": _printable(claims.email, 254)},
            claims=claims,
        )
    email = claims.email.lower()
    agent = Agent.objects.with_email(email).select_related("collectivite__territoire").first()
    if agent is not None:
        if not agent.is_active:
            _refuse(
                reason="inactive",
                message=_(
                    "Votre compte CoDir de territoire (%(email)s) est désactivé. Adressez-vous au DGS de votre EPCI."
                )
                % {"email": agent.email},
                claims=claims,
                actor=agent,
                territoire=agent.collectivite.territoire if agent.collectivite else None,
                target=agent,
            )
        structure = _structure_for(claims, _expected_for_agent(agent), actor=agent, target=agent)
        return ProConnectLogin(agent=agent, structure=structure)

    invitations = list(
        Invitation.objects.pending()
        .alias(email_lower=Lower("email"))
        .filter(email_lower=email)
        .select_related("collectivite", "territoire", "invited_by")
    )
    if not invitations:
        _refuse(
            reason="unknown_email",
            message=_(
                "Aucun compte ni invitation ne correspond à l'adresse %(email)s : "
                "demandez au DGS de votre EPCI de vous inviter."
            )
            % {"email": claims.email},
            claims=claims,
        )
    return _invited_agent_create(claims, invitations)
