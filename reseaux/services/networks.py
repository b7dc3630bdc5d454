"""The professional networks: their creation, members and référents (dated), events, resources, and the
exchanges between agents. Référents lead their network through the `lead_reseau` object permission."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from communes.journal import journal_record
from communes.models import Agent, Collectivite, Membership, Territoire
from communes.text import clean_text, render_markdown
from reseaux.cartography import invalidate
from reseaux.models import Echange, Evenement, MembreReseau, Participation, Projet, Reseau, Ressource

LEAD_PERMISSION = "reseaux.lead_reseau"


def _acting_for(territoire: Territoire, agent: Agent) -> Collectivite:
    """The collectivité an agent acts for in the territory; only its active members join networks."""
    membership = (
        Membership.objects.active()
        .filter(territoire=territoire, agent=agent, agent__is_active=True)
        .exclude(role=Membership.Role.OBSERVATEUR)  # élus observe; the networks are the agents'
        .select_related("collectivite")
        .first()
    )
    if membership is None:
        raise ValidationError({"agent": _("%(agent)s n'est pas membre du territoire.") % {"agent": agent}})
    return membership.collectivite


def sync_referent_permissions(reseau: Reseau) -> None:
    """The network's active référents lead it; nobody else holds the permission."""
    should = set(
        reseau.membres.filter(role=MembreReseau.Role.REFERENT, until__isnull=True).values_list("agent_id", flat=True)
    )
    has = set(
        get_users_with_perms(reseau, only_with_perms_in=["lead_reseau"], with_superusers=False).values_list(
            "pk", flat=True
        )
    )
    for agent in Agent.objects.filter(pk__in=should - has):
        assign_perm(LEAD_PERMISSION, agent, reseau)
    for agent in Agent.objects.filter(pk__in=has - should):
        remove_perm(LEAD_PERMISSION, agent, reseau)


@transaction.atomic
def reseau_create(
    *,
    territoire: Territoire,
    by: Agent,
    name: str,
    kind: str,
    description: str = "",
    projet: Projet | None = None,
    referents: list[Agent] | tuple = (),
    created_on: date | None = None,
) -> Reseau:
    """Create a network; its référents (its creator when none is named) join it and lead it."""
    if projet is not None and projet.territoire_id != territoire.pk:
        raise ValidationError({"projet": _("Ce projet n'appartient pas au territoire.")})
    if kind == Reseau.Kind.PROJET and projet is None:
        raise ValidationError({"projet": _("Un réseau projet suit un projet du portefeuille : choisissez-le.")})
    if kind != Reseau.Kind.PROJET:
        projet = None
    if Reseau.objects.filter(territoire=territoire, name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("Un réseau porte déjà ce nom.")})
    description = clean_text(description)
    reseau = Reseau(
        territoire=territoire,
        name=name.strip(),
        kind=kind,
        description=description,
        description_html=render_markdown(description),
        projet=projet,
        created_on=created_on or timezone.localdate(),
        created_by=by,
    )
    reseau.full_clean()
    reseau.save()
    for agent in referents or [by]:
        MembreReseau.objects.create(
            reseau=reseau,
            agent=agent,
            collectivite=_acting_for(territoire, agent),
            role=MembreReseau.Role.REFERENT,
            since=reseau.created_on,
        )
    sync_referent_permissions(reseau)
    journal_record(
        action="reseaux.reseau.created",
        actor=by,
        territoire=territoire,
        target=reseau,
        data={"kind": kind, "referents": [str(agent) for agent in referents or [by]]},
    )
    return reseau


def _keep_a_referent(membre: MembreReseau) -> None:
    """An open network keeps at least one référent: the last one names a successor before stepping back."""
    if membre.role != MembreReseau.Role.REFERENT or membre.reseau.closed_on is not None:
        return
    others = membre.reseau.membres.filter(role=MembreReseau.Role.REFERENT, until__isnull=True).exclude(pk=membre.pk)
    if not others.exists():
        raise ValidationError(_("Un réseau garde au moins un·e référent·e : nommez d'abord son ou sa successeur."))


@transaction.atomic
def membre_add(
    *, reseau: Reseau, by: Agent, agent: Agent, role: str = MembreReseau.Role.MEMBRE, since: date | None = None
) -> MembreReseau:
    """An agent of the territory joins the network, for the collectivité they act for."""
    if role not in MembreReseau.Role.values:
        raise ValidationError({"role": _("Rôle inconnu : référent·e ou membre.")})
    # Lock the network first: one active membership per agent even when racing, and none once it is closed.
    reseau = Reseau.objects.select_for_update().select_related("territoire").get(pk=reseau.pk)
    if reseau.closed_on is not None:
        raise ValidationError(_("Ce réseau est clos."))
    if reseau.membres.filter(agent=agent, until__isnull=True).exists():
        raise ValidationError({"agent": _("%(agent)s est déjà membre du réseau.") % {"agent": agent}})
    membre = MembreReseau(
        reseau=reseau,
        agent=agent,
        collectivite=_acting_for(reseau.territoire, agent),
        role=role,
        since=since or timezone.localdate(),
    )
    membre.full_clean()
    membre.save()
    sync_referent_permissions(reseau)
    journal_record(
        action="reseaux.membre.added",
        actor=by,
        territoire=reseau.territoire,
        target=reseau,
        data={"agent": str(agent), "collectivite": membre.collectivite.name, "role": role},
    )
    return membre


@transaction.atomic
def membre_end(*, membre: MembreReseau, by: Agent, until: date | None = None) -> MembreReseau:
    """An agent leaves the network; the period stays, so the map of an earlier date still shows the tie."""
    Reseau.objects.select_for_update().get(pk=membre.reseau_id)  # serialise the changes of one network
    membre = MembreReseau.objects.select_related("reseau__territoire").get(pk=membre.pk)
    if membre.until is not None:
        raise ValidationError(_("Cette personne a déjà quitté le réseau."))
    _keep_a_referent(membre)
    membre.until = until or timezone.localdate()
    membre.full_clean()
    membre.save(update_fields=["until"])
    sync_referent_permissions(membre.reseau)
    journal_record(
        action="reseaux.membre.ended",
        actor=by,
        territoire=membre.reseau.territoire,
        target=membre.reseau,
        data={"agent": str(membre.agent), "until": membre.until.isoformat()},
    )
    return membre


@transaction.atomic
def membre_set_role(*, membre: MembreReseau, by: Agent, role: str) -> MembreReseau:
    """Make a member référent, or a référent a plain member; the journal keeps the change."""
    if role not in MembreReseau.Role.values:
        raise ValidationError({"role": _("Rôle inconnu : référent·e ou membre.")})
    Reseau.objects.select_for_update().get(pk=membre.reseau_id)  # serialise the changes of one network
    membre = MembreReseau.objects.select_related("reseau__territoire").get(pk=membre.pk)
    if membre.until is not None:
        raise ValidationError(_("Cette personne a quitté le réseau."))
    if membre.reseau.closed_on is not None:
        raise ValidationError(_("Ce réseau est clos."))
    if role != membre.role:
        _keep_a_referent(membre)
    before, membre.role = membre.role, role
    membre.save(update_fields=["role"])
    sync_referent_permissions(membre.reseau)
    journal_record(
        action="reseaux.membre.role",
        actor=by,
        territoire=membre.reseau.territoire,
        target=membre.reseau,
        data={"agent": str(membre.agent), "role": role, "before": before},
    )
    return membre


@transaction.atomic
def reseau_close(*, reseau: Reseau, by: Agent, on: date | None = None) -> Reseau:
    """Close a network from a day on: its members leave it that day, its history stays."""
    on = on or timezone.localdate()
    reseau = Reseau.objects.select_for_update().get(pk=reseau.pk)
    if reseau.closed_on is not None:
        raise ValidationError(_("Ce réseau est déjà clos."))
    reseau.closed_on = on
    reseau.full_clean()
    latest = reseau.membres.filter(until__isnull=True).order_by("-since").values_list("since", flat=True).first()
    if latest is not None and on < latest:
        raise ValidationError(
            {"closed_on": _("Un membre a rejoint le réseau le %(jour)s : il se clôt ce jour-là au plus tôt.")
             % {"jour": latest.strftime("%d/%m/%Y")}}
        )  # fmt: skip
    reseau.save(update_fields=["closed_on"])
    reseau.membres.filter(until__isnull=True).update(until=on)
    transaction.on_commit(lambda: invalidate(reseau.territoire_id))
    sync_referent_permissions(reseau)
    journal_record(
        action="reseaux.reseau.closed", actor=by, territoire=reseau.territoire, target=reseau, data={"on": str(on)}
    )
    return reseau


@transaction.atomic
def evenement_create(
    *, reseau: Reseau, by: Agent, title: str, held_on: date, place: str = "", participants: list[Agent] | tuple = ()
) -> Evenement:
    """Record a network event and who attended it (members of the territory, for their collectivité)."""
    if reseau.closed_on is not None and held_on > reseau.closed_on:
        raise ValidationError(
            {"held_on": _("Ce réseau est clos depuis le %(jour)s.") % {"jour": reseau.closed_on.strftime("%d/%m/%Y")}}
        )
    evenement = Evenement(reseau=reseau, title=title.strip(), held_on=held_on, place=place.strip(), created_by=by)
    evenement.full_clean()
    evenement.save()
    Participation.objects.bulk_create(
        Participation(evenement=evenement, agent=agent, collectivite=_acting_for(reseau.territoire, agent))
        for agent in {agent.pk: agent for agent in participants}.values()
    )
    transaction.on_commit(lambda: invalidate(reseau.territoire_id))
    journal_record(
        action="reseaux.evenement.created",
        actor=by,
        territoire=reseau.territoire,
        target=reseau,
        data={"evenement": evenement.title, "held_on": held_on.isoformat(), "participants": len(participants)},
    )
    return evenement


@transaction.atomic
def ressource_add(*, reseau: Reseau, by: Agent, title: str, url: str) -> Ressource:
    """Share a link with the network."""
    if reseau.closed_on is not None:
        raise ValidationError(_("Ce réseau est clos."))
    ressource = Ressource(reseau=reseau, title=title.strip(), url=url.strip(), added_by=by)
    ressource.full_clean()
    ressource.save()
    journal_record(
        action="reseaux.ressource.added",
        actor=by,
        territoire=reseau.territoire,
        target=reseau,
        data={"title": ressource.title, "url": ressource.url},
    )
    return ressource


@transaction.atomic
def ressource_withdraw(*, ressource: Ressource, by: Agent) -> Ressource:
    """Withdraw a shared resource from the network's page; the row stays."""
    if ressource.withdrawn_at is not None:
        raise ValidationError(_("Cette ressource est déjà retirée."))
    ressource.withdrawn_at = timezone.now()
    ressource.save(update_fields=["withdrawn_at"])
    journal_record(
        action="reseaux.ressource.withdrawn",
        actor=by,
        territoire=ressource.reseau.territoire,
        target=ressource.reseau,
        data={"title": ressource.title},
    )
    return ressource


@transaction.atomic
def echange_record(
    *,
    territoire: Territoire,
    by: Agent,
    kind: str,
    host: Agent,
    guest: Agent,
    starts_on: date,
    ends_on: date,
    theme: str,
    learnt: str = "",
) -> Echange:
    """Record an immersion or an exchange between agents of two collectivités of the territory."""
    if kind not in Echange.Kind.values:
        raise ValidationError({"kind": _("Nature d'échange inconnue.")})
    if host.pk == guest.pk:
        raise ValidationError({"guest": _("Un échange réunit deux personnes.")})
    host_collectivite, guest_collectivite = _acting_for(territoire, host), _acting_for(territoire, guest)
    if host_collectivite.pk == guest_collectivite.pk:
        raise ValidationError({"guest": _("Un échange relie deux collectivités différentes.")})
    echange = Echange(
        territoire=territoire,
        kind=kind,
        host=host,
        host_collectivite=host_collectivite,
        guest=guest,
        guest_collectivite=guest_collectivite,
        starts_on=starts_on,
        ends_on=ends_on,
        theme=theme.strip(),
        learnt=clean_text(learnt).strip(),
        recorded_by=by,
    )
    echange.full_clean()
    echange.save()
    journal_record(
        action="reseaux.echange.recorded",
        actor=by,
        territoire=territoire,
        target=echange,
        data={"kind": kind, "host": str(host), "guest": str(guest), "theme": echange.theme},
    )
    return echange


@transaction.atomic
def membres_end_with_membership(*, territoire_id: int, agent_id: int, on: date) -> int:
    """Someone who leaves the territory leaves its networks the same day (never before joining one); their
    periods stay in the history. Returns how many network memberships ended."""
    open_ = MembreReseau.objects.select_for_update(of=("self",)).filter(
        reseau__territoire_id=territoire_id, agent_id=agent_id, until__isnull=True
    )
    reseaux = set()
    for membre in open_:
        membre.until = max(on, membre.since)
        membre.save(update_fields=["until"])
        reseaux.add(membre.reseau_id)
    for reseau in Reseau.objects.filter(pk__in=reseaux):
        sync_referent_permissions(reseau)
    if reseaux:
        transaction.on_commit(lambda: invalidate(territoire_id))
    return len(reseaux)
