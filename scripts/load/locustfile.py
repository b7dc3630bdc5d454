"""Agents of a territory using Codir during a morning of CoDir dispatch (locust; started by scripts/load.sh).

Each simulated user logs in with the password of one of the agents that scripts/load/seed.py created (none of
them must pass a second factor), then browses and writes the way members do: the territory's home, the
meetings and their agendas, the decisions and their register, projects, networks; proposing agenda items,
acknowledging an agenda received, expressing the position of their collectivité. Forms are posted with the
CSRF token read from the page, as a browser does. One user in ten is an API client with a token.

Environment: LOAD_PLAN (the JSON written by seed.py), LOAD_PASSWORD, LOAD_WAIT_MIN/LOAD_WAIT_MAX (think time
in seconds between two actions of a user).
"""

import csv
import itertools
import json
import os
import random
import re
import time
from pathlib import Path

from locust import HttpUser, between, events, task

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
PASSWORD = os.environ["LOAD_PASSWORD"]
SLUG = PLAN["slug"]
T = f"/t/{SLUG}"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Items are proposed until shortly before the deadline; one proposed at the very moment of the dispatch is
# legitimately late (an update goes out), but that is not what most members do.
DEADLINE_MARGIN = 10
# A member reads a page for a while before the next click: 5 to 15 seconds, 10 on average, so that 200 users
# make about 20 requests a second, the peak of a morning when the agendas go out.
WAIT = between(float(os.environ.get("LOAD_WAIT_MIN", "5")), float(os.environ.get("LOAD_WAIT_MAX", "15")))

# Users take accounts from both ends, so that those who speak for a collectivité (first in the plan) browse the
# site and API clients take the others. Locust runs its users as greenlets of one process: no lock is needed.
_front, _back = itertools.count(), itertools.count(1)


def account(*, from_end: bool) -> dict:
    accounts = PLAN["accounts"]
    return accounts[-next(_back) % len(accounts)] if from_end else accounts[next(_front) % len(accounts)]


class Member(HttpUser):
    """An agent in a browser: pages and forms."""

    weight = 9
    wait_time = WAIT

    def on_start(self):
        self.account = account(from_end=False)
        page = self.client.get("/comptes/connexion/", name="connexion (formulaire)")
        with self.client.post(
            "/comptes/connexion/",
            data={"username": self.account["email"], "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page)},
            name="connexion",
            catch_response=True,
        ) as response:
            if not response.url.endswith("/territoires/"):
                response.failure(f"connexion refusée pour {self.account['email']} ({response.url})")

    def page(self, url: str, name: str):
        """GET a page; a page that sends back to the login form means the session was lost: a failure."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.ok and "/comptes/connexion/" in response.url:
                response.failure("session perdue : renvoyé vers la connexion")
            return response

    def post_form(self, page, url: str, data: dict, name: str, expect: str):
        """POST a form of `page` with its CSRF token; success is the redirect to the page named `expect`."""
        token = _csrf(page)
        if token is None:
            return
        with self.client.post(
            url, data={**data, "csrfmiddlewaretoken": token}, name=name, catch_response=True
        ) as response:
            if response.ok and not response.url.split("?")[0].endswith(expect):
                response.failure(f"formulaire refusé ({response.status_code}, {response.url})")

    # --- reading ---

    @task(10)
    def territory_home(self):
        self.page(f"{T}/", "accueil du territoire")

    @task(3)
    def my_territories(self):
        self.page("/territoires/", "mes territoires")

    @task(8)
    def meetings(self):
        self.page(f"{T}/reunions/", "réunions (calendrier)")

    @task(14)
    def agenda(self):
        reunion = random.choice([r["id"] for r in PLAN["reunions"]] + PLAN["past_reunions"])
        self.page(f"{T}/reunions/{reunion}/", "réunion (ordre du jour)")

    @task(4)
    def decisions(self):
        self.page(f"{T}/decisions/", "décisions")

    @task(6)
    def register(self):
        self.page(f"{T}/decisions/registre/", "registre des décisions")

    @task(5)
    def proposition(self):
        self.page(f"{T}/decisions/{random.choice(PLAN['all_propositions'])}/", "proposition")

    @task(6)
    def projects(self):
        self.page(f"{T}/projets/", "projets (portefeuille)")

    @task(3)
    def project(self):
        self.page(f"{T}/projets/{random.choice(PLAN['projets'])}/", "projet")

    @task(5)
    def networks(self):
        self.page(f"{T}/reseaux/", "réseaux")

    @task(1)
    def network_map(self):
        self.page(f"{T}/reseaux/carte/", "carte des réseaux")

    # --- writing ---

    @task(3)
    def propose_item(self):
        """Propose an agenda item to a meeting whose agenda has not gone out yet."""
        open_ = [r["id"] for r in PLAN["reunions"] if r["deadline"] > time.time() + DEADLINE_MARGIN]
        if not self.account["writes"] or not open_:
            return self.agenda()
        reunion = random.choice(open_)
        page = self.page(f"{T}/reunions/{reunion}/", "réunion (ordre du jour)")
        data = {
            "title": f"Point proposé par {self.account['email']}",
            "description": "Retour d'expérience de la commune, **5 minutes**.",
            "duration_minutes": "10",
            "instance_item": "",
            "presenter": "",
        }
        self.post_form(page, f"{T}/reunions/{reunion}/points/", data, "ajouter un point (POST)", f"/{reunion}/")

    @task(3)
    def acknowledge(self):
        """« J'ai pris connaissance de l'ordre du jour » on a meeting whose agenda has gone out."""
        sent = [r["id"] for r in PLAN["reunions"] if r["deadline"] < time.time()] + PLAN["past_reunions"]
        reunion = random.choice(sent)
        page = self.page(f"{T}/reunions/{reunion}/", "réunion (ordre du jour)")
        if f"/reunions/{reunion}/pris-connaissance/" not in page.text:
            return  # the sweep has not dispatched it yet: nothing to acknowledge
        self.post_form(
            page, f"{T}/reunions/{reunion}/pris-connaissance/", {}, "prendre connaissance (POST)", f"/{reunion}/"
        )

    @task(3)
    def express(self):
        """The titulaire of a collectivité expresses (or changes) its position on an open proposition."""
        if not self.account["votes"] or not PLAN["propositions"]:
            return self.proposition()
        proposition = random.choice(PLAN["propositions"])
        page = self.page(f"{T}/decisions/{proposition}/", "proposition")
        data = {"choice": random.choice(["pour", "pour", "contre", "abstention"]), "motive": ""}
        self.post_form(
            page, f"{T}/decisions/{proposition}/position/", data, "exprimer une position (POST)", f"/{proposition}/"
        )


class ApiClient(HttpUser):
    """A tool of the territory that reads the API with a token (obtained with the password, no second factor)."""

    weight = 1
    wait_time = WAIT
    LISTS = ["reunions", "propositions", "actions", "projets", "reseaux", "membres", "collectivites"]

    def on_start(self):
        self.account = account(from_end=True)
        with self.client.post(
            "/api/v1/jeton/",
            json={"username": self.account["email"], "password": PASSWORD},
            name="API : jeton",
            catch_response=True,
        ) as response:
            token = response.json().get("token") if response.ok else None
            if token is None:
                response.failure(f"pas de jeton pour {self.account['email']}")
                return
        self.client.headers["Authorization"] = f"Token {token}"

    @task(6)
    def a_list(self):
        resource = random.choice(self.LISTS)
        self.client.get(f"/api/v1/t/{SLUG}/{resource}/", name="API : listes")

    @task(2)
    def a_meeting(self):
        reunion = random.choice([r["id"] for r in PLAN["reunions"]])
        self.client.get(f"/api/v1/t/{SLUG}/reunions/{reunion}/", name="API : réunion")

    @task(1)
    def territories(self):
        self.client.get("/api/v1/territoires/", name="API : territoires")


# Every request, timed, for scripts/load/report.py: exact percentiles (locust's own are rounded to two
# significant figures), per page, and for the steady state after the logins of the ramp-up.
REQUESTS: list[tuple] = []


@events.request.add_listener
def _record(request_type, name, response_time, exception, **kwargs):
    end = time.time()
    REQUESTS.append((end - response_time / 1000, end, request_type, name, response_time, exception is not None))


@events.quitting.add_listener
def _write(**kwargs):
    path = os.environ.get("LOAD_REQUESTS")
    if path:
        with open(path, "w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["start", "end", "method", "name", "ms", "failed"])
            writer.writerows(REQUESTS)


def _csrf(page) -> str | None:
    match = CSRF.search(page.text or "")
    return match.group(1) if match else None
