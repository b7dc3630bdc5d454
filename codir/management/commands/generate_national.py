"""Generate a deterministic national data set: every real territory with years of CoDir life (see codir.national)."""

from django.core.management.base import BaseCommand, CommandError

from codir.national import generate_national, select_records, years_for
from communes.importer import load_extract


class Command(BaseCommand):
    help = "Génère un jeu de données national déterministe (territoires réels, agents, réunions, décisions)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="part des territoires et des années (1 = tout)")
        parser.add_argument("--seed", type=int, default=2026, help="graine du générateur pseudo-aléatoire")
        parser.add_argument("--territoires", type=int, default=None, help="nombre de territoires (prime sur --scale)")

    def handle(self, *args, scale: float, seed: int, territoires: int | None, **options):
        if scale <= 0 or (territoires is not None and territoires < 1):
            raise CommandError("--scale et --territoires doivent être positifs.")
        records = select_records(load_extract(), scale=scale, count=territoires, seed=seed)
        self.stdout.write(f"Génération de {len(records)} territoires sur {years_for(scale)} ans (graine {seed})…")

        def progress(done, total, written, elapsed):
            self.stdout.write(
                f"  {done}/{total} territoires — {written['communes.Agent']} agents, "
                f"{written['codir.Reunion']} réunions, {written['codir.Envoi']} envois, "
                f"{written['decisions.Position']} positions — {elapsed:.1f} s"
            )

        written = generate_national(records, seed=seed, scale=scale, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Terminé : {written['territoires']} territoires générés."))
        for label, count in sorted(written.items()):
            if label != "territoires":
                self.stdout.write(f"  {label} : {count}")
