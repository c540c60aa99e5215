"""Log-ins, log-outs, failed log-ins and lock-outs leave entries in the audit trail. REQ-21.

Connected in `WebConfig.ready()`. Each receiver writes in its own transaction: the log-in
itself is not a database transaction, and a failed attempt changes nothing else.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from tenderwatch.audit import services as audit

USER_OBJECT_TYPE = "org.user"


def _account_named(username: str) -> Any:
    if not username:
        return None
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


@receiver(user_logged_in, dispatch_uid="tenderwatch.web.audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        audit.record(actor=user, action="auth.login", obj=user)


@receiver(user_logged_out, dispatch_uid="tenderwatch.web.audit_logout")
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        return  # logging out without a session: nothing happened
    with transaction.atomic():
        audit.record(actor=user, action="auth.logout", obj=user)


@receiver(user_login_failed, dispatch_uid="tenderwatch.web.audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    # The password never reaches the trail: Django has already masked it, and only the name
    # that was tried is written.
    username = str(credentials.get("username") or "")[:150]
    account = _account_named(username)
    with transaction.atomic():
        audit.record(
            actor=None,
            action="auth.login_failed",
            object_type=USER_OBJECT_TYPE if account else "",
            object_id=account.pk if account else "",
            object_repr=str(account) if account else "",
            note=f"username tried: {username}",
        )


@receiver(user_locked_out, dispatch_uid="tenderwatch.web.audit_locked_out")
def audit_locked_out(
    sender: Any, request: Any = None, username: str = "", ip_address: str = "", **kwargs: Any
) -> None:
    account = _account_named(username or "")
    with transaction.atomic():
        audit.record(
            actor=None,
            action="auth.locked_out",
            object_type=USER_OBJECT_TYPE if account else "",
            object_id=account.pk if account else "",
            object_repr=str(account) if account else "",
            note=f"username: {username}; address: {ip_address}",
        )
