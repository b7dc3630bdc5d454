"""Territories (the tenant), collectivités, agents, memberships, seats, invitations, journal."""

import secrets

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

siren_validator = RegexValidator(r"^\d{9}$", _("Un SIREN comporte exactement 9 chiffres."))
insee_validator = RegexValidator(r"^(\d{5}|2[AB]\d{3})$", _("Un code INSEE comporte 5 caractères (ex. 85151, 2A004)."))


class TerritoireQuerySet(models.QuerySet):
    def accessible_to(self, agent) -> "TerritoireQuerySet":
        """Territories where the agent has an active membership or that they facilitate."""
        from guardian.shortcuts import get_objects_for_user

        if not agent.is_authenticated or not agent.is_active:
            return self.none()
        facilitated = get_objects_for_user(
            agent, "communes.facilitate_territoire", klass=Territoire, with_superuser=False, use_groups=False
        ).values("pk")
        member_of = Membership.objects.active().filter(agent=agent).values("territoire_id")
        return self.filter(Q(pk__in=member_of) | Q(pk__in=facilitated))


class Territoire(models.Model):
    """The tenant: one EPCI and its member communes."""

    class Nature(models.TextChoices):
        CC = "CC", _("Communauté de communes")
        CA = "CA", _("Communauté d'agglomération")
        CU = "CU", _("Communauté urbaine")
        METRO = "METRO", _("Métropole")
        MET69 = "MET69", _("Métropole de Lyon")

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant d'adresse"), max_length=80, unique=True)
    siren = models.CharField(_("SIREN de l'EPCI"), max_length=9, unique=True, validators=[siren_validator])
    nature = models.CharField(_("nature juridique"), max_length=5, choices=Nature.choices)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    updated_at = models.DateTimeField(_("mis à jour le"), auto_now=True)

    objects = TerritoireQuerySet.as_manager()

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["name"]
        permissions = [
            ("facilitate_territoire", _("Accompagner ce territoire (facilitateur)")),
            ("administer_territoire", _("Administrer ce territoire")),
        ]

    def __str__(self) -> str:
        return self.name


class CollectiviteQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "CollectiviteQuerySet":
        return self.filter(territoire=territoire)

    def active(self) -> "CollectiviteQuerySet":
        return self.filter(left_at__isnull=True)


class Collectivite(models.Model):
    """The EPCI or one of its member communes; each has one voice in the CoDir."""

    class Kind(models.TextChoices):
        EPCI = "epci", _("EPCI")
        COMMUNE = "commune", _("Commune")

    territoire = models.ForeignKey(
        Territoire, on_delete=models.PROTECT, related_name="collectivites", verbose_name=_("territoire")
    )
    kind = models.CharField(_("type"), max_length=7, choices=Kind.choices)
    name = models.CharField(_("nom"), max_length=200)
    code_insee = models.CharField(_("code INSEE"), max_length=5, blank=True, validators=[insee_validator])
    siren = models.CharField(_("SIREN"), max_length=9, validators=[siren_validator])
    departement = models.CharField(_("département"), max_length=3, blank=True)
    population = models.PositiveIntegerField(_("population municipale"), default=0)
    left_at = models.DateField(_("sortie du territoire le"), null=True, blank=True)

    objects = CollectiviteQuerySet.as_manager()

    class Meta:
        verbose_name = _("collectivité")
        verbose_name_plural = _("collectivités")
        # The EPCI first, then communes from the largest: the order a DGS reads a territory in.
        ordering = ["territoire", "-kind", "-population", "name"]
        constraints = [
            models.UniqueConstraint(fields=["territoire", "siren"], name="collectivite_unique_siren_per_territoire"),
            models.UniqueConstraint(
                fields=["territoire"], condition=Q(kind="epci"), name="collectivite_one_epci_per_territoire"
            ),
            models.CheckConstraint(
                condition=Q(kind="epci", code_insee="") | Q(kind="commune") & ~Q(code_insee=""),
                name="collectivite_insee_code_only_for_communes",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.left_at is None

    @property
    def is_epci(self) -> bool:
        return self.kind == self.Kind.EPCI


def erased_label(agent_id: int) -> str:
    """What the application says instead of an erased agent's name."""
    return gettext("Personne effacée n° %(number)s") % {"number": agent_id}


class AgentManager(BaseUserManager):
    use_in_migrations = True

    def with_email(self, email: str) -> models.QuerySet:
        """The agent (zero or one) with this address, whatever its case or surrounding spaces.

        E-mail addresses are compared without case: people type them every which way. Lower-casing in Python
        and in SQL, rather than `iexact` (UPPER() on PostgreSQL), keeps lookalikes out: UPPER('ı') is 'I', so
        "sophıe@…" would open sophie@…'s account and dodge the lockout counted on "sophıe@…".
        """
        return self.alias(email_lower=Lower("email")).filter(email_lower=str(email).strip().lower())

    def get_by_natural_key(self, email: str) -> "Agent":
        return self.with_email(email).get()

    def create_user(self, email: str, password: str | None = None, **fields) -> "Agent":
        if not email:
            raise ValueError("Un agent a besoin d'une adresse électronique.")
        agent = self.model(email=self.normalize_email(email).lower(), **fields)
        agent.set_password(password)
        agent.save(using=self._db)
        return agent

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "Agent":
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class Agent(AbstractBaseUser, PermissionsMixin):
    """A person with an account; logs in with their e-mail address."""

    email = models.EmailField(_("adresse électronique"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    collectivite = models.ForeignKey(
        Collectivite,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agents",
        verbose_name=_("collectivité employeuse"),
    )
    job_title = models.CharField(_("fonction"), max_length=200, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    # « Me déconnecter partout » : every session opened before this moment ends at its next request.
    sessions_revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by communes.personal_data.agent_erase: the row stays (acts point to it), the person is gone.
    erased_at = models.DateTimeField(_("effacé le"), null=True, blank=True, editable=False)
    is_staff = models.BooleanField(_("accès à l'administration"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), default=timezone.now)

    objects = AgentManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="agent_email_unique_whatever_the_case",
                violation_error_message=_("Un compte existe déjà avec cette adresse électronique."),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def full_name(self) -> str:
        if self.erased_at is not None:
            return erased_label(self.pk)
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name or self.email


class MembershipQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "MembershipQuerySet":
        return self.filter(territoire=territoire)

    def active(self) -> "MembershipQuerySet":
        return self.filter(ended_at__isnull=True)


class Membership(models.Model):
    """An agent's place in a territory's CoDir, on behalf of one collectivité."""

    class Role(models.TextChoices):
        DGS = "dgs", _("Directeur·rice général·e des services")
        DGA = "dga", _("Directeur·rice général·e adjoint·e")
        SG = "sg", _("Secrétaire général·e / de mairie")
        REFERENT = "referent", _("Référent·e de réseau")
        OBSERVATEUR = "observateur", _("Observateur·rice (élu·e)")

    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("agent"))
    territoire = models.ForeignKey(
        Territoire, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("territoire")
    )
    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("collectivité")
    )
    role = models.CharField(_("rôle"), max_length=12, choices=Role.choices)
    started_at = models.DateTimeField(_("depuis le"), default=timezone.now)
    ended_at = models.DateTimeField(_("jusqu'au"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        ordering = ["collectivite__name", "agent__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "territoire"],
                condition=Q(ended_at__isnull=True),
                name="membership_one_active_per_agent_and_territoire",
            ),
            models.CheckConstraint(
                condition=Q(role__in=["dgs", "dga", "sg", "referent", "observateur"]), name="membership_known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} — {self.get_role_display()} ({self.collectivite})"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def is_director(self) -> bool:
        """DGS, DGA and SG form the CoDir proper; référents and observers take part around it."""
        return self.role in {self.Role.DGS, self.Role.DGA, self.Role.SG}


class SeatQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "SeatQuerySet":
        return self.filter(collectivite__territoire=territoire)

    def active(self) -> "SeatQuerySet":
        return self.filter(ended_at__isnull=True)


class Seat(models.Model):
    """Who holds a collectivité's voice, and since when.

    The seat belongs to the collectivité, not to the person: when its DGS leaves, the seat
    passes to the interim or the successor and the previous tenure stays in the history.
    The suppléant speaks only when the titulaire has not.
    """

    class Kind(models.TextChoices):
        TITULAIRE = "titulaire", _("Titulaire")
        SUPPLEANT = "suppleant", _("Suppléant·e")

    collectivite = models.ForeignKey(
        Collectivite, on_delete=models.PROTECT, related_name="seats", verbose_name=_("collectivité")
    )
    kind = models.CharField(_("siège"), max_length=9, choices=Kind.choices)
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="seats", verbose_name=_("membre"))
    started_at = models.DateTimeField(_("depuis le"), default=timezone.now)
    ended_at = models.DateTimeField(_("jusqu'au"), null=True, blank=True)

    objects = SeatQuerySet.as_manager()

    class Meta:
        verbose_name = _("siège")
        verbose_name_plural = _("sièges")
        ordering = ["collectivite", "kind", "-started_at"]
        constraints = [
            # One voice per collectivité: at most one titulaire and one suppléant at a time.
            models.UniqueConstraint(
                fields=["collectivite", "kind"],
                condition=Q(ended_at__isnull=True),
                name="seat_one_active_holder_per_kind",
            ),
            # Nobody can be both titulaire and suppléant: the substitute must be someone else.
            models.UniqueConstraint(
                fields=["membership"], condition=Q(ended_at__isnull=True), name="seat_one_active_seat_per_member"
            ),
            models.CheckConstraint(condition=Q(kind__in=["titulaire", "suppleant"]), name="seat_known_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.collectivite}"


def _new_nonce() -> str:
    return secrets.token_urlsafe(32)


class InvitationQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "InvitationQuerySet":
        return self.filter(territoire=territoire)

    def pending(self) -> "InvitationQuerySet":
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A one-time link inviting someone to a territory.

    A member invitation joins the CoDir for a collectivité with a role; a facilitator invitation
    grants read access to the territory (`communes.facilitate_territoire`) and has neither.
    The link's token is signed with SECRET_KEY over the invitation's id and a random nonce:
    neither the database nor the task queue holds a usable token.
    """

    class Kind(models.TextChoices):
        MEMBRE = "membre", _("Membre du CoDir")
        FACILITATEUR = "facilitateur", _("Facilitateur·rice")

    territoire = models.ForeignKey(
        Territoire, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("territoire")
    )
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, default=Kind.MEMBRE)
    collectivite = models.ForeignKey(
        Collectivite,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("collectivité"),
    )
    email = models.EmailField(_("adresse électronique"))
    role = models.CharField(_("rôle"), max_length=12, choices=Membership.Role.choices, blank=True)
    seat_kind = models.CharField(_("siège"), max_length=9, choices=Seat.Kind.choices, blank=True)
    nonce = models.CharField(max_length=43, default=_new_nonce, editable=False)
    invited_by = models.ForeignKey(
        Agent, on_delete=models.PROTECT, related_name="invitations_sent", verbose_name=_("invité par")
    )
    created_at = models.DateTimeField(_("envoyée le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    accepted_at = models.DateTimeField(_("acceptée le"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        Agent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations_accepted",
        verbose_name=_("acceptée par"),
    )
    revoked_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # A member joins for a collectivité with a role; a facilitator represents no collectivité.
            models.CheckConstraint(
                condition=Q(kind="membre", collectivite__isnull=False) & ~Q(role="")
                | Q(kind="facilitateur", collectivite__isnull=True, role="", seat_kind=""),
                name="invitation_fields_match_kind",
                violation_error_message=_(
                    "Une invitation de membre précise la collectivité et le rôle ; "
                    "une invitation de facilitateur·rice n'en a pas."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.territoire}"

    @property
    def is_facilitator(self) -> bool:
        return self.kind == self.Kind.FACILITATEUR

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "acceptee"
        if self.revoked_at:
            return "annulee"
        if self.expires_at <= timezone.now():
            return "expiree"
        return "en_attente"

    @property
    def is_usable(self) -> bool:
        return self.status == "en_attente"


class JournalEntryQuerySet(models.QuerySet):
    def for_territoire(self, territoire: Territoire) -> "JournalEntryQuerySet":
        return self.filter(territoire=territoire)


class JournalEntry(models.Model):
    """One line of the audit journal: who did what, to what, when."""

    territoire = models.ForeignKey(
        Territoire,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
        verbose_name=_("territoire"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("auteur"),
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    target_id = models.CharField(max_length=64, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    target_label = models.CharField(_("objet"), max_length=300, blank=True)
    data = models.JSONField(_("détails"), default=dict, blank=True)
    created_at = models.DateTimeField(_("le"), default=timezone.now)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal")
        ordering = ["-created_at", "-id"]
        # Serves the territory journal page, newest first.
        indexes = [models.Index(fields=["territoire", "-created_at"], name="journal_territoire_recent")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_label}"
