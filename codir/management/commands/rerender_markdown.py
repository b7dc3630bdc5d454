"""Re-render the stored HTML of every Markdown text, after a change of the sanitising policy."""

from django.core.management.base import BaseCommand
from django.db import transaction

from charte.models import Section
from codir.models import Instance, PointOdj, Reunion, RevueAnnuelle
from communes.text import render_markdown
from decisions.models import Proposition, Round
from reseaux.models import Projet, Reseau

# Every model field that keeps a Markdown source beside its rendered HTML (a test checks none is missing).
RENDERED = [
    (Proposition, "body", "body_html"),
    (Round, "body", "body_html"),
    (Section, "body", "body_html"),
    (Instance, "agenda", "agenda_html"),
    (Reunion, "minutes", "minutes_html"),
    (PointOdj, "description", "description_html"),
    (Projet, "description", "description_html"),
    (Projet, "objectives", "objectives_html"),
    (Projet, "expected_effects", "expected_effects_html"),
    (Projet, "resources", "resources_html"),
    (Reseau, "description", "description_html"),
    (RevueAnnuelle, "bilan", "bilan_html"),
    (RevueAnnuelle, "perspectives", "perspectives_html"),
]
BATCH = 500


class Command(BaseCommand):
    help = "Recalcule le HTML stocké de tous les textes Markdown (après un changement de la politique de nettoyage)."

    def handle(self, *args, **options):
        for model, source, target in RENDERED:
            total = model.objects.count()
            changed = 0
            for start in range(0, total, BATCH):
                with transaction.atomic():
                    rows = list(model.objects.order_by("pk").only("pk", source, target)[start : start + BATCH])
                    stale = []
                    for row in rows:
                        html = render_markdown(getattr(row, source))
                        if html != getattr(row, target):
                            setattr(row, target, html)
                            stale.append(row)
                    model.objects.bulk_update(stale, [target])
                    changed += len(stale)
                self.stdout.write(f"{model._meta.verbose_name_plural} ({source}) : {min(start + BATCH, total)}/{total}")
            self.stdout.write(
                f"{model._meta.verbose_name_plural} ({source}) : {changed} texte(s) recalculé(s) sur {total}."
            )
