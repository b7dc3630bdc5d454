"""The co-written charter: versions of ordered sections, the rules each version sets, amendments,
signatures and ratifications by each collectivité's council."""

from django.conf import settings
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.models import Collectivite, Territoire
from decisions.models import MajorityChoices, ModeChoices, Proposition
from decisions.outcome import Majority, Mode, Rule


class Charte(models.Model):
    """A territory's charter (charte de fonctionnement, pacte de confiance): one per territory."""

    territoire = models.OneToOneField(Territoire, on_delete=models.PROTECT, related_name="charte")
    title = models.CharField(_("titre"), max_length=200, default=_("Charte de fonctionnement du CoDir de territoire"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("charte")
        verbose_name_plural = _("chartes")

    def __str__(self) -> str:
        return f"{self.title} — {self.territoire}"


class VersionQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "VersionQuerySet":
        return self.filter(charte__territoire=territoire)


class Version(models.Model):
    """One version of the charter. An adopted version never changes again."""

    class Status(models.TextChoices):
        BROUILLON = "brouillon", _("Brouillon")
        EN_ADOPTION = "en_adoption", _("En adoption")
        ADOPTEE = "adoptee", _("Adoptée")
        REMPLACEE = "remplacee", _("Remplacée")

    charte = models.ForeignKey(Charte, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("état"), max_length=11, choices=Status.choices, default=Status.BROUILLON)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("fondée sur")
    )
    origin = models.CharField(_("origine"), max_length=200, blank=True)
    adopted_at = models.DateTimeField(_("adoptée le"), null=True, blank=True)
    proposition = models.ForeignKey(
        Proposition, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("décision")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = VersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("version de la charte")
        verbose_name_plural = _("versions de la charte")
        ordering = ["charte", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["charte", "number"], name="version_unique_number"),
            # One version in force, and one draft being written or adopted, at a time.
            models.UniqueConstraint(
                fields=["charte"], condition=Q(status="adoptee"), name="version_one_in_force_per_charte"
            ),
            models.UniqueConstraint(
                fields=["charte"],
                condition=Q(status__in=["brouillon", "en_adoption"]),
                name="version_one_draft_per_charte",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["brouillon", "en_adoption"]) | Q(adopted_at__isnull=False),
                name="version_adopted_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.charte} — v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.BROUILLON

    @property
    def is_adopted(self) -> bool:
        return self.status in (self.Status.ADOPTEE, self.Status.REMPLACEE)


class Section(models.Model):
    """One ordered section of a version; `key` follows the same section from version to version."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="sections")
    key = models.SlugField(_("identifiant"), max_length=80)
    position = models.PositiveIntegerField(_("ordre"))
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte (Markdown)"), blank=True)
    body_html = models.TextField(editable=False, blank=True)
    # Optimistic locking of drafts: a save must name the revision it was based on.
    revision = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("section")
        verbose_name_plural = _("sections")
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="section_unique_key_per_version")]

    def __str__(self) -> str:
        return self.title


def _between(low: int, high: int) -> list:
    return [MinValueValidator(low), MaxValueValidator(high)]


class Regles(models.Model):
    """The rules a version sets, which the application then applies."""

    version = models.OneToOneField(Version, on_delete=models.PROTECT, related_name="regles")
    delai_prevenance_heures = models.PositiveSmallIntegerField(
        _("délai de prévenance (heures)"),
        default=48,
        validators=_between(24, 360),
        help_text=_("L'ordre du jour part au plus tard ce nombre d'heures avant la réunion (entre 24 et 360)."),
    )
    codir_avant_instance_jours = models.PositiveSmallIntegerField(
        _("CoDir avant l'instance (jours)"),
        default=7,
        validators=_between(1, 60),
        help_text=_("Combien de jours avant le conseil ou le bureau communautaire se tient le CoDir qui le prépare."),
    )
    mode_decision = models.CharField(
        _("mode de décision par défaut"),
        max_length=15,
        choices=ModeChoices.choices,
        default=Mode.CONSENTEMENT.value,
        help_text=_("Le mode proposé pour chaque nouvelle décision du CoDir."),
    )
    majorite = models.CharField(
        _("majorité requise"),
        max_length=12,
        choices=MajorityChoices.choices,
        default=Majority.SIMPLE.value,
        help_text=_("Pour la majorité et la double majorité."),
    )
    quorum_pourcent = models.PositiveSmallIntegerField(
        _("quorum (%)"),
        default=50,
        validators=_between(0, 100),
        help_text=_("Part des collectivités du territoire qui doivent s'exprimer pour qu'une décision soit prise."),
    )
    colleges = models.BooleanField(
        _("collèges"), default=False, help_text=_("L'EPCI et les communes comptés séparément, chacun à la majorité.")
    )
    animation_tournante = models.BooleanField(
        _("animation tournante"), default=True, help_text=_("L'animation des réunions tourne entre les membres.")
    )
    lieu_tournant = models.BooleanField(
        _("lieu tournant"), default=True, help_text=_("Les réunions se tiennent à tour de rôle dans chaque commune.")
    )
    documents_obligatoires = models.BooleanField(
        _("documents obligatoires"),
        default=False,
        help_text=_("Chaque point de l'ordre du jour doit être accompagné d'un document."),
    )
    delai_compte_rendu_jours = models.PositiveSmallIntegerField(
        _("délai du compte rendu (jours)"),
        default=15,
        validators=_between(1, 60),
        help_text=_("Le compte rendu est diffusé au plus tard ce nombre de jours après la réunion."),
    )

    # The rules an amendment may change, in the order pages show them.
    NAMES = [
        "delai_prevenance_heures",
        "codir_avant_instance_jours",
        "mode_decision",
        "majorite",
        "quorum_pourcent",
        "colleges",
        "animation_tournante",
        "lieu_tournant",
        "documents_obligatoires",
        "delai_compte_rendu_jours",
    ]

    class Meta:
        verbose_name = _("règles")
        verbose_name_plural = _("règles")
        constraints = [
            models.CheckConstraint(
                condition=Q(delai_prevenance_heures__gte=24, delai_prevenance_heures__lte=360),
                name="regles_prevenance_between_24_and_360",
            ),
            models.CheckConstraint(condition=Q(quorum_pourcent__lte=100), name="regles_quorum_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"Règles — {self.version}"

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.NAMES}

    @property
    def decision_rule(self) -> Rule:
        return Rule(Mode(self.mode_decision), Majority(self.majorite), self.quorum_pourcent, self.colleges)


class AmendementQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "AmendementQuerySet":
        return self.filter(charte__territoire=territoire)


class Amendement(models.Model):
    """A proposed change to the charter in force: a section's text, a rule, or a new section."""

    class Kind(models.TextChoices):
        SECTION = "section", _("Modifier une section")
        NOUVELLE_SECTION = "nouvelle_section", _("Ajouter une section")
        REGLE = "regle", _("Changer une règle")

    class Status(models.TextChoices):
        EN_DECISION = "en_decision", _("Soumis au CoDir")
        ADOPTE = "adopte", _("Adopté")
        NON_ADOPTE = "non_adopte", _("Non adopté")
        A_REBASER = "a_rebaser", _("À reprendre sur le texte en vigueur")
        RETIRE = "retire", _("Retiré")

    charte = models.ForeignKey(Charte, on_delete=models.PROTECT, related_name="amendements")
    kind = models.CharField(_("nature"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("état"), max_length=11, choices=Status.choices, default=Status.EN_DECISION)
    base_version = models.ForeignKey(
        Version, on_delete=models.PROTECT, related_name="+", verbose_name=_("version de référence")
    )
    section_key = models.SlugField(_("section"), max_length=80, blank=True)
    base_text = models.TextField(_("texte de référence"), blank=True)
    title = models.CharField(_("titre de la section"), max_length=200, blank=True)
    text = models.TextField(_("texte proposé"), blank=True)
    rule_name = models.CharField(_("règle"), max_length=40, blank=True)
    rule_value = models.JSONField(_("nouvelle valeur"), null=True, blank=True)
    motive = models.TextField(_("motif"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="amendements")
    proposition = models.OneToOneField(
        Proposition, on_delete=models.PROTECT, null=True, blank=True, related_name="amendement"
    )
    result_version = models.ForeignKey(
        Version, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("version créée")
    )
    created_at = models.DateTimeField(_("proposé le"), default=timezone.now)

    objects = AmendementQuerySet.as_manager()

    class Meta:
        verbose_name = _("amendement")
        verbose_name_plural = _("amendements")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Amendement {self.pk} — {self.get_kind_display()}"

    @property
    def rule_label(self) -> str:
        return str(Regles._meta.get_field(self.rule_name).verbose_name) if self.rule_name else ""


class Signature(models.Model):
    """The titulaire of a collectivité signs an adopted version on its behalf."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="signatures")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signée le"), default=timezone.now)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            models.UniqueConstraint(fields=["version", "collectivite"], name="signature_one_per_collectivite")
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.version}"


class Ratification(models.Model):
    """A collectivité records that its own council approved an adopted version."""

    version = models.ForeignKey(Version, on_delete=models.PROTECT, related_name="ratifications")
    collectivite = models.ForeignKey(Collectivite, on_delete=models.PROTECT, related_name="+")
    deliberation_date = models.DateField(_("date de la délibération"))
    deliberation_number = models.CharField(_("numéro de la délibération"), max_length=50)
    document = models.FileField(
        _("délibération (PDF)"),
        upload_to="charte/ratifications/%Y/",
        blank=True,
        validators=[FileExtensionValidator(["pdf"])],
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ratification")
        verbose_name_plural = _("ratifications")
        constraints = [
            models.UniqueConstraint(fields=["version", "collectivite"], name="ratification_one_per_collectivite")
        ]

    def __str__(self) -> str:
        return f"{self.collectivite} — {self.version} ({self.deliberation_number})"
