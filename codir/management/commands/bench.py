"""The national benchmark (#11): main pages on the smallest and the largest territory beside the ceiling."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from codir.bench import bench_dispatch, bench_import, bench_pages, table


class Command(BaseCommand):
    help = (
        "Mesure le temps serveur et le nombre de requêtes SQL des pages principales sur le plus petit et le plus "
        "grand territoire de la base, à côté d'une vue Django nue de même taille (le plafond) ; écrit un tableau "
        "et un JSON. Ce n'est pas un test : lancez-le sur la base nationale (generate_national)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=7, help="requêtes mesurées par page (médiane)")
        parser.add_argument("--json", default="bench/results.json", help="fichier des résultats JSON")
        parser.add_argument(
            "--agendas", type=int, default=1000, help="ordres du jour dus à la fois pour le balayage d'envoi (0 : sans)"
        )
        parser.add_argument(
            "--import", dest="national_import", action="store_true", help="chronométrer l'import national"
        )

    def handle(self, *args, repeat: int, json: str, agendas: int, national_import: bool, **options):
        if repeat < 1:
            raise CommandError("--repeat doit valoir au moins 1.")
        if settings.DEBUG:
            # DEBUG re-reads every template at each request and keeps every query: the figures would be wrong.
            raise CommandError(
                "Lancez le banc avec les réglages de production : DEBUG=false, SECRET_KEY définie, "
                "et « manage.py collectstatic » fait."
            )
        # The test client's host, and the ceiling's URL beside the project's.
        with override_settings(
            ALLOWED_HOSTS=["testserver"], ROOT_URLCONF="codir.bench_urls", SECURE_SSL_REDIRECT=False
        ):
            try:
                result = bench_pages(repeat=repeat, progress=lambda line: self.stdout.write(f"  {line}"))
            except ValueError as error:
                raise CommandError(str(error)) from error
        if agendas:
            self.stdout.write(f"  balayage d'envoi : {agendas} ordres du jour dus…")
            result.timings.update(bench_dispatch(agendas))
        if national_import:
            self.stdout.write("  import national (annulé ensuite)…")
            result.timings["import national (s)"] = bench_import()
        output = Path(json)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(result.as_json(), encoding="utf-8")
        self.stdout.write(table(result))
        self.stdout.write(self.style.SUCCESS(f"Résultats : {output}"))
