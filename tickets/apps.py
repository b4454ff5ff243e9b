from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self):
        # accounts knows nothing of tickets; when a membership ends (the admin, a cascade, a
        # service), the shares that came with it end here.
        from django.db.models.signals import post_delete, pre_save

        from accounts.models import Membership

        from .participants import participants_end_with_membership

        def membership_ended(sender, instance, **kwargs):
            participants_end_with_membership(user_id=instance.user_id, organization_id=instance.organization_id)

        def membership_moved(sender, instance, raw=False, **kwargs):
            # A membership given to another person or organisation ends the old one's shares.
            if raw or instance.pk is None:
                return
            old = Membership.objects.filter(pk=instance.pk).values("user_id", "organization_id").first()
            if old and (old["user_id"], old["organization_id"]) != (instance.user_id, instance.organization_id):
                participants_end_with_membership(user_id=old["user_id"], organization_id=old["organization_id"])

        post_delete.connect(membership_ended, sender=Membership, weak=False, dispatch_uid="tickets.membership_ended")
        pre_save.connect(membership_moved, sender=Membership, weak=False, dispatch_uid="tickets.membership_moved")
