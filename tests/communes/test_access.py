"""`territoire_access` reads a member's territory and permissions on it in one query, and stays exact."""

import pytest
from django.http import Http404
from guardian.shortcuts import assign_perm, remove_perm

from communes import services
from communes.access import holds_permission, territoire_access

pytestmark = pytest.mark.django_db


def test_a_member_s_access_is_one_query_and_follows_their_permissions(
    mortagne, achards, dgs_epci, dgs_commune, django_assert_num_queries
):
    territoire_access(dgs_epci, mortagne.slug)  # warms the process's content-type cache
    with django_assert_num_queries(1):
        access = territoire_access(dgs_commune, mortagne.slug)
    assert access.is_member and not access.is_admin and not access.is_facilitator
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    assert territoire_access(dgs_commune, mortagne.slug).is_admin
    # A permission on another territory (same primary key space, other object) grants nothing here.
    assign_perm("communes.facilitate_territoire", dgs_commune, achards)
    assert not territoire_access(dgs_commune, mortagne.slug).is_facilitator
    remove_perm("communes.administer_territoire", dgs_commune, mortagne)
    assert not territoire_access(dgs_commune, mortagne.slug).is_admin


def test_a_facilitator_reads_the_territory_then_their_permissions(mortagne, achards, facilitateur, outsider):
    access = territoire_access(facilitateur, mortagne.slug)
    assert access.is_facilitator and access.membership is None and not access.is_admin
    with pytest.raises(Http404):
        territoire_access(facilitateur, achards.slug)
    with pytest.raises(Http404):
        territoire_access(outsider, mortagne.slug)


def test_a_superuser_gets_no_shortcut_on_object_permissions(mortagne, dgs_commune):
    dgs_commune.is_superuser = True
    dgs_commune.save(update_fields=["is_superuser"])
    assert dgs_commune.has_perm("communes.administer_territoire", mortagne)  # guardian's shortcut
    assert not holds_permission(dgs_commune, "communes.administer_territoire", mortagne)
    assert not territoire_access(dgs_commune, mortagne.slug).is_admin
