"""The territory's portfolio of shared projects: pilot collectivités (possibly in turn),
contributions, référents, phases, milestones, health, reviews and systemic links."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Collectivite, Territoire
from decisions.models import Proposition


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
    starts_on = models.DateField(_("début"), null=True, blank=True)
    ends_on = models.DateField(_("fin prévue"), null=True, blank=True)
    review_every_months = models.PositiveSmallIntegerField(_("revue tous les (mois)"), default=3)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProjetQuerySet.as_manager()

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["territoire", "title"]
        permissions = [("pilot_projet", _("Agir pour une collectivité pilote du projet"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="projet_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Pilote(models.Model):
    """A pilot collectivité over a period. Co-pilots share a period; in alternating pilotage the
    periods follow each other, and each handover calls for a project review."""

    projet = models.ForeignKey(Projet, on_delete=models.PROTECT, related_name="pilotes")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("depuis le"))
    ends_on = models.DateField(_("jusqu'au"), null=True, blank=True)

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
    held_on = models.DateField(_("tenue le"))
    participants = models.TextField(_("participants"), blank=True)
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

    class Meta:
        verbose_name = _("revue de projet")
        verbose_name_plural = _("revues de projet")
        ordering = ["projet", "-held_on"]

    def __str__(self) -> str:
        return f"{self.projet} — {self.held_on:%d/%m/%Y}"
