"""Who may see and run a territory's annual review.

Everyone with access to the territory (members, observers, its facilitators) reads its reviews;
members other than observers answer the questionnaire; only the territory's facilitators run the
review (stages, questionnaire, séminaire). Missing and not-yours both answer 404.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from codir.models import Campagne, RevueAnnuelle
from codir.revue.services import eligible
from communes.access import TerritoireAccess
from communes.models import Agent


def can_run(access: TerritoireAccess) -> bool:
    return access.is_facilitator


def can_answer(access: TerritoireAccess) -> bool:
    return eligible(access.membership)


def access_revue(access: TerritoireAccess, year: int, *, run: bool = False) -> RevueAnnuelle:
    """The territory's review of that year, or 404; with `run`, 403 unless a facilitator asks."""
    revue = get_object_or_404(
        RevueAnnuelle.objects.for_territoire(access.territoire).select_related(
            "territoire", "campagne", "facilitator", "proposition"
        ),
        year=year,
    )
    if run and not can_run(access):
        raise PermissionDenied
    return revue


def access_campagne(agent: Agent, campagne_id: int) -> Campagne:
    """A campaign is its facilitator's own: anyone else gets 404."""
    return get_object_or_404(Campagne.objects.filter(facilitator=agent, facilitator__is_active=True), pk=campagne_id)


def results_visible(revue: RevueAnnuelle) -> bool:
    """Questionnaire results appear once the answers are closed, to everyone alike, the facilitator
    included: read while answers still come in, two successive readings would give the last
    respondent's answers away (results at four answers minus results at three)."""
    return revue.stage in (RevueAnnuelle.Stage.SEMINAIRE, RevueAnnuelle.Stage.CLOTUREE)
