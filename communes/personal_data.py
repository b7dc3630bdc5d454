"""An agent's rights over their personal data (RGPD): everything downloaded in one JSON file, and erasure.

Both walk the model registry rather than a hand-kept list, so a model added tomorrow with a link to the
agent is downloaded and scrubbed without anyone remembering to: every foreign key to the agent, every
e-mail field holding their address, every login-throttling row under their address.

Erasure keeps the agent's row (decisions, positions, minutes, signatures point to it and must stay
intact: they are acts of public bodies) but replaces who they were: no name, no address, no telephone,
no password, no second factor, no token, no session, no login trace; the journal and every text that
quoted their name or address now quotes « Personne effacée n° N ». A position stays the voice of the
collectivité that expressed it.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext as _

from communes.journal import journal_record
from communes.models import Agent, JournalEntry, erased_label
from communes.text import render_markdown

EXPORT_FORMAT = "codir-de-territoire/donnees-personnelles/1"

# Secrets are the agent's, but a download travels by e-mail and USB keys: a token or a TOTP seed in
# it would be a working credential. Their existence and dates are exported, never their value.
SECRET_FIELDS = {
    "authtoken.token": {"key"},
    "otp_totp.totpdevice": {"key"},
    "codir.calendartoken": {"token"},
}
# Deleted at erasure: credentials, object permissions (they end with the memberships anyway).
CREDENTIAL_MODELS = (
    "authtoken.token",
    "otp_totp.totpdevice",
    "otp_static.staticdevice",
    "codir.calendartoken",
    "guardian.userobjectpermission",
)
# Login-throttling rows are keyed by the typed address, not by a foreign key.
USERNAME_MODELS = ("axes.accessattempt", "axes.accesslog", "axes.accessfailurelog")
# Never scrubbed as text: the agent's own row is rewritten field by field, their sessions are deleted.
NOT_SCRUBBED = {"communes.agent", "sessions.session"}


@dataclass
class ErasureReport:
    """What an erasure changed, model by model (label → rows), for the journal and the operator."""

    agent_id: int
    deleted: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], label: str, rows: int) -> None:
        if rows:
            bucket[label] = bucket.get(label, 0) + rows


def _concrete_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if not m._meta.proxy and not m._meta.abstract]


def _agent_links(model: type[models.Model]) -> list[str]:
    user_model = get_user_model()
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f.related_model is user_model and model is not user_model
    ]


def _email_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.EmailField)]


def _rows_about(model: type[models.Model], agent: Agent, email: str) -> models.QuerySet | None:
    """The rows of `model` that are about the agent: linked by a foreign key, or holding their address."""
    label = model._meta.label_lower
    condition = Q()
    for name in _agent_links(model):
        condition |= Q(**{name: agent})
    if model is not get_user_model():
        for name in _email_fields(model):
            condition |= Q(**{f"{name}__iexact": email})
    if label in USERNAME_MODELS:
        condition |= Q(username__iexact=email)
    if model is JournalEntry:
        # Lines about the agent written by someone else (account created, rights granted…).
        condition |= Q(target_type=ContentType.objects.get_for_model(get_user_model()), target_id=str(agent.pk))
    if not condition:
        return None
    return model._base_manager.filter(condition).order_by("pk")


def _json_value(value):
    if isinstance(value, timedelta):  # as the API writes them, so that the download and the API agree
        return duration_iso_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, bytes | memoryview):
        return None
    return value


def _row_export(row: models.Model, hidden: set[str]) -> dict:
    exported = {}
    for f in row._meta.concrete_fields:
        if f.name in hidden:
            continue
        if f.is_relation:
            related_id = getattr(row, f.attname)
            exported[f.name] = None if related_id is None else {"id": related_id, "libelle": str(getattr(row, f.name))}
        else:
            exported[f.name] = _json_value(getattr(row, f.attname))
    return exported


def personal_data_export(agent: Agent) -> dict:
    """Everything the application holds about `agent`, in a JSON-ready dict (right of access and to
    portability): the account, then every row linked to them, model by model, with readable labels.

    Answers in the anonymous annual-review questionnaire are not in it: they are tied to nobody,
    which is the point.
    """
    account_fields = ["email", "first_name", "last_name", "phone", "job_title", "date_joined", "last_login"]
    account = {name: _json_value(getattr(agent, name)) for name in account_fields}
    account["collectivite"] = str(agent.collectivite) if agent.collectivite_id else None
    account["actif"] = agent.is_active
    records = {}
    for model in _concrete_models():
        rows = _rows_about(model, agent, agent.email)
        if rows is None:
            continue
        relations = [f.name for f in model._meta.concrete_fields if f.is_relation and f.many_to_one]
        hidden = SECRET_FIELDS.get(model._meta.label_lower, set())
        exported = [_row_export(row, hidden) for row in rows.select_related(*relations)]
        if exported:
            records[model._meta.label_lower] = {"libelle": str(model._meta.verbose_name_plural), "lignes": exported}
    return {
        "format": EXPORT_FORMAT,
        "exporte_le": timezone.now().isoformat(),
        "compte": account,
        "donnees": records,
    }


def personal_data_summary(agent: Agent) -> list[tuple[str, int]]:
    """What the download holds, as (kind of data, number of lines) pairs, for the « Mes données » page:
    one count a model, whatever the amount of data."""
    summary = []
    for model in _concrete_models():
        rows = _rows_about(model, agent, agent.email)
        if rows is not None and (count := rows.count()):
            summary.append((str(model._meta.verbose_name_plural), count))
    return sorted(summary, key=lambda item: item[0].lower())


def personal_data_download(agent: Agent) -> dict:
    """What the agent takes away, from the page or the API alike: `personal_data_export`, and a journal line
    saying they took it."""
    journal_record(action="comptes.personal_data.downloaded", actor=agent, territoire=None)
    return personal_data_export(agent)


def personal_data_json(data: dict) -> str:
    """The downloaded file: the export as indented UTF-8 JSON."""
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def _scrubbed(value, patterns: list[re.Pattern], replacement: str):
    """`value` (a string, or JSON made of dicts, lists and strings) with every identity replaced."""
    if isinstance(value, str):
        for pattern in patterns:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_scrubbed(item, patterns, replacement) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item, patterns, replacement) for key, item in value.items()}
    return value


def _identity_pattern(identity: str) -> re.Pattern:
    """The identity as a whole word: erasing sophie.guerin@… leaves anne-sophie.guerin@… and « Anne-Sophie
    Guérin » alone."""
    return re.compile(r"(?<![\w.+-])" + re.escape(identity) + r"(?![\w-])", re.IGNORECASE)


def _identities(agent: Agent) -> list[str]:
    """The strings that identify the agent in free text: the address always, the full name when it has
    a first and a last name (a lone first name would rewrite every « Marie » of the territory)."""
    found = [agent.email]
    if agent.first_name.strip() and agent.last_name.strip():
        found.append(f"{agent.first_name.strip()} {agent.last_name.strip()}")
    return found


def _text_columns(model: type[models.Model]) -> tuple[list[str], list[str]]:
    texts, jsons = [], []
    for f in model._meta.concrete_fields:
        if isinstance(f, models.JSONField):
            jsons.append(f.name)
        elif (
            isinstance(f, models.CharField | models.TextField)
            and not isinstance(f, models.EmailField)  # rewritten to a valid address afterwards
            and not f.choices
            and not f.primary_key
        ):
            texts.append(f.name)
    return texts, jsons


def _scrub_everywhere(
    identities: list[str], replacement: str, report: ErasureReport, progress: Callable[[str], None] | None
) -> None:
    """Rewrite every text and JSON column that quotes one of the identities, in every model.

    A JSON column is searched as text; SQLite keeps non-ASCII characters escaped in it, so the escaped
    spelling is searched too. Rows are rewritten with `update()`, not `save()`: a scrub is not an edit and
    must not bump « modifié le » dates or create versions.
    """
    patterns = [_identity_pattern(identity) for identity in identities]
    for model in _concrete_models():
        label = model._meta.label_lower
        if label in NOT_SCRUBBED or label in USERNAME_MODELS:
            continue
        texts, jsons = _text_columns(model)
        if not texts and not jsons:
            continue
        condition = Q()
        for identity in identities:
            for name in texts:
                condition |= Q(**{f"{name}__icontains": identity})
            for name in jsons:
                for spelling in {identity, json.dumps(identity)[1:-1]}:
                    condition |= Q(**{f"_scrub_{name}__icontains": spelling})
        rows = model._base_manager.all()
        if jsons:
            rows = rows.annotate(**{f"_scrub_{name}": Cast(name, models.TextField()) for name in jsons})
        if progress is not None:
            progress(str(model._meta.verbose_name_plural))
        rewritten = 0
        rendered = {name for name in texts if f"{name}_html" in texts}
        for row in rows.filter(condition).only("pk", *texts, *jsons).iterator(chunk_size=500):
            changes = {}
            for name in (*texts, *jsons):
                before = getattr(row, name)
                after = _scrubbed(before, patterns, replacement)
                if after != before:
                    max_length = model._meta.get_field(name).max_length
                    changes[name] = after[:max_length] if max_length else after
            for name in rendered & set(changes):
                # From the scrubbed source: a heading's id is made of its words (md-entretien-avec-sophie-guerin),
                # a spelling the scrub of the HTML itself does not see.
                changes[f"{name}_html"] = render_markdown(changes[name])
            if changes:
                model._base_manager.filter(pk=row.pk).update(**changes)
                rewritten += 1
        report.count(report.rewritten, label, rewritten)


def _relabel_journal(agent: Agent, display: str, replacement: str, report: ErasureReport) -> None:
    """Journal lines about the agent or about a row of theirs (membership, referent…) name them as the row
    did when the line was written: with a lone first or last name too, which the scrub of every text leaves
    alone (it would rewrite every « Marie » of the territory), but which here can only be them."""
    pattern = _identity_pattern(display)
    for model in _concrete_models():
        if model is get_user_model():
            rows = model._base_manager.filter(pk=agent.pk)
        elif links := _agent_links(model):
            condition = Q()
            for name in links:
                condition |= Q(**{name: agent})
            rows = model._base_manager.filter(condition)
        else:
            continue
        ids = rows.annotate(_id=Cast("pk", models.CharField())).values("_id")
        entries = JournalEntry.objects.filter(target_type=ContentType.objects.get_for_model(model), target_id__in=ids)
        for entry in entries.only("pk", "target_label").iterator(chunk_size=500):
            label = pattern.sub(replacement, entry.target_label)[:300]
            if label != entry.target_label:
                JournalEntry.objects.filter(pk=entry.pk).update(target_label=label)
                report.count(report.rewritten, "communes.journalentry", 1)


def _sessions_delete(agent: Agent) -> int:
    """Delete the agent's stored sessions (their ProConnect identity and SIRET ride in them); `sessions_revoke`
    only stops them at their next request. Sessions are keyed by a random key, not by agent: each is read."""
    from django.contrib.sessions.models import Session

    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0  # the revocation ends them, and they expire
    theirs = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator(chunk_size=500)
        if session.get_decoded().get("_auth_user_id") == str(agent.pk)
    ]
    return Session.objects.filter(pk__in=theirs).delete()[0]


@transaction.atomic
def agent_erase(*, agent: Agent, by: Agent | None, progress: Callable[[str], None] | None = None) -> ErasureReport:
    """Erase the agent's identity everywhere (right to erasure), keeping what they did as an act of
    their collectivité.

    Their memberships end and their seats are vacated (through `agent_deactivate`, journal included: it
    refuses to leave a territory without administrator, and then nothing is erased); their credentials,
    sessions, calendar links and login traces are deleted; their row keeps its id so that decisions,
    positions, minutes, versions and counts stay intact, but loses name, address, telephone, function and
    password; every text or journal line quoting their name or address is rewritten, and the cached
    analyses (maps of the networks) are dropped. It cannot be undone, and an erased agent cannot be erased
    twice. `progress` hears the name of each kind of data as it is searched (a territory's worth of text
    takes a while).
    """
    from communes.services import agent_deactivate
    from communes.sessions import sessions_revoke

    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if agent.erased_at is not None:
        raise ValidationError(_("Ce compte a déjà été effacé."))
    report = ErasureReport(agent_id=agent.pk)
    identities = _identities(agent)
    display = str(agent)
    email = agent.email
    with translation.override(settings.LANGUAGE_CODE):  # written into the texts, for every reader
        replacement = erased_label(agent.pk)

    # Memberships end first, under the real name: a refusal (the last administrator of a territory) must
    # say who. The journal lines this writes are rewritten below with all the others.
    if agent.is_active:
        agent_deactivate(agent=agent, by=by)
    sessions_revoke(agent=agent)
    agent = Agent.objects.get(pk=agent.pk)
    agent.email = f"efface-{agent.pk}@efface.invalid"
    agent.first_name = agent.last_name = agent.phone = agent.job_title = ""
    agent.set_unusable_password()
    agent.erased_at = timezone.now()
    agent.is_active = agent.is_staff = agent.is_superuser = False
    agent.last_login = None
    agent.save()
    agent.groups.clear()
    agent.user_permissions.clear()
    report.count(report.deleted, "sessions.session", _sessions_delete(agent))

    for model in _concrete_models():
        label = model._meta.label_lower
        rows = _rows_about(model, agent, email)
        if rows is not None and (label in CREDENTIAL_MODELS or label in USERNAME_MODELS):
            report.count(report.deleted, label, rows.delete()[0])
    # Login lines hold the address the agent connected from: personal data with no act to keep.
    for entry in JournalEntry.objects.filter(actor=agent, territoire__isnull=True).only("pk", "data"):
        kept = {key: value for key, value in entry.data.items() if key not in ("ip", "username")}
        if kept != entry.data:
            JournalEntry.objects.filter(pk=entry.pk).update(data=kept)
            report.count(report.rewritten, "communes.journalentry", 1)

    _scrub_everywhere(identities, replacement, report, progress)
    _relabel_journal(agent, display, replacement, report)
    for model in _concrete_models():
        if model is get_user_model():
            continue
        for name in _email_fields(model):
            changed = model._base_manager.filter(**{f"{name}__iexact": email}).update(**{name: agent.email})
            report.count(report.rewritten, model._meta.label_lower, changed)

    journal_record(
        action="communes.agent.erased",
        actor=by if by is not None and by.pk != agent.pk else None,
        territoire=None,
        target=agent,
        data={"deleted": report.deleted, "rewritten": report.rewritten},
    )
    # Cached analyses hold names; a new version key only hides them, so the cache is emptied (it holds
    # nothing but what can be computed again).
    transaction.on_commit(cache.clear)
    return report
