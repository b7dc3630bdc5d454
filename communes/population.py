"""Population classes of communes, as the parity views and the annual review group them.

The bounds follow the thresholds of French municipal law that change how a commune works
(1,000: list ballot; 3,500: public debate on the budget and more; 10,000 and 50,000).
"""

from django.utils.translation import gettext_lazy as _

from communes.models import Collectivite

EPCI_CLASS = "epci"
# (key, lower bound, label); a commune belongs to the last class whose bound it reaches.
COMMUNE_CLASSES = [
    ("moins_1000", 0, _("Communes de moins de 1 000 habitants")),
    ("1000_3499", 1000, _("Communes de 1 000 à 3 499 habitants")),
    ("3500_9999", 3500, _("Communes de 3 500 à 9 999 habitants")),
    ("10000_49999", 10000, _("Communes de 10 000 à 49 999 habitants")),
    ("50000_plus", 50000, _("Communes de 50 000 habitants et plus")),
]
CLASS_LABELS = {EPCI_CLASS: _("EPCI"), **{key: label for key, _bound, label in COMMUNE_CLASSES}}


def population_class(collectivite: Collectivite) -> str:
    """The class key of a collectivité: `epci`, or the commune's size class."""
    if collectivite.kind == Collectivite.Kind.EPCI:
        return EPCI_CLASS
    key = COMMUNE_CLASSES[0][0]
    for candidate, bound, _label in COMMUNE_CLASSES:
        if collectivite.population >= bound:
            key = candidate
    return key
