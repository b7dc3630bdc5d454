"""The professional networks that link communes and EPCI: réseaux métiers, fonctions and projets, their
members and référents (dated, so the map can be taken at any date), their events, shared resources, and
the exchanges between agents of two collectivités ("vis ma vie")."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Collectivite, Territoire
from reseaux.models.portfolio import DAY_BOUNDS, Projet


class ReseauQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "ReseauQuerySet":
        return self.filter(territoire=territoire)

    def open(self) -> "ReseauQuerySet":
        return self.filter(closed_on__isnull=True)


class Reseau(models.Model):
    """A professional network of the territory, led by its référents."""

    class Kind(models.TextChoices):
        METIER = "metier", _("Réseau métier")
        FONCTION = "fonction", _("Réseau de fonction")
        PROJET = "projet", _("Réseau projet")

    territoire = models.ForeignKey(Territoire, on_delete=models.PROTECT, related_name="reseaux")
    name = models.CharField(_("nom"), max_length=150)
    kind = models.CharField(_("nature"), max_length=8, choices=Kind.choices)
    description = models.TextField(_("description (Markdown)"), blank=True)
    description_html = models.TextField(editable=False, blank=True)
    projet = models.ForeignKey(
        Projet, on_delete=models.PROTECT, null=True, blank=True, related_name="reseaux", verbose_name=_("projet")
    )
    created_on = models.DateField(_("créé le"), default=timezone.localdate, validators=DAY_BOUNDS)
    # A network that stops keeps its history; it no longer links anybody after that day.
    closed_on = models.DateField(_("clos le"), null=True, blank=True, validators=DAY_BOUNDS)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ReseauQuerySet.as_manager()

    class Meta:
        verbose_name = _("réseau")
        verbose_name_plural = _("réseaux")
        ordering = ["territoire", "kind", "name"]
        permissions = [("lead_reseau", _("Animer le réseau (référent·e)"))]
        constraints = [
            models.UniqueConstraint(fields=["territoire", "name"], name="reseau_unique_name_per_territoire"),
            models.CheckConstraint(
                condition=Q(kind="projet") | Q(projet__isnull=True), name="reseau_only_projet_kind_has_a_projet"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("created_on")),
                name="reseau_closes_after_creation",
                violation_error_message=_("Un réseau se clôt après sa création."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MembreQuerySet(models.QuerySet):
    def on(self, day) -> "MembreQuerySet":
        """Members on that day: joined on or before it, not left yet (a member leaves at the end of `until`)."""
        return self.filter(Q(until__isnull=True) | Q(until__gte=day), since__lte=day)


class MembreReseau(models.Model):
    """An agent's membership of a network, on behalf of a collectivité, from one day until another."""

    class Role(models.TextChoices):
        REFERENT = "referent", _("Référent·e")
        MEMBRE = "membre", _("Membre")

    reseau = models.ForeignKey(Reseau, on_delete=models.PROTECT, related_name="membres")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reseaux")
    # The collectivité the agent acted for then: an agent who changes employer keeps their past ties right.
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("rôle"), max_length=8, choices=Role.choices, default=Role.MEMBRE)
    since = models.DateField(_("depuis le"), default=timezone.localdate, validators=DAY_BOUNDS)
    until = models.DateField(_("jusqu'au"), null=True, blank=True, validators=DAY_BOUNDS)

    objects = MembreQuerySet.as_manager()

    class Meta:
        verbose_name = _("membre du réseau")
        verbose_name_plural = _("membres du réseau")
        ordering = ["reseau", "-role", "since", "pk"]
        indexes = [models.Index(fields=["reseau", "since", "until"], name="membre_reseau_dates")]
        constraints = [
            models.UniqueConstraint(
                fields=["reseau", "agent"], condition=Q(until__isnull=True), name="membre_reseau_once_active"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=F("since")),
                name="membre_reseau_leaves_after_joining",
                violation_error_message=_("Un membre quitte le réseau après l'avoir rejoint."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.reseau}"


class Evenement(models.Model):
    """A network event (journée réseau, atelier) and who attended it."""

    reseau = models.ForeignKey(Reseau, on_delete=models.PROTECT, related_name="evenements")
    title = models.CharField(_("intitulé"), max_length=200)
    held_on = models.DateField(_("date"), validators=DAY_BOUNDS)
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Participation", related_name="+", verbose_name=_("participants")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("événement du réseau")
        verbose_name_plural = _("événements du réseau")
        ordering = ["reseau", "-held_on", "pk"]

    def __str__(self) -> str:
        return self.title


class Participation(models.Model):
    evenement = models.ForeignKey(Evenement, on_delete=models.PROTECT, related_name="participations")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [models.UniqueConstraint(fields=["evenement", "agent"], name="participation_once")]

    def __str__(self) -> str:
        return f"{self.agent} — {self.evenement}"


class Ressource(models.Model):
    """A resource the network shares: a link (withdrawn, never deleted)."""

    reseau = models.ForeignKey(Reseau, on_delete=models.PROTECT, related_name="ressources")
    title = models.CharField(_("intitulé"), max_length=200)
    url = models.URLField(_("adresse"), max_length=500)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(_("retirée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("ressource partagée")
        verbose_name_plural = _("ressources partagées")
        ordering = ["reseau", "-added_at"]

    def __str__(self) -> str:
        return self.title


class Echange(models.Model):
    """An immersion ("vis ma vie") or a short professional exchange between agents of two collectivités:
    who hosted whom, when, on what, and what was learnt. A tie between the two from its first day."""

    class Kind(models.TextChoices):
        VIS_MA_VIE = "vis_ma_vie", _("Vis ma vie (immersion)")
        ECHANGE = "echange", _("Échange professionnel")

    territoire = models.ForeignKey(Territoire, on_delete=models.PROTECT, related_name="echanges")
    kind = models.CharField(_("nature"), max_length=10, choices=Kind.choices)
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    host_collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    guest = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    guest_collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("du"), validators=DAY_BOUNDS)
    ends_on = models.DateField(_("au"), validators=DAY_BOUNDS)
    theme = models.CharField(_("thème"), max_length=200)
    learnt = models.TextField(_("ce qui a été appris"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("échange entre agents")
        verbose_name_plural = _("échanges entre agents")
        ordering = ["territoire", "-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="echange_ends_after_start",
                violation_error_message=_("Un échange finit après avoir commencé."),
            ),
            models.CheckConstraint(condition=~Q(host=F("guest")), name="echange_between_two_agents"),
        ]

    def __str__(self) -> str:
        return f"{self.host} ↔ {self.guest} : {self.theme}"
