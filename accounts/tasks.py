"""Mail that a sign-up or password-reset POST owes, sent after the page has answered
(accounts.background). They take the address: there is no row before they run."""

from celery import shared_task

from .services import password_reset_send, signup_link_send


@shared_task(ignore_result=True)
def send_password_reset(email: str) -> None:
    password_reset_send(email=email)


@shared_task(ignore_result=True)
def send_signup_link(email: str, language: str) -> None:
    signup_link_send(email=email, language=language)
