from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from codir import services
from communes.models import Collectivite

PARIS = ZoneInfo("Europe/Paris")


def paris(year, month, day, hour=9, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


TODAY = paris(2026, 12, 1, 9)  # the clock of these tests: the meeting of the fixtures is two weeks ahead


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """The services read `timezone.now()`: it is frozen so that dates in tests never go stale."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: TODAY)
    return TODAY


@pytest.fixture
def reunion(mortagne, dgs_epci, dgs_commune, sg_petite_commune):
    """A CoDir meeting on Tuesday 15 December 2026 at 9:00 in Mortagne-sur-Sèvre."""
    return services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir préparatoire au bureau communautaire",
        starts_at=paris(2026, 12, 15, 9),
        ends_at=paris(2026, 12, 15, 11),
        place="Mairie de Mortagne-sur-Sèvre, salle du conseil",
        host=Collectivite.objects.get(territoire=mortagne, name="Mortagne-sur-Sèvre"),
        animateur=dgs_commune,
    )


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
