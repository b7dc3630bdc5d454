"""The annual review that a neutral facilitator runs with a territory: its stages, its anonymous
questionnaire, the séminaire's bilan and commitments, and what each territory agrees to share.

Anonymity is built into the tables, not only into the pages: an answer (`Reponse`) has a random
identifier and no date, and nothing links it to the person; who answered is a separate row
(`Participation`) kept only so that nobody answers twice.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Collectivite, Territoire
from decisions.models import Action, Proposition

YEAR_BOUNDS = [MinValueValidator(2000), MaxValueValidator(2100)]


class Campagne(models.Model):
    """A facilitator's campaign: the reviews of several territories for one year, one questionnaire."""

    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="campagnes",
        verbose_name=_("facilitateur·rice"),
    )
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    title = models.CharField(_("intitulé"), max_length=200)
    # The questionnaire as adapted for this campaign (see codir.revue.questionnaire for its shape);
    # each review copies it when it opens, so a later change never alters answers already given.
    questionnaire = models.JSONField(_("questionnaire"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("campagne de revues annuelles")
        verbose_name_plural = _("campagnes de revues annuelles")
        ordering = ["-year", "title"]

    def __str__(self) -> str:
        return self.title


class RevueQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "RevueQuerySet":
        return self.filter(territoire=territoire)


class RevueAnnuelle(models.Model):
    """The annual review of one territory: préparation → questionnaire ouvert → séminaire → clôturée."""

    class Stage(models.TextChoices):
        PREPARATION = "preparation", _("Préparation")
        QUESTIONNAIRE = "questionnaire", _("Questionnaire ouvert")
        SEMINAIRE = "seminaire", _("Séminaire")
        CLOTUREE = "cloturee", _("Clôturée")

    territoire = models.ForeignKey(Territoire, on_delete=models.PROTECT, related_name="revues_annuelles")
    year = models.PositiveSmallIntegerField(_("année"), validators=YEAR_BOUNDS)
    campagne = models.ForeignKey(
        Campagne, on_delete=models.PROTECT, null=True, blank=True, related_name="revues", verbose_name=_("campagne")
    )
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("facilitateur·rice")
    )
    stage = models.CharField(_("étape"), max_length=13, choices=Stage.choices, default=Stage.PREPARATION)
    questionnaire = models.JSONField(_("questionnaire"))
    questionnaire_opened_at = models.DateTimeField(_("questionnaire ouvert le"), null=True, blank=True)
    questionnaire_closed_at = models.DateTimeField(_("questionnaire clos le"), null=True, blank=True)
    seminar_on = models.DateField(_("date du séminaire"), null=True, blank=True)
    seminar_place = models.CharField(_("lieu du séminaire"), max_length=200, blank=True)
    bilan = models.TextField(_("bilan (Markdown)"), blank=True)
    bilan_html = models.TextField(editable=False, blank=True)
    perspectives = models.TextField(_("perspectives (Markdown)"), blank=True)
    perspectives_html = models.TextField(editable=False, blank=True)
    # Frozen at closure, so the report of a past year reads as it was presented.
    indicators = models.JSONField(_("indicateurs figés"), default=list, blank=True, editable=False)
    results = models.JSONField(_("résultats figés du questionnaire"), default=dict, blank=True, editable=False)
    network_svg = models.TextField(_("carte des réseaux figée"), blank=True, editable=False)
    proposition = models.ForeignKey(
        Proposition,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("engagements au registre des décisions"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)

    objects = RevueQuerySet.as_manager()

    class Meta:
        verbose_name = _("revue annuelle")
        verbose_name_plural = _("revues annuelles")
        ordering = ["territoire", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["territoire", "year"], name="revue_annuelle_once_per_year"),
            models.CheckConstraint(
                condition=~Q(stage="cloturee") | Q(closed_at__isnull=False), name="revue_annuelle_closed_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.territoire} — {self.year}"

    @property
    def is_closed(self) -> bool:
        return self.stage == self.Stage.CLOTUREE

    @property
    def accepts_answers(self) -> bool:
        return self.stage == self.Stage.QUESTIONNAIRE


class Engagement(models.Model):
    """A commitment for next year agreed at the séminaire; it becomes a follow-up action at closure."""

    revue = models.ForeignKey(RevueAnnuelle, on_delete=models.PROTECT, related_name="engagements")
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    title = models.CharField(_("engagement"), max_length=200)
    description = models.TextField(_("précisions"), blank=True)
    owner_collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="+", verbose_name=_("collectivité qui le porte")
    )
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    action = models.OneToOneField(
        Action, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("action de suivi")
    )
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("engagement")
        verbose_name_plural = _("engagements")
        ordering = ["revue", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class Reponse(models.Model):
    """One anonymous set of answers: a random key, no date, no person; only the broad profile of the
    respondent's collectivité (EPCI or a commune's population class), shown only for groups of three."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    revue = models.ForeignKey(RevueAnnuelle, on_delete=models.PROTECT, related_name="reponses")
    profile = models.CharField(_("profil"), max_length=20)
    answers = models.JSONField(_("réponses"))

    class Meta:
        verbose_name = _("réponse anonyme")
        verbose_name_plural = _("réponses anonymes")
        # Never in the order they were given: a random key, ordered by it.
        ordering = ["revue_id", "id"]

    def __str__(self) -> str:
        return str(_("Réponse anonyme"))


class Participation(models.Model):
    """That someone answered (not what): so that each member answers once, and the rate can be shown."""

    revue = models.ForeignKey(RevueAnnuelle, on_delete=models.PROTECT, related_name="participations")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # A day, not an instant: an instant could be matched with the answers' physical order.
    answered_on = models.DateField(_("a répondu le"), default=timezone.localdate)

    class Meta:
        verbose_name = _("participation au questionnaire")
        verbose_name_plural = _("participations au questionnaire")
        constraints = [models.UniqueConstraint(fields=["revue", "agent"], name="participation_once_per_revue")]

    def __str__(self) -> str:
        return f"{self.revue} — {self.agent}"


class Partage(models.Model):
    """What a territory agrees to show beside other territories in its facilitator's comparison.

    Families not shared appear there only aggregated with other territories, never alone.
    """

    territoire = models.OneToOneField(Territoire, on_delete=models.PROTECT, related_name="partage_revue")
    families = models.JSONField(_("familles d'indicateurs partagées"), default=list, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("partage avec le ou la facilitateur·rice")
        verbose_name_plural = _("partages avec les facilitateur·rices")

    def __str__(self) -> str:
        return str(self.territoire)
