"""Receivers that keep derived state in step with the data it comes from.

- Pilot permissions follow the memberships of the pilot collectivités: `communes` (a lower room) knows no
  project, so when someone joins, leaves or changes role for a collectivité, the projects it pilots re-sync.
- The cached analyses of the graph of ties (reseaux.cartography) are invalidated when any of their sources
  changes. Bulk operations (bulk_create, update) send no signal: the services that use them invalidate too.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from communes.models import Agent, Collectivite, Membership
from communes.signals import territoires_imported
from reseaux.models import Contribution, Echange, Evenement, MembreReseau, Participation, Pilote, Projet, Reseau


@receiver(post_save, sender=Membership, dispatch_uid="reseaux_pilot_permissions_follow_memberships")
def membership_saved(sender, instance: Membership, **kwargs) -> None:
    if kwargs.get("raw"):  # a restore brings the permissions and network memberships back as they were
        return
    from reseaux.services import sync_pilot_permissions_for_collectivite

    transaction.on_commit(lambda: sync_pilot_permissions_for_collectivite(instance.collectivite_id))
    if instance.ended_at is not None:
        from django.utils import timezone

        from reseaux.services import membres_end_with_membership

        ended_on = timezone.localtime(instance.ended_at).date()
        transaction.on_commit(
            lambda: membres_end_with_membership(
                territoire_id=instance.territoire_id, agent_id=instance.agent_id, on=ended_on
            )
        )


# Each source of the graph, and how to find its territory.
GRAPH_SOURCES = {
    Membership: lambda m: m.territoire_id,
    Collectivite: lambda c: c.territoire_id,  # its name is on the map
    Reseau: lambda r: r.territoire_id,
    MembreReseau: lambda m: Reseau.objects.filter(pk=m.reseau_id).values_list("territoire_id", flat=True).first(),
    Evenement: lambda e: Reseau.objects.filter(pk=e.reseau_id).values_list("territoire_id", flat=True).first(),
    Participation: lambda p: (
        Evenement.objects.filter(pk=p.evenement_id).values_list("reseau__territoire_id", flat=True).first()
    ),
    Echange: lambda e: e.territoire_id,
    Projet: lambda p: p.territoire_id,
    Pilote: lambda p: Projet.objects.filter(pk=p.projet_id).values_list("territoire_id", flat=True).first(),
    Contribution: lambda c: Projet.objects.filter(pk=c.projet_id).values_list("territoire_id", flat=True).first(),
}


def graph_source_changed(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):  # a restore (loaddata, manage.py restore) clears the caches itself
        return
    from reseaux.cartography import invalidate

    territoire_id = GRAPH_SOURCES[sender](instance)
    if territoire_id is not None:
        transaction.on_commit(lambda: invalidate(territoire_id))


for model in GRAPH_SOURCES:
    post_save.connect(graph_source_changed, sender=model, dispatch_uid=f"reseaux_graph_{model.__name__}_saved")
    post_delete.connect(graph_source_changed, sender=model, dispatch_uid=f"reseaux_graph_{model.__name__}_deleted")


@receiver(post_save, sender=Agent, dispatch_uid="reseaux_graph_agent_saved")
def agent_saved(sender, instance: Agent, **kwargs) -> None:
    """An agent's name and job title are on the maps of every territory they belong to."""
    if kwargs.get("raw"):  # a restore (loaddata, manage.py restore) clears the caches itself
        return
    from reseaux.cartography import invalidate

    territoires = list(instance.memberships.values_list("territoire_id", flat=True).distinct())
    transaction.on_commit(lambda: [invalidate(territoire_id) for territoire_id in territoires])


@receiver(territoires_imported, dispatch_uid="reseaux_follow_imports")
def territoires_imported_received(sender, territoire_ids, ended, at, **kwargs) -> None:
    """An import changed collectivités in bulk: members of communes that left leave their networks, and the
    maps of the territories it touched are out of date."""
    from django.utils import timezone

    from reseaux.cartography import invalidate
    from reseaux.services import membres_end_with_membership

    for territoire_id, agent_id in ended:
        membres_end_with_membership(territoire_id=territoire_id, agent_id=agent_id, on=timezone.localtime(at).date())
    for territoire_id in territoire_ids:
        invalidate(territoire_id)
