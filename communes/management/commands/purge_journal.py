"""Delete the journal lines past their retention (`JOURNAL_RETENTION_MONTHS`); to run daily."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from communes.journal import journal_purge, journal_retention_cutoff
from communes.models import JournalEntry


class Command(BaseCommand):
    help = (
        "Supprime les lignes du journal plus anciennes que la durée de conservation "
        "(JOURNAL_RETENTION_MONTHS, 12 mois par défaut). À lancer chaque jour (cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="compte les lignes sans les supprimer")

    def handle(self, *args, dry_run: bool, **options):
        cutoff = journal_retention_cutoff()
        months = settings.JOURNAL_RETENTION_MONTHS
        due = JournalEntry.objects.filter(created_at__lt=cutoff).count()
        when = timezone.localtime(cutoff).strftime("%d/%m/%Y")
        self.stdout.write(f"Journal : {due} ligne(s) antérieure(s) au {when} (conservation : {months} mois).")
        if dry_run or not due:
            return
        deleted = journal_purge(
            before=cutoff, progress=lambda done: self.stdout.write(f"  {done}/{due} ligne(s) supprimée(s)")
        )
        self.stdout.write(self.style.SUCCESS(f"{deleted} ligne(s) supprimée(s)."))
