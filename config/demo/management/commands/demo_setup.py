"""Create the demo administrator and user of the reference site (safe to re-run)."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand

from notifications.models import SWITCHES, NotificationSettings

DEMO_ACCOUNTS = [
    # username, email, password, staff
    ("admin", "admin@example.com", "ciam-admin-demo", True),
    ("demo", "demo@example.com", "ciam-demo-pass", False),
]


class Command(BaseCommand):
    help = "Create the demo administrator and demo user, name the site, turn on every email."

    def handle(self, *args, **options):
        Site.objects.update_or_create(
            pk=settings.SITE_ID, defaults={"domain": "localhost:8000", "name": "django-ciam demo"}
        )
        User = get_user_model()
        for username, email, password, staff in DEMO_ACCOUNTS:
            user, created = User.objects.get_or_create(username=username, defaults={"email": email})
            if created:
                user.set_password(password)
            user.email = email
            user.is_staff = user.is_superuser = staff
            user.save()
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
        # Every security email on (they print to this terminal), new networks included (off
        # by default: mobile users change networks often). The administrator is a superuser,
        # so it receives the alerts.
        notification_settings = NotificationSettings.load()
        for switch in [*SWITCHES.values(), "on_new_device", "on_new_network", "on_new_country"]:
            setattr(notification_settings, switch, True)
        notification_settings.save()
        self.stdout.write(self.style.SUCCESS("Demo site ready on http://localhost:8000"))
        for username, email, password, staff in DEMO_ACCOUNTS:
            role = "administrator (/admin/)" if staff else "user"
            self.stdout.write(f"  {role}: {email} or {username} / {password}")
