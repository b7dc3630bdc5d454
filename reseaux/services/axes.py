"""The territory's strategic axes, under which projects are filed."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from communes.journal import journal_record
from communes.models import Agent, Territoire
from reseaux.models import Axe


@transaction.atomic
def axe_create(*, territoire: Territoire, by: Agent, name: str, position: int = 0) -> Axe:
    """Add a strategic axe to the territory (names are unique per territory)."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Nommez l'axe.")})
    try:
        with transaction.atomic():
            axe = Axe.objects.create(territoire=territoire, name=name, position=position)
    except IntegrityError:
        raise ValidationError({"name": _("Cet axe existe déjà.")}) from None
    journal_record(action="reseaux.axe.created", actor=by, territoire=territoire, target=axe, data={"name": name})
    return axe
