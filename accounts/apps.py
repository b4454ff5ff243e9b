from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Every way a password changes (reset or claim link, the admin, the shell) passes here.
        from django.db.models.signals import pre_save

        from .models import User
        from .services import user_password_changed

        def password_changed(sender, instance, raw=False, update_fields=None, **kwargs):
            if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
                return
            old = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
            if old is not None and old != instance.password:
                user_password_changed(user_id=instance.pk)

        pre_save.connect(password_changed, sender=User, weak=False, dispatch_uid="accounts.password_changed")
