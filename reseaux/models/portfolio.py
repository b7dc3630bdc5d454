"""The territory's portfolio of shared projects: pilot collectivités (possibly in turn),
contributions, référents, phases, milestones, health, reviews and systemic links."""

from datetime import date

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Collectivite, Territoire
from decisions.models import Proposition

# Dates typed by people stay in a range the pages can draw and the sweeps can add months to.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
DAY_BOUNDS = [
    MinValueValidator(FIRST_DAY, message=_("Choisissez une date entre 1900 et 2199.")),
    MaxValueValidator(LAST_DAY, message=_("Choisissez une date entre 1900 et 2199.")),
]


class Axe(models.Model):
    """One of the territory's strategic axes (a handful), under which projects are filed."""

    territoire = models.ForeignKey(Territoire, on_delete=models.PROTECT, related_name="axes")
    name = models.CharField(_("axe"), max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("axe stratégique")
        verbose_name_plural = _("axes stratégiques")
        ordering = ["territoire", "position", "name"]
        constraints = [models.UniqueConstraint(fields=["territoire", "name"], name="axe_unique_name_per_territoire")]

    def __str__(self) -> str:
        return self.name


class ProjetQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "ProjetQuerySet":
        return self.filter(territoire=territoire)


class Projet(models.Model):
    """A shared project of the territory, led by one or several collectivités."""

    class Status(models.TextChoices):
        IDEE = "idee", _("Idée")
        EN_PREPARATION = "en_preparation", _("En préparation")
        EN_COURS = "en_cours", _("En cours")
        SUSPENDU = "suspendu", _("Suspendu")
        TERMINE = "termine", _("Terminé")
        ABANDONNE = "abandonne", _("Abandonné")

    class Pilotage(models.TextChoices):
        EPCI = "epci", _("Piloté par l'EPCI")
        COMMUNE = "commune", _("Piloté par une commune")
        COPILOTAGE = "copilotage", _("Co-pilotage")
        ALTERNE = "alterne", _("Pilotage alterné")

    class Health(models.TextChoices):
        VERT = "vert", _("Vert : tout va bien")
        ORANGE = "orange", _("Orange : à surveiller")
        ROUGE = "rouge", _("Rouge : en difficulté")

    territoire = models.ForeignKey(Territoire, on_delete=models.PROTECT, related_name="projets")
    axe = models.ForeignKey(Axe, on_delete=models.PROTECT, null=True, blank=True, related_name="projets")
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description (Markdown)"), blank=True)
    description_html = models.TextField(editable=False, blank=True)
    status = models.CharField(_("état"), max_length=14, choices=Status.choices, default=Status.IDEE)
    pilotage = models.CharField(_("pilotage"), max_length=10, choices=Pilotage.choices)
    health = models.CharField(_("santé"), max_length=6, choices=Health.choices, default=Health.VERT)
    starts_on = models.DateField(_("début"), null=True, blank=True, validators=DAY_BOUNDS)
    ends_on = models.DateField(_("fin prévue"), null=True, blank=True, validators=DAY_BOUNDS)
    health_reason = models.CharField(_("raison de la santé"), max_length=300, blank=True)
    review_every_months = models.PositiveSmallIntegerField(
        _("revue tous les (mois)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(24)]
    )
    # The fiche action: what the territories already write in their action plans.
    objectives = models.TextField(_("objectifs (Markdown)"), blank=True)
    objectives_html = models.TextField(editable=False, blank=True)
    expected_effects = models.TextField(_("effets attendus (Markdown)"), blank=True)
    expected_effects_html = models.TextField(editable=False, blank=True)
    resources = models.TextField(_("moyens mobilisés (Markdown)"), blank=True)
    resources_html = models.TextField(editable=False, blank=True)
    # The last date a "review due" mail went out, so the sweep sends it once per due date.
    review_reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProjetQuerySet.as_manager()

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["territoire", "title"]
        indexes = [models.Index(fields=["territoire", "status"], name="projet_portfolio")]
        permissions = [("pilot_projet", _("Agir pour une collectivité pilote du projet"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="projet_ends_after_start",
                violation_error_code="ends_before_start",
                violation_error_message=_("La fin prévue suit le début."),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Pilote(models.Model):
    """A pilot collectivité over a period. Co-pilots share a period; in alternating pilotage the
    periods follow each other, and each handover calls for a project review."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="pilotes")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("depuis le"), validators=DAY_BOUNDS)
    ends_on = models.DateField(_("jusqu'au"), null=True, blank=True, validators=DAY_BOUNDS)

    class Meta:
        verbose_name = _("collectivité pilote")
        verbose_name_plural = _("collectivités pilotes")
        ordering = ["projet", "starts_on", "collectivite__name"]
        constraints = [
            models.UniqueConstraint(fields=["projet", "collectivite", "starts_on"], name="pilote_unique_period_start"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gt=F("starts_on")), name="pilote_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.projet}"

    def is_active_on(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


class Contribution(models.Model):
    """What a participating collectivité brings: co-financing and staff time."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="contributions")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("co-financement (€)"), max_digits=12, decimal_places=2, default=0)
    staff_days = models.DecimalField(_("temps agent (jours)"), max_digits=7, decimal_places=1, default=0)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.UniqueConstraint(fields=["projet", "collectivite"], name="contribution_one_per_collectivite"),
            models.CheckConstraint(condition=Q(amount__gte=0) & Q(staff_days__gte=0), name="contribution_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.projet}"


class Lien(models.Model):
    """A typed link between two projects of the territory, with its justification."""

    class Kind(models.TextChoices):
        RENFORCE = "renforce", _("renforce")
        DEPEND_DE = "depend_de", _("dépend de")
        MUTUALISE_AVEC = "mutualise_avec", _("mutualise avec")

    source = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="liens_sortants")
    target = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="liens_entrants")
    kind = models.CharField(_("nature du lien"), max_length=14, choices=Kind.choices)
    justification = models.CharField(_("justification"), max_length=300)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lien entre projets")
        verbose_name_plural = _("liens entre projets")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="lien_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="lien_not_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display()} {self.target}"


class Revue(models.Model):
    """A project review held by the CoDir (periodic, or at a handover of the pilotage)."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="revues")
    held_on = models.DateField(_("tenue le"), validators=DAY_BOUNDS)
    participants = models.TextField(_("participants"), blank=True)
    collectivites = models.ManyToManyField(
        Collectivite, blank=True, related_name="+", verbose_name=_("collectivités représentées")
    )
    progress = models.TextField(_("avancement"))
    health = models.CharField(_("santé"), max_length=6, choices=Projet.Health.choices)
    health_reason = models.CharField(_("raison"), max_length=300, blank=True)
    next_steps = models.TextField(_("prochaines étapes"), blank=True)
    handover = models.BooleanField(_("passation du pilotage"), default=False)
    proposition = models.ForeignKey(
        Proposition, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("décision")
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # A handover review opened by the sweep waits for the new pilot to hold it.
    held = models.BooleanField(_("tenue"), default=True)
    # The period whose start the handover review is about: one review per handover, whatever its date.
    pilote = models.OneToOneField(
        Pilote, on_delete=models.SET_NULL, null=True, blank=True, related_name="handover_revue", editable=False
    )

    class Meta:
        verbose_name = _("revue de projet")
        verbose_name_plural = _("revues de projet")
        ordering = ["projet", "-held_on"]

    def __str__(self) -> str:
        return f"{self.projet} — {self.held_on:%d/%m/%Y}"


class HealthChange(models.Model):
    """The history of a project's health: every change, with its reason (from a review or directly)."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="health_changes")
    health = models.CharField(_("santé"), max_length=6, choices=Projet.Health.choices)
    previous = models.CharField(_("santé précédente"), max_length=6, choices=Projet.Health.choices)
    reason = models.CharField(_("raison"), max_length=300)
    revue = models.ForeignKey("Revue", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("changement de santé")
        verbose_name_plural = _("changements de santé")
        ordering = ["projet", "-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.projet} : {self.previous} → {self.health}"


class Referent(models.Model):
    """An agent who follows the project (not necessarily of a pilot collectivité); history kept."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="referents")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="projets_suivis")
    since = models.DateField(_("depuis le"), default=timezone.localdate)
    until = models.DateField(_("jusqu'au"), null=True, blank=True, validators=DAY_BOUNDS)

    class Meta:
        verbose_name = _("référent·e du projet")
        verbose_name_plural = _("référent·es du projet")
        ordering = ["projet", "since", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["projet", "agent"], condition=Q(until__isnull=True), name="referent_once_active_per_projet"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.projet}"


class Phase(models.Model):
    """A phase of cooperation of the project, from co-diagnostic to co-évaluation."""

    class Kind(models.TextChoices):
        CO_DIAGNOSTIC = "co_diagnostic", _("Co-diagnostic")
        CO_ELABORATION = "co_elaboration", _("Co-élaboration")
        CO_FINANCEMENT = "co_financement", _("Co-financement")
        CO_PRODUCTION = "co_production", _("Co-production")
        CO_PILOTAGE = "co_pilotage", _("Co-pilotage")
        CO_EVALUATION = "co_evaluation", _("Co-évaluation")

    class Status(models.TextChoices):
        A_VENIR = "a_venir", _("À venir")
        EN_COURS = "en_cours", _("En cours")
        TERMINEE = "terminee", _("Terminée")

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="phases")
    kind = models.CharField(_("phase"), max_length=14, choices=Kind.choices)
    starts_on = models.DateField(_("début"), validators=DAY_BOUNDS)
    ends_on = models.DateField(_("fin"), validators=DAY_BOUNDS)
    status = models.CharField(_("état"), max_length=8, choices=Status.choices, default=Status.A_VENIR)

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["projet", "starts_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["projet", "kind"], name="phase_once_per_projet"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="phase_ends_after_start",
                violation_error_message=_("La phase finit après avoir commencé."),
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class JalonQuerySet(models.QuerySet):
    def late(self, on) -> "JalonQuerySet":
        """Milestones whose due date has passed without being reached."""
        return self.filter(done_on__isnull=True, due_on__lt=on)


class Jalon(models.Model):
    """A milestone with its due date; late when the date passes before it is reached."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="jalons")
    title = models.CharField(_("jalon"), max_length=200)
    due_on = models.DateField(_("échéance"), validators=DAY_BOUNDS)
    done_on = models.DateField(_("atteint le"), null=True, blank=True, validators=DAY_BOUNDS)

    objects = JalonQuerySet.as_manager()

    class Meta:
        verbose_name = _("jalon")
        verbose_name_plural = _("jalons")
        ordering = ["projet", "due_on", "pk"]
        indexes = [models.Index(fields=["due_on", "done_on"], name="jalon_due")]

    def __str__(self) -> str:
        return self.title

    def is_late(self, on) -> bool:
        return self.done_on is None and self.due_on < on

    @property
    def reached_late(self) -> bool:
        return self.done_on is not None and self.done_on > self.due_on


class Indicateur(models.Model):
    """An indicator of the fiche action: its target and the last measured value."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="indicateurs")
    name = models.CharField(_("indicateur"), max_length=200)
    unit = models.CharField(_("unité"), max_length=40, blank=True)
    target = models.DecimalField(_("cible"), max_digits=14, decimal_places=2, null=True, blank=True)
    measured = models.DecimalField(_("valeur mesurée"), max_digits=14, decimal_places=2, null=True, blank=True)
    measured_on = models.DateField(_("mesurée le"), null=True, blank=True, validators=DAY_BOUNDS)

    class Meta:
        verbose_name = _("indicateur")
        verbose_name_plural = _("indicateurs")
        ordering = ["projet", "pk"]

    def __str__(self) -> str:
        return self.name


PROJECT_DOCUMENT_EXTENSIONS = ["pdf", "odt", "ods", "odp", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "png", "jpg"]


class DocumentProjet(models.Model):
    """A document of the project (note de cadrage, convention, bilan); withdrawn, never deleted."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(
        _("document"),
        upload_to="reseaux/projets/%Y/%m/",
        validators=[FileExtensionValidator(PROJECT_DOCUMENT_EXTENSIONS)],
    )
    name = models.CharField(_("nom"), max_length=255)
    size = models.PositiveIntegerField(_("taille (octets)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("document du projet")
        verbose_name_plural = _("documents du projet")
        ordering = ["projet", "-uploaded_at"]

    def __str__(self) -> str:
        return self.name


class Priorisation(models.Model):
    """The projects put forward by a priorisation proposition, with their systemic score when proposed."""

    proposition = models.ForeignKey(Proposition, on_delete=models.PROTECT, related_name="+")
    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="priorisations")
    rank = models.PositiveSmallIntegerField(_("rang"))
    systemic_score = models.DecimalField(_("score systémique"), max_digits=8, decimal_places=2)
    launched_at = models.DateTimeField(_("lancé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("projet proposé à la priorisation")
        verbose_name_plural = _("projets proposés à la priorisation")
        ordering = ["proposition", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["proposition", "projet"], name="priorisation_projet_once"),
        ]

    def __str__(self) -> str:
        return f"{self.proposition} — {self.projet}"
