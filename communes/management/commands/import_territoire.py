from django.core.management.base import BaseCommand, CommandError

from communes.importer import find_epci, load_extract, territoires_import


class Command(BaseCommand):
    help = (
        "Importe un territoire (un EPCI et ses communes membres) depuis le découpage administratif "
        "officiel, par le SIREN ou le nom de l'EPCI, ou toute la France avec --all. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("epci", nargs="?", help="SIREN (ex. 248500662) ou nom de l'EPCI")
        parser.add_argument("--all", action="store_true", help="importer les 1 255 EPCI de France")

    def handle(self, *args, epci=None, all=False, **options):
        if bool(epci) == bool(all):
            raise CommandError("Indiquez soit le SIREN ou le nom d'un EPCI, soit --all.")
        records = load_extract()
        if not all:
            matches = find_epci(records, epci)
            if not matches:
                raise CommandError(f"Aucun EPCI ne correspond à « {epci} ».")
            if len(matches) > 1:
                listing = "\n".join(f"  {r.siren}  {r.name}" for r in matches[:20])
                raise CommandError(f"{len(matches)} EPCI correspondent à « {epci} » ; précisez le SIREN :\n{listing}")
            records = matches
        report = territoires_import(records, progress=self._progress)
        self.stdout.write(
            f"Territoires : {report.territoires_created} créés, {report.territoires_updated} mis à jour. "
            f"Collectivités : {report.collectivites_created} créées, {report.collectivites_updated} mises à jour, "
            f"{report.collectivites_left} sorties."
        )
        if not report.changed:
            self.stdout.write("Aucun changement : les données étaient déjà à jour.")
        if len(records) == 1:
            territoire = report.territoires[0]
            self.stdout.write(self.style.SUCCESS(f"{territoire.name} : /t/{territoire.slug}/"))

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        line = f"[{bar}] {done * 100 // total:3d} %  {done}/{total} EPCI"
        if self.stdout.isatty():
            self.stdout.write("\r" + line, ending="\n" if done == total else "")
            self.stdout.flush()
        else:
            self.stdout.write(line)
