from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mailin.selectors import inbound_waiting_for_admin, mailboxes_stalled


class Command(BaseCommand):
    help = (
        "Exit with an error when an enabled mailbox has had no successful poll for "
        "MAILIN_ALERT_AFTER_MINUTES (for cron or a monitoring probe); also counts mail kept for admins."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        kept = inbound_waiting_for_admin().count()
        stalled = list(mailboxes_stalled())
        for mailbox in stalled:
            last = mailbox.last_success_at.isoformat() if mailbox.last_success_at else "never"
            self.stderr.write(f"stalled: {mailbox} last success {last}; last error: {mailbox.last_error or '-'}")
        self.stdout.write(f"mailboxes stalled: {len(stalled)}; mail kept for admins: {kept}")
        if stalled:
            raise CommandError(
                f"{len(stalled)} mailbox(es) not polled successfully for {settings.MAILIN_ALERT_AFTER_MINUTES} minutes"
            )
