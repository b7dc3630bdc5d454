"""`manage.py restore ARCHIVE`: put back the database and the uploaded files saved by `manage.py backup`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from codir.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = _(
        "Restaure une archive de `manage.py backup` dans une base vide, migrée à la même version, et dans "
        "MEDIA_ROOT. Tout est vérifié (migrations, empreintes SHA-256) avant la moindre écriture ; le chargement "
        "se fait en une transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help=_("l'archive .tar.gz écrite par manage.py backup"))
        parser.add_argument(
            "--force-flush",
            action="store_true",
            help=_("efface d'abord les données de la base (et remplace les fichiers déposés qui diffèrent)"),
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help=_("ne demande aucune confirmation"),
        )

    def handle(self, *args, archive: Path, force_flush: bool, interactive: bool, verbosity: int, **options):
        progress = self.stdout.write if verbosity >= 1 else (lambda message: None)
        try:
            restore_backup(
                archive,
                force_flush=force_flush,
                confirm_flush=self._confirm if interactive else None,
                progress=progress,
            )
        except BackupError as error:
            raise CommandError(str(error)) from error

    def _confirm(self, present: dict[str, int]) -> bool:
        """Asked only when --force-flush would delete rows or replace files: an empty database needs no consent."""
        if present:
            warning = _(
                "ATTENTION : --force-flush efface les %(rows)d ligne(s) de %(tables)d table(s) de la base, puis "
                "remplace les fichiers déposés qui diffèrent de la sauvegarde. C'est irréversible."
            ) % {"rows": sum(present.values()), "tables": len(present)}
        else:
            warning = _("ATTENTION : --force-flush remplace les fichiers déposés qui diffèrent de la sauvegarde.")
        self.stdout.write(self.style.WARNING(warning))
        return input(_("Tapez « oui » pour continuer : ")).strip().lower() == "oui"
