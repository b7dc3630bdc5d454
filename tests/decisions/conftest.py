from datetime import timedelta

import pytest
from django.utils import timezone

from communes.models import Membership, Seat
from decisions import services
from tests.conftest import make_member


@pytest.fixture
def open_proposition(mortagne, dgs_epci):
    """Open a proposition by the EPCI's DGS, closing in three days."""

    def create(**fields):
        fields.setdefault("title", "Mutualiser le service commun d'instruction des autorisations d'urbanisme")
        fields.setdefault("body", "Le service commun instruit **toutes** les autorisations à partir du 1er janvier.")
        proposition = services.proposition_create(territoire=mortagne, author=dgs_epci, **fields)
        return services.proposition_open(
            proposition=proposition, by=dgs_epci, closes_at=timezone.now() + timedelta(days=3)
        )

    return create


@pytest.fixture
def suppleant_commune(mortagne, dgs_commune):
    """The DGA of Mortagne-sur-Sèvre, its suppléant."""
    return make_member(
        mortagne, "Mortagne-sur-Sèvre", "dga@mortagne-sur-sevre.test", Membership.Role.DGA, Seat.Kind.SUPPLEANT
    )


@pytest.fixture
def voices(mortagne, dgs_epci, dgs_commune, sg_petite_commune):
    """Titulaires for four more communes, so that six of the twelve collectivités have a voice."""
    names = ["Chanverrie", "Saint-Laurent-sur-Sèvre", "La Gaubretière", "Tiffauges"]
    extra = [
        make_member(mortagne, name, f"dgs{i}@{i}.test", Membership.Role.DGS, Seat.Kind.TITULAIRE)
        for i, name in enumerate(names)
    ]
    return [dgs_epci, dgs_commune, sg_petite_commune, *extra]
