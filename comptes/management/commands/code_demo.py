"""Print the current second-factor code of the demo accounts (only those holding the demo's public secret)."""

from django.core.management.base import BaseCommand
from django_otp.oath import TOTP

from comptes.demo import DEMO_TOTP_SECRET, demo_devices


class Command(BaseCommand):
    help = "Affiche le code de double authentification du moment pour les comptes de démonstration."

    def handle(self, *args, **options):
        devices = demo_devices()
        if not devices:
            self.stdout.write("Aucun compte ne porte l'application de démonstration (lancez d'abord manage.py demo).")
            return
        totp = TOTP(devices[0].bin_key, devices[0].step, devices[0].t0, devices[0].digits)
        self.stdout.write(f"Code du moment : {totp.token():0{devices[0].digits}d} (valable {totp.step} s)")
        self.stdout.write(f"Clé à ajouter à une application d'authentification : {DEMO_TOTP_SECRET}")
        self.stdout.write("Comptes concernés :")
        for device in devices:
            self.stdout.write(f"  {device.user.email}")
