"""Writes for attachments: store an upload, hand uploads to one message, purge leftovers.

An upload is stored first (the object), then recorded in one transaction (the row, the per-ticket
total re-checked under the session's row lock, the Idempotency-Key); any failure after the object
was written deletes it, so a half-done upload leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from billing import idempotency
from billing.idempotency import StoredResponse
from support_project.domain import InvalidInput
from support_project.ids import new_id

from ..models import Attachment, DemoSession, SessionKind, Uploader
from ..serializers import AttachmentOut
from .files import stored_content_type
from .received import ReceivedFile, too_large
from .selectors import attachments_of_session_total, unattached_older_than
from .storage import attachment_storage, storage_key_for

logger = logging.getLogger(__name__)


def upload_fingerprint(*, path: str, received: ReceivedFile) -> str:
    return idempotency.fingerprint(method="POST", path=path, body={
        "filename": received.filename, "content_type": received.declared_type,
        "size": received.size, "sha256": received.sha256,
    })


def require_support_thread(session: DemoSession) -> None:
    if session.session_kind != SessionKind.SUPPORT:
        raise InvalidInput("Attachments go on support threads only.",
                           details={"session_id": ["Must be one of your support threads."]})


def attachment_upload(
    *,
    session: DemoSession,
    received: ReceivedFile,
    uploader: str,
    staff_user: Any = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> StoredResponse:
    """Store one received file as an unattached upload of `session` → 201 with its JSON.

    With an Idempotency-Key the first upload's answer is replayed (and this copy discarded).
    """
    require_support_thread(session)
    if received.size <= 0:
        raise InvalidInput("The file is empty.", details={"file": ["The file is empty."]})
    if received.size > settings.ATTACHMENT_MAX_BYTES:
        raise too_large(settings.ATTACHMENT_MAX_BYTES)
    attachment_id = new_id("att")
    storage = attachment_storage()
    received.file.seek(0)
    key = storage.save(storage_key_for(agent_id=session.agent_id, session_id=session.id, attachment_id=attachment_id),
                       File(received.file, name=attachment_id))
    replay: StoredResponse | None = None
    # Agents own their keys; an operator's upload is keyed to the staff user (as on /api/admin/).
    staff_id = staff_user.pk if uploader == Uploader.STAFF and staff_user is not None else None
    key_agent = None if staff_id is not None else session.agent_id
    try:
        with transaction.atomic(durable=True):
            if idempotency_key:
                replay = idempotency.claim_in_transaction(agent_id=key_agent, staff_user_id=staff_id,
                                                          key=idempotency_key, fp=fingerprint)
            if replay is None:
                DemoSession.objects.select_for_update().only("id").get(pk=session.pk)
                total = attachments_of_session_total(session_id=session.id)
                if total + received.size > settings.ATTACHMENT_MAX_TOTAL_BYTES:
                    raise too_large(settings.ATTACHMENT_MAX_TOTAL_BYTES, "ticket's attachments total")
                attachment = Attachment.objects.create(
                    id=attachment_id, agent_id=session.agent_id, session=session, filename=received.filename,
                    content_type=stored_content_type(received.declared_type, received.filename),
                    size=received.size, sha256=received.sha256, storage_key=key, uploader=uploader,
                    staff_user=staff_user if uploader == Uploader.STAFF else None,
                )
                response = StoredResponse(201, dict(AttachmentOut(attachment).data),
                                          {"Location": f"/api/v1/attachments/{attachment.id}"})
                if idempotency_key:
                    idempotency.store(agent_id=key_agent, staff_user_id=staff_id, key=idempotency_key,
                                      response=response)
    except BaseException:
        _delete_object(key)
        raise
    if replay is not None:
        _delete_object(key)
        return replay
    return response


def remaining_budget(*, session: DemoSession) -> int:
    """Bytes this thread may still take (the streaming limit of the next upload)."""
    return max(0, settings.ATTACHMENT_MAX_TOTAL_BYTES - attachments_of_session_total(session_id=session.id))


def attachments_claim(*, session_id: str, attachment_ids: Sequence[str], uploader: str) -> list[Attachment]:
    """Lock the unattached uploads `attachment_ids` of this thread by this side, for one message.

    Call inside the message's transaction. Any id that is another thread's, another agent's, the
    other side's or already on a message is a field error and nothing is written.
    """
    if not attachment_ids:
        return []
    wanted = list(dict.fromkeys(attachment_ids))
    if len(wanted) > settings.ATTACHMENT_MAX_PER_MESSAGE:
        raise InvalidInput(details={"attachments": [
            f"Ensure this field has no more than {settings.ATTACHMENT_MAX_PER_MESSAGE} elements."]})
    rows = {a.id: a for a in Attachment.objects.select_for_update().filter(
        id__in=wanted, session_id=session_id, uploader=uploader, message__isnull=True).order_by("id")}
    missing = [i for i in wanted if i not in rows]
    if missing:
        raise InvalidInput(
            "Some attachments can't be added to this message.",
            details={"attachments": [f"{i}: not an unattached upload of this thread." for i in missing]},
        )
    return [rows[i] for i in wanted]


def attachments_link(*, message: Any, attachments: Sequence[Attachment]) -> None:
    if attachments:
        Attachment.objects.filter(id__in=[a.id for a in attachments]).update(message=message)
        for attachment in attachments:
            attachment.message = message


def attachments_discard(*, attachment_ids: Sequence[str]) -> int:
    """Delete unattached uploads and their objects (a failed multi-file post, the daily purge)."""
    removed = 0
    for attachment in Attachment.objects.filter(id__in=list(attachment_ids), message__isnull=True):
        deleted, _ = Attachment.objects.filter(id=attachment.id, message__isnull=True).delete()
        if deleted:  # a message may have claimed it meanwhile: then it stays
            _delete_object(attachment.storage_key)
            removed += 1
    return removed


def attachments_purge_unattached(*, now: Any = None) -> int:
    """Uploads no message claimed within ATTACHMENT_UNATTACHED_TTL_SECONDS are deleted."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.ATTACHMENT_UNATTACHED_TTL_SECONDS)
    ids = list(unattached_older_than(cutoff=cutoff).values_list("id", flat=True)[:1000])
    return attachments_discard(attachment_ids=ids)


def _delete_object(key: str) -> None:
    try:
        attachment_storage().delete(key)
    except Exception:  # the row is what matters; a stray object is logged, not fatal
        logger.exception("could not delete attachment object %s", key)
