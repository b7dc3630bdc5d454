"""The national benchmark (issue #11): how long each main page takes on the server and how many SQL queries it
makes, on the smallest and on the largest territory of the database, beside the ceiling — a bare Django view
that renders a template of the same size through the same middleware.

Requests go through Django's test client, in process: the time is the server's (URL resolution, middleware,
view, queries, template), without the network or the browser. Each page is requested once to warm the caches,
then `repeat` times; the median is kept. A page's ratio to the ceiling is what the issue bounds (at most 2×).
"""

import json
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from time import perf_counter

from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import path, reverse
from django.utils import timezone

from charte.models import Version
from codir.dispatch import dispatch_due, send_pending
from codir.models import Envoi, Reunion, RevueAnnuelle
from codir.revue.services import revue_create
from communes.importer import load_extract, territoires_import
from communes.models import Agent, Collectivite, Membership, Territoire
from communes.services import facilitator_grant
from comptes.second_factor import session_mark_verified
from decisions.models import Proposition
from reseaux import cartography
from reseaux.models import Projet

CEILING_PARAGRAPH = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 3


def ceiling_view(request: HttpRequest) -> HttpResponse:
    """The ceiling: the site's layout around `size` bytes of static paragraphs, no query of its own."""
    size = max(0, int(request.GET.get("size", "0") or 0))
    paragraphs = [CEILING_PARAGRAPH] * (size // (len(CEILING_PARAGRAPH) + 8) + 1)
    return render(request, "bench_ceiling.html", {"paragraphs": paragraphs})


def bench_urlpatterns() -> list:
    """The project's URLs and the ceiling view (codir.bench_urls, used only while benchmarking)."""
    return [path("__bench__/plafond/", ceiling_view, name="bench_ceiling")]


@dataclass
class Sample:
    """The objects of one territory that the pages name."""

    territoire: Territoire
    agent: Agent
    collectivites: int
    reunion: Reunion | None
    proposition: Proposition | None
    version: Version | None
    projet: Projet | None
    revue: RevueAnnuelle | None


# (label, URL name, kwargs from the sample or None when the sample lacks the object)
PAGES: list[tuple[str, str, Callable[[Sample], dict | None]]] = [
    ("accueil du territoire", "communes:territoire", lambda s: {}),
    ("calendrier des réunions", "codir:calendar", lambda s: {}),
    ("ordre du jour", "codir:reunion", lambda s: s.reunion and {"reunion_id": s.reunion.pk}),
    ("décision", "decisions:proposition", lambda s: s.proposition and {"proposition_id": s.proposition.pk}),
    ("registre des décisions", "decisions:register", lambda s: {}),
    ("charte", "charte:charte", lambda s: {}),
    (
        "comparaison de versions",
        "charte:diff",
        lambda s: s.version and s.version.number > 1 and {"number": s.version.number - 1, "other": s.version.number},
    ),
    ("portefeuille de projets", "reseaux:portfolio", lambda s: {}),
    ("projet", "reseaux:projet", lambda s: s.projet and {"projet_id": s.projet.pk}),
    ("carte des réseaux", "reseaux_net:carte", lambda s: {}),
    ("rapport de la revue annuelle", "revue:rapport", lambda s: s.revue and {"year": s.revue.year}),
    ("API : réunions", "api:reunion-list", lambda s: {}),
    ("API : réunion", "api:reunion-detail", lambda s: s.reunion and {"pk": s.reunion.pk}),
    ("API : propositions", "api:proposition-list", lambda s: {}),
    ("API : projets", "api:projet-list", lambda s: {}),
]


@dataclass
class PageResult:
    page: str
    size: str  # "petit" or "grand"
    territoire: str
    url: str
    status: int
    queries: int
    median_ms: float
    bytes: int
    ceiling_ms: float
    ratio: float


@dataclass
class BenchResult:
    database: str
    territoires: int
    agents: int
    repeat: int
    pages: list[PageResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


def sample_of(territoire: Territoire) -> Sample | None:
    """The EPCI's DGS (or any director) and the latest objects of each kind; None for a territory nobody uses."""
    membership = (
        Membership.objects.active()
        .filter(territoire=territoire, role=Membership.Role.DGS, collectivite__kind=Collectivite.Kind.EPCI)
        .select_related("agent")
        .first()
    ) or Membership.objects.active().filter(territoire=territoire).select_related("agent").first()
    if membership is None:
        return None
    return Sample(
        territoire=territoire,
        agent=membership.agent,
        collectivites=territoire.collectivites.count(),
        reunion=Reunion.objects.filter(territoire=territoire).order_by("-starts_at").first(),
        proposition=Proposition.objects.for_territoire(territoire).order_by("-pk").first(),
        version=Version.objects.filter(charte__territoire=territoire).order_by("-number").first(),
        # One the agent's collectivité pilots when there is one: the project page's queries depend on the
        # reader's role (a pilot's permission is checked), and both sizes must be read by the same role.
        projet=(
            Projet.objects.for_territoire(territoire)
            .filter(pilotes__collectivite=membership.collectivite_id)
            .order_by("-pk")
            .first()
            or Projet.objects.for_territoire(territoire).order_by("-pk").first()
        ),
        revue=RevueAnnuelle.objects.filter(territoire=territoire).order_by("-year").first(),
    )


def extremes() -> tuple[Territoire, Territoire]:
    """The smallest and the largest territory that have members, by number of collectivités."""
    used = (
        Territoire.objects.filter(memberships__ended_at__isnull=True)
        .annotate(size=Count("collectivites", distinct=True))
        .order_by("size", "pk")
    )
    smallest, largest = used.first(), used.last()
    if smallest is None:
        raise ValueError("Aucun territoire n'a de membres : générez d'abord des données (generate_national ou demo).")
    return smallest, largest


def _client_for(agent: Agent) -> Client:
    client = Client()
    client.force_login(agent)
    session = client.session
    session_mark_verified(session, agent=agent, kind="bench")  # the benchmark measures pages, not the login
    session.save()
    return client


def _measure(client: Client, url: str, repeat: int) -> tuple[int, int, float, int]:
    """(status, queries, median milliseconds, bytes) of `repeat` requests after a warm-up one."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    # Counted now: each request clears the connection's query log (django.db.reset_queries on request_started).
    query_count = len(queries)
    durations = []
    for _ in range(repeat):
        started = perf_counter()
        client.get(url)
        durations.append((perf_counter() - started) * 1000)
    return response.status_code, query_count, statistics.median(durations), len(response.content)


def _measure_page(
    result: "BenchResult",
    client: Client,
    label: str,
    size: str,
    where: str,
    url: str,
    repeat: int,
    ceilings: dict[int, float],
    progress: Callable[[str], None] | None,
) -> None:
    status, queries, median_ms, size_bytes = _measure(client, url, repeat)
    bucket = max(1, round(size_bytes / 4096)) * 4096  # one ceiling per 4 KB of page
    if bucket not in ceilings:
        ceilings[bucket] = _measure(client, f"{reverse('bench_ceiling')}?size={bucket}", repeat)[2]
    result.pages.append(
        PageResult(
            page=label,
            size=size,
            territoire=where,
            url=url,
            status=status,
            queries=queries,
            median_ms=round(median_ms, 2),
            bytes=size_bytes,
            ceiling_ms=round(ceilings[bucket], 2),
            ratio=round(median_ms / ceilings[bucket], 2),
        )
    )
    if progress is not None:
        progress(f"{size} · {label} : {median_ms:.1f} ms, {queries} requêtes")


def _bench_facilitator(email: str, territoires: list[Territoire]) -> Agent:
    """A facilitator accompanying these territories: the national data set has none, so the benchmark makes
    one inside its rolled-back transaction."""
    facilitator = Agent.objects.create_user(email, first_name="Banc")
    for territoire in territoires:
        facilitator_grant(territoire=territoire, agent=facilitator, by=None)
    return facilitator


def _open_reviews(territoires: list[Territoire]) -> None:
    """This year's annual review of each territory that has none, opened by a facilitator through the service."""
    year = timezone.localdate().year
    facilitator = _bench_facilitator("revue@bench.invalid", territoires)
    for territoire in territoires:
        if not RevueAnnuelle.objects.filter(territoire=territoire, year=year).exists():
            revue_create(territoire=territoire, year=year, by=facilitator)


FACILITATED = 25  # territories a busy facilitator accompanies, for the large case


def _bench_facilitator_home(result, smallest, largest, repeat, ceilings, progress) -> None:
    """The facilitator's home, accompanying the smallest territory alone, then the 25 largest."""
    largest_ones = list(Territoire.objects.annotate(size=Count("collectivites")).order_by("-size", "pk")[:FACILITATED])
    url = reverse("facilitation:accueil")
    for size, territoires in (("petit", [smallest]), ("grand", largest_ones)):
        client = _client_for(_bench_facilitator(f"facilitation-{size}@bench.invalid", territoires))
        where = f"{len(territoires)} territoire(s) accompagné(s)"
        _measure_page(result, client, "accueil du facilitateur", size, where, url, repeat, ceilings, progress)


def bench_pages(repeat: int = 7, progress: Callable[[str], None] | None = None) -> BenchResult:
    """Measure every page of `PAGES` on the smallest and the largest territory, each beside its ceiling."""
    smallest, largest = extremes()
    result = BenchResult(
        database=connection.vendor,
        territoires=Territoire.objects.count(),
        agents=Agent.objects.count(),
        repeat=repeat,
    )
    ceilings: dict[int, float] = {}
    with transaction.atomic():
        _open_reviews([smallest, largest])
        for size, territoire in (("petit", smallest), ("grand", largest)):
            sample = sample_of(territoire)
            client = _client_for(sample.agent)
            for label, name, kwargs_of in PAGES:
                kwargs = kwargs_of(sample)
                if kwargs is None or kwargs is False:
                    continue
                url = reverse(name, kwargs={"territoire_slug": territoire.slug, **kwargs})
                where = f"{territoire.name} ({sample.collectivites} collectivités)"
                _measure_page(result, client, label, size, where, url, repeat, ceilings, progress)
        _bench_facilitator_home(result, smallest, largest, repeat, ceilings, progress)
        transaction.set_rollback(True)
    started = perf_counter()
    cartography.compute(largest, date.today(), cartography.graph.DEFAULT_LAYERS)
    result.timings["analyses du réseau, plus grand territoire, à froid (s)"] = round(perf_counter() - started, 3)
    map_page = next(p for p in reversed(result.pages) if p.page == "carte des réseaux")
    result.timings["page de la carte, plus grand territoire, en cache (ms)"] = map_page.median_ms
    return result


class SerializingMailBackend(BaseEmailBackend):
    """Turns each mail into the bytes an SMTP server or the file backend would receive — the work a real send
    does on our side — and keeps only (recipient, subject, size): 60,000 mails must not stay in memory."""

    sent: list[tuple[str, str, int]] = []

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            data = message.message().as_bytes(linesep="\r\n")
            self.sent.append((message.to[0], message.subject, len(data)))
        return len(email_messages)


def bench_dispatch(count: int) -> dict[str, float]:
    """The dispatch sweep over every territory with `count` agendas due at once, in a transaction rolled back:
    `dispatch_due` then `send_pending`, each mail serialised as for a mail server; every mail must go out once."""
    directors = {
        m.territoire_id: m.agent_id
        for m in Membership.objects.active().filter(role=Membership.Role.DGS).order_by("-pk")
    }
    territoire_ids = sorted(directors)
    if not territoire_ids:
        return {}
    now = timezone.now()
    SerializingMailBackend.sent = []
    with override_settings(EMAIL_BACKEND=f"{__name__}.SerializingMailBackend"), transaction.atomic():
        # Starting in two hours: whatever notice the charter sets, the deadline has passed (a late dispatch).
        reunions = Reunion.objects.bulk_create(
            Reunion(
                territoire_id=territoire_ids[index % len(territoire_ids)],
                title=f"CoDir de mesure n° {index + 1}",
                starts_at=now + timedelta(hours=2),
                ends_at=now + timedelta(hours=4),
                created_by_id=directors[territoire_ids[index % len(territoire_ids)]],
            )
            for index in range(count)
        )
        started = perf_counter()
        dispatched = dispatch_due(now=now)
        dispatch_seconds = perf_counter() - started
        report = send_pending(now=now)
        seconds = perf_counter() - started
        rows = Envoi.objects.filter(version__reunion__in=reunions).count()
        transaction.set_rollback(True)
    sent = Counter((recipient, subject) for recipient, subject, _ in SerializingMailBackend.sent)
    return {
        "ordres du jour dus": count,
        "ordres du jour envoyés": dispatched,
        "lignes d'envoi": rows,
        "courriels envoyés": report.sent,
        "courriels en double": sum(n - 1 for n in sent.values()),
        "volume des courriels (ko)": round(sum(size for _, _, size in SerializingMailBackend.sent) / 1000),
        "création des envois (s)": round(dispatch_seconds, 2),
        "balayage d'envoi (s)": round(seconds, 2),
        "par courriel (ms)": round(seconds * 1000 / max(1, report.sent), 2),
    }


def bench_import() -> float:
    """Seconds to import every EPCI of the vendored extract again (rolled back): the national import."""
    records = load_extract()
    with transaction.atomic():
        started = perf_counter()
        territoires_import(records)
        seconds = perf_counter() - started
        transaction.set_rollback(True)
    return round(seconds, 2)


def table(result: BenchResult) -> str:
    """The readable table: one line a page and territory size, then the other timings."""
    lines = [
        f"Base {result.database} : {result.territoires} territoires, {result.agents} agents ; médiane de "
        f"{result.repeat} requêtes après une de chauffe.",
        f"{'page':<32} {'taille':<6} {'requêtes':>8} {'ms':>8} {'plafond':>8} {'ratio':>6} {'statut':>6}",
    ]
    for page in result.pages:
        lines.append(
            f"{page.page:<32} {page.size:<6} {page.queries:>8} {page.median_ms:>8.1f} {page.ceiling_ms:>8.1f} "
            f"{page.ratio:>6.2f} {page.status:>6}"
        )
    grown = sorted(
        {
            p.page
            for p in result.pages
            for q in result.pages
            if p.page == q.page and p.size != q.size and p.queries != q.queries
        }
    )
    lines.append("requêtes qui varient avec la taille : " + (", ".join(grown) if grown else "aucune"))
    for label, value in result.timings.items():
        lines.append(f"{label} : {value}")
    return "\n".join(lines)
