"""`manage.py backup [--output PATH]`: one archive with the whole database and every uploaded file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from codir.backup import BackupError, create_backup, default_archive_name


class Command(BaseCommand):
    help = _(
        "Sauvegarde toute l'instance dans une archive .tar.gz : les données de la base (format portable, "
        "restaurable sur SQLite comme sur PostgreSQL), les fichiers déposés (MEDIA_ROOT) et un manifeste."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            type=Path,
            help=_("fichier à écrire, ou dossier où l'écrire (par défaut : codir-sauvegarde-AAAAMMJJ-HHMMSS.tar.gz)"),
        )

    def handle(self, *args, output: Path | None, verbosity: int, **options):
        if output is None:
            output = Path(default_archive_name())
        elif output.is_dir():
            output = output / default_archive_name()
        progress = self.stdout.write if verbosity >= 1 else (lambda message: None)
        try:
            create_backup(output, progress=progress)
        except BackupError as error:
            raise CommandError(str(error)) from error
