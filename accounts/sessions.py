"""The session engine (SESSION_ENGINE = "accounts.sessions"): sessions in the database, never in
Redis (Redis being down must not sign anyone out), each row carrying its user's id."""

from typing import TYPE_CHECKING, Any

from django.contrib.sessions.backends.db import SessionStore as DBStore

if TYPE_CHECKING:
    from .models import UserSession

    _Base = DBStore[UserSession]  # generic only in the stubs
else:
    _Base = DBStore


class SessionStore(_Base):
    @classmethod
    def get_model_class(cls) -> type["UserSession"]:
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data: dict[str, Any]) -> "UserSession":
        instance = super().create_model_instance(data)
        try:
            user_id: Any = data.get("_auth_user_id")  # absent: None, which int() refuses as TypeError
            instance.user_id = int(user_id)
        except (TypeError, ValueError):
            instance.user_id = None
        return instance
