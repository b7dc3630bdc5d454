"""Instances (the political meetings), the CoDir meetings that prepare them, their agendas and the
outbox through which each version of an agenda reaches every member exactly once."""

import secrets
import uuid

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Collectivite, Territoire
from decisions.models import Proposition


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def new_uid() -> str:
    return f"{uuid.uuid4()}@codir-de-territoire"


class InstanceQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "InstanceQuerySet":
        return self.filter(territoire=territoire)


class Instance(models.Model):
    """A meeting of elected officials that the CoDir prepares."""

    class Kind(models.TextChoices):
        CONSEIL = "conseil", _("Conseil communautaire")
        BUREAU = "bureau", _("Bureau communautaire")
        CONFERENCE = "conference", _("Conférence des maires")
        AUTRE = "autre", _("Autre instance")

    territoire = models.ForeignKey(Territoire, on_delete=models.PROTECT, related_name="instances")
    kind = models.CharField(_("instance"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("date et heure"))
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    agenda = models.TextField(_("projet d'ordre du jour (Markdown)"), blank=True)
    agenda_html = models.TextField(editable=False, blank=True)
    uid = models.CharField(max_length=255, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    cancelled = models.BooleanField(_("annulée"), default=False)
    convener_email = models.EmailField(
        _("adresse de l'autorité qui convoque"),
        blank=True,
        help_text=_("Cabinet du président ou secrétariat des assemblées : c'est là que partent les avis du CoDir."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = InstanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("instance")
        verbose_name_plural = _("instances")
        ordering = ["starts_at"]
        constraints = [
            # An imported calendar event is the same instance however often it is imported.
            models.UniqueConstraint(fields=["territoire", "uid"], name="instance_unique_uid_per_territoire"),
        ]
        indexes = [models.Index(fields=["territoire", "starts_at"], name="instance_calendar")]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} du {timezone.localtime(self.starts_at):%d/%m/%Y}"


class ReunionQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "ReunionQuerySet":
        return self.filter(territoire=territoire)


class Reunion(models.Model):
    """A meeting of the CoDir, usually preparing an instance."""

    territoire = models.ForeignKey(Territoire, on_delete=models.PROTECT, related_name="reunions")
    instance = models.ForeignKey(
        Instance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reunions",
        verbose_name=_("instance préparée"),
    )
    title = models.CharField(_("intitulé"), max_length=200)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    host = models.ForeignKey(
        Collectivite,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("collectivité d'accueil"),
    )
    animateur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("animateur·rice"),
    )
    uid = models.CharField(max_length=255, default=new_uid, editable=False, unique=True)
    sequence = models.PositiveIntegerField(default=0, editable=False)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    # Set when the agenda first went out; the notice then no longer moves with the charter.
    dispatched_at = models.DateTimeField(_("ordre du jour envoyé le"), null=True, blank=True)
    empty_agenda_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancellation_reason = models.TextField(_("motif de l'annulation"), blank=True)
    minutes = models.TextField(_("compte rendu (Markdown)"), blank=True)
    minutes_html = models.TextField(editable=False, blank=True)
    minutes_published_at = models.DateTimeField(_("compte rendu diffusé le"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReunionQuerySet.as_manager()

    class Meta:
        verbose_name = _("réunion du CoDir")
        verbose_name_plural = _("réunions du CoDir")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="reunion_ends_after_start")
        ]
        indexes = [
            models.Index(fields=["territoire", "starts_at"], name="reunion_calendar"),
            # The dispatch sweep: meetings whose agenda has not gone out yet.
            models.Index(fields=["dispatched_at", "starts_at"], name="reunion_to_dispatch"),
        ]

    def __str__(self) -> str:
        return self.title


class PointQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "PointQuerySet":
        return self.filter(reunion__territoire=territoire)


class PointOdj(models.Model):
    """An agenda item of a CoDir meeting."""

    class LateConsent(models.TextChoices):
        EN_ATTENTE = "en_attente", _("À soumettre au collectif en début de séance")
        ACCEPTE = "accepte", _("Examen accepté par le collectif")
        REFUSE = "refuse", _("Reporté par le collectif")

    reunion = models.ForeignKey(Reunion, on_delete=models.PROTECT, related_name="points")
    position = models.PositiveIntegerField(_("ordre"))
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("présentation (Markdown)"), blank=True)
    description_html = models.TextField(editable=False, blank=True)
    presenter = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("présenté par")
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée prévue (minutes)"), default=15, validators=[MinValueValidator(5), MaxValueValidator(240)]
    )
    proposition = models.ForeignKey(
        Proposition, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("avis technique")
    )
    projet = models.ForeignKey(
        "reseaux.Projet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("projet passé en revue"),
    )
    instance_item = models.CharField(
        _("point de l'instance concerné"),
        max_length=300,
        blank=True,
        help_text=_("Le point de l'ordre du jour du conseil ou du bureau sur lequel le CoDir rend un avis technique."),
    )
    avis_sent_at = models.DateTimeField(_("avis transmis le"), null=True, blank=True)
    late = models.BooleanField(_("hors délai"), default=False)
    late_consent = models.CharField(_("point hors délai"), max_length=10, choices=LateConsent.choices, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    objects = PointQuerySet.as_manager()

    class Meta:
        verbose_name = _("point de l'ordre du jour")
        verbose_name_plural = _("points de l'ordre du jour")
        ordering = ["reunion", "position"]

    def __str__(self) -> str:
        return self.title


ALLOWED_DOCUMENT_EXTENSIONS = [
    "pdf",
    "odt",
    "ods",
    "odp",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "png",
    "jpg",
    "jpeg",
]


class Document(models.Model):
    """A document attached to an agenda item, stored with the media storage."""

    point = models.ForeignKey(PointOdj, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(
        _("document"),
        upload_to="codir/documents/%Y/%m/",
        validators=[FileExtensionValidator(ALLOWED_DOCUMENT_EXTENSIONS)],
    )
    name = models.CharField(_("nom"), max_length=255)
    size = models.PositiveIntegerField(_("taille (octets)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["point", "uploaded_at"]

    def __str__(self) -> str:
        return self.name


class AgendaVersion(models.Model):
    """One sending of a meeting's agenda: the first at the deadline, then each update or cancellation."""

    class Kind(models.TextChoices):
        INITIAL = "initial", _("Envoi de l'ordre du jour")
        MISE_A_JOUR = "mise_a_jour", _("Mise à jour")
        ANNULATION = "annulation", _("Annulation")

    reunion = models.ForeignKey(Reunion, on_delete=models.PROTECT, related_name="agenda_versions")
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("nature"), max_length=11, choices=Kind.choices)
    sequence = models.PositiveIntegerField(editable=False)  # iCalendar SEQUENCE carried by this sending
    changes = models.TextField(_("ce qui change"), blank=True)
    due_at = models.DateTimeField(_("à envoyer le"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("version de l'ordre du jour")
        verbose_name_plural = _("versions de l'ordre du jour")
        ordering = ["reunion", "number"]
        constraints = [models.UniqueConstraint(fields=["reunion", "number"], name="agenda_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.reunion} — v{self.number}"


class Envoi(models.Model):
    """The outbox: one row per agenda version and recipient, sent once.

    The unique constraint makes "send to this person" a row that exists once, whatever the
    number of workers or retries; `sent_at` is set in the transaction that follows the mail
    server's acceptance. A crash between that acceptance and the commit can send one copy more:
    the only duplicate possible, documented here and in the README.
    """

    version = models.ForeignKey(AgendaVersion, on_delete=models.PROTECT, related_name="envois")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)
    late_by = models.DurationField(_("retard"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    read_at = models.DateTimeField(_("pris connaissance le"), null=True, blank=True)

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        ordering = ["version", "email"]
        constraints = [
            models.UniqueConstraint(fields=["version", "recipient"], name="envoi_once_per_version_and_recipient")
        ]
        # Only the rows still to send: millions of sent rows stay out of the index the sweep reads.
        indexes = [models.Index(fields=["id"], condition=models.Q(sent_at__isnull=True), name="envoi_pending")]

    def __str__(self) -> str:
        return f"{self.version} → {self.email}"


class Presence(models.Model):
    """Whether a collectivité took part in a meeting, and through whom."""

    class Status(models.TextChoices):
        PRESENT = "present", _("Présente")
        EXCUSE = "excuse", _("Excusée")
        ABSENT = "absent", _("Absente")
        REPRESENTE = "represente", _("Représentée")

    reunion = models.ForeignKey(Reunion, on_delete=models.PROTECT, related_name="presences")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("présence"), max_length=10, choices=Status.choices)
    represented_by = models.CharField(_("représentée par"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        constraints = [
            models.UniqueConstraint(fields=["reunion", "collectivite"], name="presence_once_per_collectivite")
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.get_status_display()}"


class Deliberation(models.Model):
    """What the instance actually decided on an item the CoDir gave its opinion on."""

    class Outcome(models.TextChoices):
        ADOPTEE = "adoptee", _("Adoptée")
        ADOPTEE_MODIFIEE = "modifiee", _("Adoptée avec modifications")
        REJETEE = "rejetee", _("Rejetée")
        AJOURNEE = "ajournee", _("Ajournée ou retirée")

    point = models.OneToOneField(PointOdj, on_delete=models.PROTECT, related_name="deliberation")
    date = models.DateField(_("date de la délibération"))
    number = models.CharField(_("numéro"), max_length=50)
    outcome = models.CharField(_("décision de l'instance"), max_length=8, choices=Outcome.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("délibération")
        verbose_name_plural = _("délibérations")

    def __str__(self) -> str:
        return f"{self.number} — {self.get_outcome_display()}"


class CalendarToken(models.Model):
    """The secret of an agent's private iCalendar feed; revoked tokens stop working at once."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendar_tokens")
    token = models.CharField(max_length=64, unique=True, default=_new_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lien d'abonnement au calendrier")
        verbose_name_plural = _("liens d'abonnement au calendrier")
        constraints = [
            models.UniqueConstraint(
                fields=["agent"], condition=Q(revoked_at__isnull=True), name="calendar_token_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} ({'révoqué' if self.revoked_at else 'actif'})"
