from datetime import timedelta

import pytest
from django.utils import timezone

from charte import services
from decisions import services as decisions
from decisions.models import Proposition


def adopt(proposition: Proposition, agents, by):
    """Every given titulaire says pour, then the author closes: adopted under consent, quorum one half."""
    for agent in agents:
        decisions.position_express(proposition=proposition, agent=agent, choice="pour")
    return decisions.proposition_close(proposition=proposition, by=by)


@pytest.fixture
def in_three_days():
    return timezone.now() + timedelta(days=3)


@pytest.fixture
def charte_in_force(mortagne, dgs_epci, voices, in_three_days):
    """The starter charter, adopted by the collective: version 1 in force."""
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    proposition = services.draft_submit(version=draft, by=dgs_epci, closes_at=in_three_days)
    adopt(proposition, voices, dgs_epci)
    draft.refresh_from_db()
    return draft.charte
