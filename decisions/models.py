"""Propositions put to the collective, their rounds, each collectivité's position, follow-up actions."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communes.models import Collectivite, Seat, Territoire
from decisions.outcome import Avis, Choice, Majority, Mode, Result, Rule


class ModeChoices(models.TextChoices):
    CONSENTEMENT = Mode.CONSENTEMENT.value, _("Consentement")
    MAJORITE = Mode.MAJORITE.value, _("Majorité des collectivités")
    UNANIMITE = Mode.UNANIMITE.value, _("Unanimité")
    DOUBLE_MAJORITE = Mode.DOUBLE_MAJORITE.value, _("Double majorité (collectivités et population)")


class MajorityChoices(models.TextChoices):
    SIMPLE = Majority.SIMPLE.value, _("Simple (plus de la moitié)")
    DEUX_TIERS = Majority.DEUX_TIERS.value, _("Qualifiée (au moins deux tiers)")
    TROIS_QUARTS = Majority.TROIS_QUARTS.value, _("Qualifiée (au moins trois quarts)")


class ResultChoices(models.TextChoices):
    ADOPTEE = Result.ADOPTEE.value, _("Adoptée")
    REJETEE = Result.REJETEE.value, _("Rejetée")
    SANS_QUORUM = Result.SANS_QUORUM.value, _("Sans quorum")
    OBJECTION = Result.OBJECTION.value, _("Bloquée par une objection")


class AvisChoices(models.TextChoices):
    FAVORABLE = Avis.FAVORABLE.value, _("Favorable")
    FAVORABLE_AVEC_RESERVES = Avis.FAVORABLE_AVEC_RESERVES.value, _("Favorable avec réserves")
    DEFAVORABLE = Avis.DEFAVORABLE.value, _("Défavorable")


class ChoiceChoices(models.TextChoices):
    POUR = Choice.POUR.value, _("Pour")
    CONTRE = Choice.CONTRE.value, _("Contre")
    ABSTENTION = Choice.ABSTENTION.value, _("Abstention")
    OBJECTION = Choice.OBJECTION.value, _("Objection motivée")


class PropositionQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "PropositionQuerySet":
        return self.filter(territoire=territoire)


class Proposition(models.Model):
    """A question put to the CoDir, decided with one voice per collectivité."""

    class Kind(models.TextChoices):
        AVIS_TECHNIQUE = "avis_technique", _("Avis technique")
        CHARTE = "charte", _("Charte")
        PROJET = "projet", _("Projet")
        PRIORISATION = "priorisation", _("Priorisation")
        SEMINAIRE = "seminaire", _("Engagements du séminaire annuel")
        LIBRE = "libre", _("Question libre")

    class Status(models.TextChoices):
        BROUILLON = "brouillon", _("Brouillon")
        OUVERTE = "ouverte", _("Ouverte")
        CLOSE = "close", pgettext_lazy("état d’une proposition", "Close")
        RETIREE = "retiree", _("Retirée")

    territoire = models.ForeignKey(
        Territoire, on_delete=models.PROTECT, related_name="propositions", verbose_name=_("territoire")
    )
    title = models.CharField(_("intitulé"), max_length=200)
    body = models.TextField(_("texte (Markdown)"))
    body_html = models.TextField(editable=False)
    kind = models.CharField(_("nature"), max_length=14, choices=Kind.choices, default=Kind.LIBRE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="propositions", verbose_name=_("auteur")
    )
    status = models.CharField(_("état"), max_length=9, choices=Status.choices, default=Status.BROUILLON)
    mode = models.CharField(_("mode de décision"), max_length=15, choices=ModeChoices.choices)
    majority = models.CharField(
        _("majorité requise"), max_length=12, choices=MajorityChoices.choices, default=Majority.SIMPLE
    )
    quorum_percent = models.PositiveSmallIntegerField(_("quorum (%)"), validators=[MaxValueValidator(100)])
    colleges = models.BooleanField(_("collèges (EPCI et communes comptés séparément)"), default=False)
    opens_at = models.DateTimeField(_("ouverte le"), null=True, blank=True)
    closes_at = models.DateTimeField(_("clôture prévue le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("close le"), null=True, blank=True)
    result = models.CharField(_("résultat"), max_length=11, choices=ResultChoices.choices, blank=True)
    avis = models.CharField(_("avis"), max_length=23, choices=AvisChoices.choices, blank=True)
    withdrawal_reason = models.TextField(_("motif du retrait"), blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = PropositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("proposition")
        verbose_name_plural = _("propositions")
        ordering = ["-created_at"]
        indexes = [
            # The register: a territory's closed decisions, newest first.
            models.Index(fields=["territoire", "status", "-closed_at"], name="proposition_register"),
            # The sweep: open propositions whose deadline has passed.
            models.Index(fields=["status", "closes_at"], name="proposition_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quorum_percent__lte=100), name="proposition_quorum_at_most_100"),
            models.CheckConstraint(
                condition=~Q(status="close") | ~Q(result=""), name="proposition_closed_has_a_result"
            ),
            models.CheckConstraint(
                # A draft has no dates yet, and keeps none when it is withdrawn before opening.
                condition=Q(status__in=["brouillon", "retiree"]) | Q(opens_at__isnull=False, closes_at__isnull=False),
                name="proposition_opened_has_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def rule(self) -> Rule:
        return Rule(Mode(self.mode), Majority(self.majority), self.quorum_percent, self.colleges)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OUVERTE


class Round(models.Model):
    """One round of a proposition: the text as put, and the positions given on it.

    Under consent, an objection leads the author to amend: the round closes and a new one
    opens on the new text; earlier texts and positions stay viewable.
    """

    class Closing(models.TextChoices):
        CLOTURE = "cloture", _("Clôture")
        AMENDEMENT = "amendement", _("Texte amendé")
        RETRAIT = "retrait", _("Retrait")

    proposition = models.ForeignKey(Proposition, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField(_("tour"))
    body = models.TextField(_("texte soumis"))
    body_html = models.TextField(editable=False)
    opened_at = models.DateTimeField(_("ouvert le"), default=timezone.now)
    closed_at = models.DateTimeField(_("clos le"), null=True, blank=True)
    closing = models.CharField(_("fin du tour"), max_length=10, choices=Closing.choices, blank=True)
    result = models.CharField(_("résultat"), max_length=11, choices=ResultChoices.choices, blank=True)
    tally = models.JSONField(_("décompte"), default=dict, blank=True)

    class Meta:
        verbose_name = _("tour")
        verbose_name_plural = _("tours")
        ordering = ["proposition", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposition", "number"], name="round_unique_number"),
            models.UniqueConstraint(
                fields=["proposition"], condition=Q(closed_at__isnull=True), name="round_one_open_per_proposition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proposition} — tour {self.number}"


class PositionQuerySet(models.QuerySet):
    def current(self) -> "PositionQuerySet":
        return self.filter(replaced_at__isnull=True)


class Position(models.Model):
    """A collectivité's position in a round, given by its titulaire or, failing them, its suppléant."""

    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="positions")
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="positions", verbose_name=_("collectivité")
    )
    choice = models.CharField(_("position"), max_length=10, choices=ChoiceChoices.choices)
    motive = models.TextField(_("motif"), blank=True)
    spoken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("exprimée par")
    )
    seat_kind = models.CharField(_("en qualité de"), max_length=9, choices=Seat.Kind.choices)
    created_at = models.DateTimeField(_("exprimée le"), default=timezone.now)
    replaced_at = models.DateTimeField(_("remplacée le"), null=True, blank=True)
    response = models.TextField(_("réponse de l'auteur à l'objection"), blank=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["round", "collectivite", "created_at"]
        constraints = [
            # Parity: one voice per collectivité per round; earlier positions stay, replaced.
            models.UniqueConstraint(
                fields=["round", "collectivite"],
                condition=Q(replaced_at__isnull=True),
                name="position_one_voice_per_collectivite_and_round",
            ),
            models.CheckConstraint(
                condition=~Q(choice="objection") | ~Q(motive=""), name="position_objection_has_a_motive"
            ),
            models.CheckConstraint(
                condition=Q(choice__in=["pour", "contre", "abstention", "objection"]), name="position_known_choice"
            ),
            models.CheckConstraint(condition=Q(seat_kind__in=["titulaire", "suppleant"]), name="position_seat_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} : {self.get_choice_display()}"


class ActionQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "ActionQuerySet":
        return self.filter(territoire=territoire)


class Action(models.Model):
    """A follow-up action decided with a proposition."""

    class Status(models.TextChoices):
        A_FAIRE = "a_faire", _("À faire")
        EN_COURS = "en_cours", _("En cours")
        FAITE = "faite", _("Faite")
        ABANDONNEE = "abandonnee", _("Abandonnée")

    territoire = models.ForeignKey(Territoire, on_delete=models.PROTECT, related_name="actions")
    proposition = models.ForeignKey(
        Proposition, on_delete=models.PROTECT, related_name="actions", verbose_name=_("décision")
    )
    title = models.CharField(_("action"), max_length=200)
    description = models.TextField(_("précisions"), blank=True)
    owner_collectivite = models.ForeignKey(
        Collectivite,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("collectivité responsable"),
    )
    owner_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("personne responsable"),
    )
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.A_FAIRE)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    reminded_on = models.DateField(null=True, blank=True, editable=False)

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("action de suivi")
        verbose_name_plural = _("actions de suivi")
        ordering = ["due_date", "pk"]
        indexes = [models.Index(fields=["status", "due_date"], name="action_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner_collectivite__isnull=False) | Q(owner_agent__isnull=False),
                name="action_has_an_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.A_FAIRE, self.Status.EN_COURS)
