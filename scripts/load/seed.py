"""Data of the load test, written through the application's services (run by scripts/load.sh).

    python scripts/load/seed.py agents --count 200 --password …
        200 agents of the demo territory (after `manage.py demo`), with the roles of a real territory.
    python scripts/load/seed.py plan --meetings 8 --first 20 --last 80 --out plan.json
        CoDir meetings whose dispatch deadline falls during the run, meetings further ahead that receive
        agenda items, and the plan the locustfile reads (accounts, pages, forms to post to).

No agent created here must pass a second factor: the roles that require one (the EPCI's DGS, administrators,
facilitators, staff) are never given, so the locustfile logs in with the password only, as these agents do.
"""

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codir.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from charte.selectors import rules_in_force  # noqa: E402
from codir import dispatch  # noqa: E402
from codir import services as meetings  # noqa: E402
from codir.management.commands.demo import MORTAGNE_SIREN  # noqa: E402
from codir.models import Reunion  # noqa: E402
from communes import services  # noqa: E402
from communes.models import Agent, Collectivite, Membership, Seat, Territoire  # noqa: E402
from comptes.second_factor.policy import second_factor_required  # noqa: E402
from decisions.models import Proposition  # noqa: E402
from reseaux.models import Projet, Reseau  # noqa: E402

EMAIL = "agent{:03d}@charge.test"
LOAD_TITLE = "CoDir (test de charge)"
# One observer in ten (elected members who read), the others the staff of the communes and of the EPCI.
ROLES = [
    Membership.Role.REFERENT,
    Membership.Role.SG,
    Membership.Role.DGA,
    Membership.Role.REFERENT,
    Membership.Role.SG,
    Membership.Role.REFERENT,
    Membership.Role.SG,
    Membership.Role.DGA,
    Membership.Role.REFERENT,
    Membership.Role.OBSERVATEUR,
]
WRITING_ROLES = {Membership.Role.DGS, Membership.Role.DGA, Membership.Role.SG, Membership.Role.REFERENT}


def territoire() -> Territoire:
    return Territoire.objects.get(siren=MORTAGNE_SIREN)


def convener() -> Agent:
    """The EPCI's DGS, who plans the meetings in the demo."""
    return Agent.objects.get(email="dgs.epci@paysdemortagne.test")


@transaction.atomic
def create_agents(count: int, password: str) -> None:
    t = territoire()
    places = list(Collectivite.objects.for_territoire(t).active().order_by("kind", "name"))
    hashed = None
    for index in range(1, count + 1):
        email = EMAIL.format(index)
        if Agent.objects.filter(email=email).exists():
            continue
        place = places[index % len(places)]
        agent = services.agent_create(
            email=email,
            first_name="Agent",
            last_name=f"Charge {index:03d}",
            # The first account checks the password against the validators; the others get its hash, because
            # hashing 200 times costs a minute of CPU at the production cost, for the same result.
            password=password if hashed is None else None,
            collectivite=place,
            job_title="Agent (test de charge)",
        )
        if hashed is None:
            hashed = agent.password
        else:
            Agent.objects.filter(pk=agent.pk).update(password=hashed)
        services.membership_add(territoire=t, agent=agent, collectivite=place, role=ROLES[index % len(ROLES)], by=None)
    # The collectivités nobody speaks for yet get a titulaire among these agents: they express positions.
    for place in places:
        if Seat.objects.active().filter(collectivite=place, kind=Seat.Kind.TITULAIRE).exists():
            continue
        member = (
            Membership.objects.active()
            .filter(territoire=t, collectivite=place, agent__email__endswith="@charge.test", role__in=WRITING_ROLES)
            .order_by("agent__email")
            .first()
        )
        if member is not None:
            services.seat_assign(collectivite=place, kind=Seat.Kind.TITULAIRE, membership=member, by=None)
    mandatory = [a.email for a in Agent.objects.filter(email__endswith="@charge.test") if second_factor_required(a)]
    if mandatory:
        raise SystemExit(f"Ces comptes devraient passer la double authentification : {mandatory}")
    print(
        f"{Agent.objects.filter(email__endswith='@charge.test').count()} agents de charge, sans second facteur requis"
    )


@transaction.atomic
def create_plan(*, meetings_count: int, first: float, last: float, future: int, out: Path) -> None:
    t = territoire()
    by = convener()
    now = timezone.now()
    notice = timedelta(hours=rules_in_force(t, now).delai_prevenance_heures)
    places = list(Collectivite.objects.for_territoire(t).active().order_by("name"))
    speakers = {
        seat.collectivite_id: seat.membership.agent
        for seat in Seat.objects.active().filter(collectivite__territoire=t).select_related("membership__agent")
    }

    def plan_meeting(number: int, deadline, title: str) -> Reunion:
        place = places[number % len(places)]
        starts_at = deadline + notice  # the deadline is the start minus the charter's notice
        reunion = meetings.reunion_create(
            territoire=t,
            by=by,
            title=f"{title} n° {number}",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            place=f"Mairie de {place.name}",
            host=place,
            animateur=speakers.get(place.pk),
        )
        # An agenda that goes out empty would not be realistic (and its convener would be reminded).
        meetings.point_add(
            reunion=reunion,
            by=speakers.get(place.pk, by),
            title=f"Point d'information de {place.name}",
            description="Présentation **courte**, suivie d'un échange.",
            presenter=place,
        )
        return reunion

    step = (last - first) / max(meetings_count - 1, 1)
    dispatched = [
        plan_meeting(n + 1, now + timedelta(seconds=first + n * step), LOAD_TITLE) for n in range(meetings_count)
    ]
    ahead = [plan_meeting(n + 1, now + timedelta(days=7 + n), "CoDir à venir") for n in range(future)]
    for reunion in dispatched + ahead:
        assert dispatch.dispatch_deadline(reunion) > now

    accounts = []
    for membership in (
        Membership.objects.active()
        .filter(territoire=t, agent__email__endswith="@charge.test")
        .select_related("agent")
        .order_by("agent__email")
    ):
        accounts.append(
            {
                "email": membership.agent.email,
                "writes": membership.role in WRITING_ROLES,
                "votes": Seat.objects.active().filter(membership=membership, kind=Seat.Kind.TITULAIRE).exists(),
            }
        )
    # Those who speak for a collectivité first: the locustfile hands accounts out in this order.
    accounts.sort(key=lambda account: not account["votes"])
    plan = {
        "slug": t.slug,
        "accounts": accounts,
        # Items may be added until the deadline; the locustfile stops adding a few seconds before it.
        "reunions": [
            {
                "id": r.pk,
                "deadline": dispatch.dispatch_deadline(r).timestamp(),
                "dispatched_during_run": r in dispatched,
            }
            for r in dispatched + ahead
        ],
        "past_reunions": list(
            Reunion.objects.for_territoire(t).filter(dispatched_at__isnull=False).values_list("pk", flat=True)
        ),
        "propositions": list(
            Proposition.objects.filter(
                territoire=t, status=Proposition.Status.OUVERTE, closes_at__gt=now + timedelta(hours=1)
            ).values_list("pk", flat=True)
        ),
        # Drafts are their author's alone (404 to the others).
        "all_propositions": list(
            Proposition.objects.filter(territoire=t)
            .exclude(status=Proposition.Status.BROUILLON)
            .values_list("pk", flat=True)
        ),
        "projets": list(Projet.objects.for_territoire(t).values_list("pk", flat=True)),
        "reseaux": list(Reseau.objects.for_territoire(t).values_list("pk", flat=True)),
        "started_at": now.timestamp(),
    }
    out.write_text(json.dumps(plan, indent=1))
    print(
        f"{len(dispatched)} réunions dont l'ordre du jour part pendant le test (échéances de +{first:.0f} s à "
        f"+{last:.0f} s), {len(ahead)} à venir ; {len(accounts)} comptes, "
        f"{sum(a['votes'] for a in accounts)} titulaires, {len(plan['propositions'])} propositions ouvertes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    agents = sub.add_parser("agents")
    agents.add_argument("--count", type=int, default=200)
    agents.add_argument("--password", required=True)
    plan = sub.add_parser("plan")
    plan.add_argument("--meetings", type=int, default=8)
    plan.add_argument("--first", type=float, default=20, help="première échéance, en secondes après maintenant")
    plan.add_argument("--last", type=float, default=80, help="dernière échéance, en secondes après maintenant")
    plan.add_argument("--future", type=int, default=6, help="réunions plus lointaines qui reçoivent des points")
    plan.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "agents":
        create_agents(args.count, args.password)
    else:
        create_plan(meetings_count=args.meetings, first=args.first, last=args.last, future=args.future, out=args.out)


if __name__ == "__main__":
    main()
