from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # accounts knows nothing of tickets; when a membership ends (the admin, a cascade, a
        # service), the shares that came with it end here.
        from django.db.models.signals import post_delete

        from accounts.models import Membership

        from .participants import participants_end_with_membership

        def membership_ended(sender, instance, **kwargs):
            participants_end_with_membership(user_id=instance.user_id, organization_id=instance.organization_id)

        post_delete.connect(membership_ended, sender=Membership, weak=False, dispatch_uid="tickets.membership_ended")
