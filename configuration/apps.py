from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    """The admins' own editor of the catalogue and of people, at /configure/."""

    name = "configuration"
