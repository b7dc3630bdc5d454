"""The only writers of the charter: drafts, sections, rules, amendments, adoption, signatures.

An adopted version is immutable: every change to the charter in force goes through an
amendment or a new draft, decided by the collective under the rules in force.
"""

import json
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from charte.models import Amendement, Charte, Ratification, Regles, Section, Signature, Version
from charte.starter import STARTER_SECTIONS
from communes.journal import journal_record
from communes.models import Agent, Collectivite, Seat, Territoire
from communes.selectors import active_seat
from communes.text import clean_text, render_markdown
from communes.uploads import DELIBERATIONS, validate_upload
from decisions import services as decisions
from decisions.models import Proposition


class StaleSectionError(ValidationError):
    """Raised when a section is saved from a text someone else has changed since."""

    def __init__(self, current: Section):
        self.current = current
        super().__init__(
            _(
                "%(auteur)s a modifié cette section pendant que vous la rédigiez : votre texte n'a pas été "
                "enregistré. Reprenez-le à partir du texte actuel, affiché ci-dessous."
            )
            % {"auteur": current.updated_by or _("Quelqu'un")},
            code="stale",
        )


def _require_editable(version: Version) -> None:
    if not version.is_editable:
        raise ValidationError(_("Cette version n'est plus un brouillon : elle ne se modifie plus."))


def _copy_version(
    source: Version,
    *,
    number: int,
    status: str,
    by: Agent | None,
    origin: str,
    adopted_at: datetime | None = None,
    proposition: Proposition | None = None,
) -> Version:
    """A new version of the same charter with the sections and rules of `source`."""
    version = Version.objects.create(
        charte=source.charte,
        number=number,
        status=status,
        based_on=source,
        created_by=by,
        origin=origin,
        adopted_at=adopted_at,
        proposition=proposition,
    )
    Section.objects.bulk_create(
        [
            Section(
                version=version,
                key=s.key,
                position=s.position,
                title=s.title,
                body=s.body,
                body_html=s.body_html,
                updated_by=s.updated_by,
                updated_at=s.updated_at,
            )
            for s in source.sections.all()
        ]
    )
    Regles.objects.create(version=version, **source.regles.as_dict())
    return version


@transaction.atomic
def charte_start(*, territoire: Territoire, by: Agent) -> Version:
    """Create the territory's charter with a first draft taken from the starter charter."""
    if Charte.objects.filter(territoire=territoire).exists():
        raise ValidationError(_("Ce territoire a déjà sa charte."))
    charte = Charte.objects.create(territoire=territoire)
    version = Version.objects.create(charte=charte, number=1, created_by=by, origin=_("Charte type"))
    Section.objects.bulk_create(
        [
            Section(
                version=version,
                key=key,
                position=index,
                title=title,
                body=body,
                body_html=render_markdown(body),
                updated_by=by,
            )
            for index, (key, title, body) in enumerate(STARTER_SECTIONS, start=1)
        ]
    )
    Regles.objects.create(version=version)
    journal_record(action="charte.charte.started", actor=by, territoire=territoire, target=version)
    return version


@transaction.atomic
def draft_start(*, charte: Charte, by: Agent) -> Version:
    """Start a new draft as a copy of the version in force (one draft at a time)."""
    charte = Charte.objects.select_for_update().get(pk=charte.pk)
    if charte.versions.filter(status__in=[Version.Status.BROUILLON, Version.Status.EN_ADOPTION]).exists():
        raise ValidationError(_("Un brouillon est déjà en cours : travaillez sur celui-ci."))
    in_force = charte.versions.filter(status=Version.Status.ADOPTEE).first()
    if in_force is None:
        raise ValidationError(_("Aucune version n'est en vigueur."))
    number = charte.versions.aggregate(last=Max("number"))["last"] + 1
    version = _copy_version(in_force, number=number, status=Version.Status.BROUILLON, by=by, origin=_("Révision"))
    journal_record(action="charte.version.draft_started", actor=by, territoire=charte.territoire, target=version)
    return version


@transaction.atomic
def section_save(*, section: Section, by: Agent, title: str, body: str, based_on_revision: int) -> Section:
    """Save a draft section, if nobody else saved it since `based_on_revision`.

    The update only happens where the stored revision is still the one the writer read, so of
    several people saving from the same text exactly one succeeds; the others are shown the text
    that won and lose nothing of theirs (the page keeps what they typed).
    """
    _require_editable(section.version)
    if not title.strip():
        raise ValidationError({"title": _("Une section a besoin d'un titre.")})
    body = clean_text(body)
    # Lock the draft: a save racing its submission must not change the voted text. The update's own
    # condition stays on the section row (a join would become a subquery that PostgreSQL does not
    # re-check after waiting for a concurrent writer, letting every stale save through).
    _require_editable(Version.objects.select_for_update().get(pk=section.version_id))
    updated = Section.objects.filter(pk=section.pk, revision=based_on_revision).update(
        title=title.strip(),
        body=body,
        body_html=render_markdown(body),
        revision=F("revision") + 1,
        updated_by=by,
        updated_at=timezone.now(),
    )
    if not updated:
        raise StaleSectionError(Section.objects.select_related("updated_by").get(pk=section.pk))
    section = Section.objects.get(pk=section.pk)
    journal_record(
        action="charte.section.saved",
        actor=by,
        territoire=section.version.charte.territoire,
        target=section,
        data={"version": section.version.number, "revision": section.revision},
    )
    return section


@transaction.atomic
def section_add(*, version: Version, by: Agent, title: str, body: str) -> Section:
    """Add a section at the end of a draft."""
    version = Version.objects.select_for_update().get(pk=version.pk)
    _require_editable(version)
    if not title.strip():
        raise ValidationError({"title": _("Une section a besoin d'un titre.")})
    body = clean_text(body)
    key = _unique_key(version, title)
    position = (version.sections.aggregate(last=Max("position"))["last"] or 0) + 1
    section = Section.objects.create(
        version=version,
        key=key,
        position=position,
        title=title.strip(),
        body=body,
        body_html=render_markdown(body),
        updated_by=by,
    )
    journal_record(action="charte.section.added", actor=by, territoire=version.charte.territoire, target=section)
    return section


def _unique_key(version: Version, title: str) -> str:
    base = slugify(title)[:70] or "section"
    key, n = base, 2
    existing = set(version.sections.values_list("key", flat=True))
    while key in existing:
        key, n = f"{base}-{n}", n + 1
    return key


@transaction.atomic
def regles_save(*, version: Version, by: Agent, **values) -> Regles:
    """Change the rules of a draft; each value is validated against its allowed range."""
    version = Version.objects.select_for_update().get(pk=version.pk)  # not while it is being submitted
    _require_editable(version)
    regles = Regles.objects.select_for_update().get(version=version)
    before = regles.as_dict()
    for name, value in values.items():
        if name not in Regles.NAMES:
            raise ValueError(f"unknown rule {name}")
        setattr(regles, name, value)
    regles.full_clean()
    regles.save()
    journal_record(
        action="charte.regles.saved",
        actor=by,
        territoire=version.charte.territoire,
        target=version,
        data={k: [before[k], v] for k, v in regles.as_dict().items() if before[k] != v},
    )
    return regles


@transaction.atomic
def draft_submit(*, version: Version, by: Agent, closes_at: datetime) -> Proposition:
    """Put a draft to the collective for adoption, under the rules in force."""
    version = Version.objects.select_for_update().select_related("charte__territoire").get(pk=version.pk)
    _require_editable(version)
    if not _draft_is_current(version):
        raise ValidationError(
            _(
                "La version en vigueur a changé depuis le début de ce brouillon (un amendement a été adopté) : "
                "reportez ce changement dans le brouillon en repartant de la version en vigueur."
            )
        )
    territoire = version.charte.territoire
    proposition = decisions.proposition_create(
        territoire=territoire,
        author=by,
        title=_("Adoption de la version %(numero)s de la charte") % {"numero": version.number},
        body=_(
            "Le CoDir est invité à adopter la version %(numero)s de sa charte de fonctionnement, qui comprend %(sections)s sections."
        )
        % {"numero": version.number, "sections": version.sections.count()},
        kind=Proposition.Kind.CHARTE,
    )
    proposition = decisions.proposition_open(proposition=proposition, by=by, closes_at=closes_at)
    version.status = Version.Status.EN_ADOPTION
    version.proposition = proposition
    version.save(update_fields=["status", "proposition"])
    journal_record(action="charte.version.submitted", actor=by, territoire=territoire, target=version)
    return proposition


def _in_force_from(charte: Charte, at: datetime) -> datetime:
    """A new version never takes effect before the one it replaces: decisions closed out of order
    (an early close, a sweep after downtime) must not put older rules back in force."""
    current = charte.versions.filter(status=Version.Status.ADOPTEE).values_list("adopted_at", flat=True).first()
    return max(at, current) if current else at


def _put_in_force(version: Version, at: datetime) -> None:
    charte = Charte.objects.select_for_update().get(pk=version.charte_id)  # one change of the charter at a time
    at = _in_force_from(charte, at)
    Version.objects.filter(charte=charte, status=Version.Status.ADOPTEE).update(status=Version.Status.REMPLACEE)
    version.status = Version.Status.ADOPTEE
    version.adopted_at = at
    version.save(update_fields=["status", "adopted_at"])


def _draft_is_current(version: Version) -> bool:
    """A draft can be adopted only if the version it started from is still the one in force."""
    in_force = version.charte.versions.filter(status=Version.Status.ADOPTEE).first()
    return in_force is None or version.based_on_id == in_force.pk


@transaction.atomic
def amendement_propose(
    *,
    charte: Charte,
    by: Agent,
    kind: str,
    motive: str,
    closes_at: datetime,
    section_key: str = "",
    title: str = "",
    text: str = "",
    rule_name: str = "",
    rule_value=None,
) -> Amendement:
    """Propose a change to the charter in force and put it to the collective at once."""
    in_force = charte.versions.filter(status=Version.Status.ADOPTEE).first()
    if in_force is None:
        raise ValidationError(_("La charte n'a pas encore de version adoptée : travaillez sur le brouillon."))
    text = clean_text(text)
    if not motive.strip():
        raise ValidationError({"motive": _("Dites pourquoi vous proposez ce changement.")})
    amendement = Amendement(charte=charte, kind=kind, base_version=in_force, motive=motive.strip(), author=by)
    if kind == Amendement.Kind.SECTION:
        section = in_force.sections.filter(key=section_key).first()
        if section is None:
            raise ValidationError({"section_key": _("Cette section n'existe pas dans la version en vigueur.")})
        if not text.strip():
            raise ValidationError(
                {"text": _("Le texte proposé est vide : pour retirer une section, dites-le dans le texte.")}
            )
        if text == section.body:
            raise ValidationError({"text": _("Le texte proposé est identique au texte en vigueur.")})
        amendement.section_key, amendement.title, amendement.base_text, amendement.text = (
            section.key,
            section.title,
            section.body,
            text,
        )
        subject = section.title
    elif kind == Amendement.Kind.NOUVELLE_SECTION:
        if not title.strip() or not text.strip():
            raise ValidationError(_("Une nouvelle section a besoin d'un titre et d'un texte."))
        amendement.title, amendement.text = title.strip(), text
        subject = title.strip()
    elif kind == Amendement.Kind.REGLE:
        if rule_name not in Regles.NAMES:
            raise ValidationError({"rule_name": _("Règle inconnue.")})
        field = Regles._meta.get_field(rule_name)
        try:
            value = field.clean(field.to_python(rule_value), in_force.regles)
        except ValidationError as error:
            raise ValidationError({"rule_value": error.messages}) from None
        current = getattr(in_force.regles, rule_name)
        if value == current:
            raise ValidationError({"rule_value": _("C'est déjà la valeur en vigueur.")})
        amendement.rule_name, amendement.rule_value, amendement.base_text = rule_name, value, json.dumps(current)
        subject = str(field.verbose_name)
    else:
        raise ValidationError({"kind": _("Nature d'amendement inconnue.")})
    amendement.full_clean()
    amendement.save()
    proposition = decisions.proposition_create(
        territoire=charte.territoire,
        author=by,
        title=_("Amendement à la charte : %(sujet)s") % {"sujet": subject},
        body=amendement.motive,
        kind=Proposition.Kind.CHARTE,
    )
    proposition = decisions.proposition_open(proposition=proposition, by=by, closes_at=closes_at)
    amendement.proposition = proposition
    amendement.save(update_fields=["proposition"])
    # The author may take their amendment up again if another one changes the same text first.
    assign_perm("charte.change_amendement", by, amendement)
    journal_record(
        action="charte.amendement.propose",
        actor=by,
        territoire=charte.territoire,
        target=amendement,
        data={"kind": kind, "section": amendement.section_key, "rule": rule_name},
    )
    return amendement


def _conflicts(amendement: Amendement, in_force: Version) -> bool:
    """Whether the text the amendment was written against has changed since (then it must be rebased)."""
    if amendement.kind == Amendement.Kind.SECTION:
        section = in_force.sections.filter(key=amendement.section_key).first()
        return section is None or section.body != amendement.base_text
    if amendement.kind == Amendement.Kind.REGLE:
        return json.dumps(getattr(in_force.regles, amendement.rule_name)) != amendement.base_text
    return False


def _apply(amendement: Amendement, at: datetime, by: Agent | None) -> Version:
    """Create the version with the amendment applied and put it in force from `at`.

    A draft being written meanwhile keeps its own text: it is the version in force that moves.
    """
    charte = Charte.objects.select_for_update().get(pk=amendement.charte_id)
    in_force = charte.versions.get(status=Version.Status.ADOPTEE)
    number = charte.versions.aggregate(last=Max("number"))["last"] + 1
    at = _in_force_from(charte, at)
    Version.objects.filter(pk=in_force.pk).update(status=Version.Status.REMPLACEE)
    version = _copy_version(
        in_force,
        number=number,
        status=Version.Status.ADOPTEE,
        by=by,
        origin=_("Amendement n° %(numero)s") % {"numero": amendement.pk},
        adopted_at=at,
        proposition=amendement.proposition,
    )
    if amendement.kind == Amendement.Kind.SECTION:
        Section.objects.filter(version=version, key=amendement.section_key).update(
            body=amendement.text,
            body_html=render_markdown(amendement.text),
            updated_by=amendement.author,
            updated_at=at,
        )
    elif amendement.kind == Amendement.Kind.NOUVELLE_SECTION:
        Section.objects.create(
            version=version,
            key=_unique_key(version, amendement.title),
            position=(version.sections.aggregate(last=Max("position"))["last"] or 0) + 1,
            title=amendement.title,
            body=amendement.text,
            body_html=render_markdown(amendement.text),
            updated_by=amendement.author,
        )
    else:
        Regles.objects.filter(version=version).update(**{amendement.rule_name: amendement.rule_value})
    return version


def on_proposition_closed(proposition: Proposition, by: Agent | None) -> None:
    """Decisions closing handler for kind `charte`: adopt a version or apply an amendment."""
    version = Version.objects.filter(proposition=proposition, status=Version.Status.EN_ADOPTION).first()
    if version is not None:
        Charte.objects.select_for_update().get(pk=version.charte_id)
        if (
            proposition.status == Proposition.Status.CLOSE
            and proposition.result == "adoptee"
            and _draft_is_current(version)
        ):
            _put_in_force(version, proposition.closed_at)
            action = "charte.version.adoptee"
        else:
            version.status = Version.Status.BROUILLON  # back to the writers
            version.save(update_fields=["status"])
            action = "charte.version.non_adoptee"
        journal_record(action=action, actor=by, territoire=proposition.territoire, target=version)
        return
    amendement = Amendement.objects.select_for_update().filter(proposition=proposition).first()
    if amendement is None:
        return
    if proposition.status == Proposition.Status.RETIREE:
        amendement.status = Amendement.Status.RETIRE
    elif proposition.result != "adoptee":
        amendement.status = Amendement.Status.NON_ADOPTE
    else:
        in_force = amendement.charte.versions.get(status=Version.Status.ADOPTEE)
        if _conflicts(amendement, in_force):
            # Another amendment changed the same text first: never overwrite it silently.
            amendement.status = Amendement.Status.A_REBASER
        else:
            amendement.result_version = _apply(amendement, proposition.closed_at, by)
            amendement.status = Amendement.Status.ADOPTE
    amendement.save(update_fields=["status", "result_version"])
    journal_record(
        action=f"charte.amendement.{amendement.status}",
        actor=by,
        territoire=proposition.territoire,
        target=amendement,
        data={"version": amendement.result_version.number if amendement.result_version else None},
    )


@transaction.atomic
def amendement_rebase(*, amendement: Amendement, by: Agent, text: str, closes_at: datetime) -> Amendement:
    """Rewrite an amendment against the text now in force, and put it to the collective again."""
    amendement = Amendement.objects.select_for_update().select_related("charte__territoire").get(pk=amendement.pk)
    if amendement.status != Amendement.Status.A_REBASER:
        raise ValidationError(_("Cet amendement n'a pas besoin d'être repris."))
    in_force = amendement.charte.versions.get(status=Version.Status.ADOPTEE)
    amendement.base_version = in_force
    if amendement.kind == Amendement.Kind.SECTION:
        section = in_force.sections.filter(key=amendement.section_key).first()
        if section is None:
            raise ValidationError(_("Cette section n'existe plus dans la version en vigueur."))
        text = clean_text(text)
        if not text.strip():
            raise ValidationError({"text": _("Le texte proposé est vide.")})
        amendement.base_text, amendement.text = section.body, text
    else:
        amendement.base_text = json.dumps(getattr(in_force.regles, amendement.rule_name))
    previous = amendement.proposition
    proposition = decisions.proposition_create(
        territoire=amendement.charte.territoire,
        author=by,
        title=previous.title,
        body=amendement.motive,
        kind=Proposition.Kind.CHARTE,
    )
    proposition = decisions.proposition_open(proposition=proposition, by=by, closes_at=closes_at)
    amendement.proposition = proposition
    amendement.status = Amendement.Status.EN_DECISION
    amendement.save()
    journal_record(
        action="charte.amendement.rebase",
        actor=by,
        territoire=amendement.charte.territoire,
        target=amendement,
        data={"previous_proposition": previous.pk, "base_version": in_force.number},
    )
    return amendement


@transaction.atomic
def version_sign(*, version: Version, by: Agent) -> Signature:
    """The titulaire signs the adopted version on behalf of their collectivité (once)."""
    if not version.is_adopted:
        raise ValidationError(_("Seule une version adoptée se signe."))
    seat = active_seat(by, version.charte.territoire)
    if seat is None or seat.kind != Seat.Kind.TITULAIRE:
        raise ValidationError(_("Seul·e le ou la titulaire d'une collectivité signe la charte en son nom."))
    if Signature.objects.filter(version=version, collectivite=seat.collectivite).exists():
        raise ValidationError(_("%(collectivite)s a déjà signé cette version.") % {"collectivite": seat.collectivite})
    try:
        with transaction.atomic():
            signature = Signature.objects.create(version=version, collectivite=seat.collectivite, signed_by=by)
    except IntegrityError:  # a double click: the first one signed
        raise ValidationError(
            _("%(collectivite)s a déjà signé cette version.") % {"collectivite": seat.collectivite}
        ) from None
    journal_record(
        action="charte.version.signee",
        actor=by,
        territoire=version.charte.territoire,
        target=version,
        data={"collectivite": seat.collectivite.name},
    )
    return signature


@transaction.atomic
def ratification_record(
    *,
    version: Version,
    collectivite: Collectivite,
    by: Agent,
    deliberation_date: date,
    deliberation_number: str,
    document: UploadedFile | None = None,
) -> Ratification:
    """Record that a collectivité's council approved the adopted version."""
    if not version.is_adopted:
        raise ValidationError(_("Seule une version adoptée se ratifie."))
    if collectivite.territoire_id != version.charte.territoire_id:
        raise ValidationError({"collectivite": _("Cette collectivité n'appartient pas au territoire.")})
    seat = active_seat(by, version.charte.territoire)
    if seat is None or seat.collectivite_id != collectivite.pk:
        raise ValidationError(
            _("Seul·e le ou la titulaire ou suppléant·e de la collectivité enregistre sa ratification.")
        )
    if deliberation_date > timezone.localdate():
        raise ValidationError({"deliberation_date": _("La date de délibération ne peut pas être dans le futur.")})
    if Ratification.objects.filter(version=version, collectivite=collectivite).exists():
        raise ValidationError(
            _("La ratification de %(collectivite)s est déjà enregistrée.") % {"collectivite": collectivite}
        )
    ratification = Ratification(
        version=version,
        collectivite=collectivite,
        deliberation_date=deliberation_date,
        deliberation_number=deliberation_number.strip(),
        recorded_by=by,
    )
    if document is not None:
        try:
            validate_upload(document, DELIBERATIONS)
        except ValidationError as error:
            raise ValidationError({"document": error.messages}) from None
        ratification.document = document
    ratification.full_clean()
    ratification.save()
    journal_record(
        action="charte.version.ratifiee",
        actor=by,
        territoire=version.charte.territoire,
        target=version,
        data={"collectivite": collectivite.name, "deliberation": ratification.deliberation_number},
    )
    return ratification
