"""Pilot permissions follow the memberships of the pilot collectivités.

`communes` (a lower room) knows no project: when someone joins, leaves or changes role for a
collectivité, this receiver re-syncs the projects that collectivité pilots.
"""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from communes.models import Membership


@receiver(post_save, sender=Membership, dispatch_uid="reseaux_pilot_permissions_follow_memberships")
def membership_saved(sender, instance: Membership, **kwargs) -> None:
    from reseaux.services import sync_pilot_permissions_for_collectivite

    transaction.on_commit(lambda: sync_pilot_permissions_for_collectivite(instance.collectivite_id))
