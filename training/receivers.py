"""Training reacts to other apps' events here (connected in TrainingConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from access_requests.services import access_request_approved
from agencies.services import memberships_changed

from . import services


@receiver(access_request_approved, dispatch_uid="training.assign_learning_paths")
def assign_learning_paths(sender: Any, access_request: Any, **kwargs: Any) -> None:
    """Sent after the approval committed: the people's paths are assigned in their own transaction."""
    services.learning_paths_for_request(access_request=access_request)


@receiver(memberships_changed, dispatch_uid="training.learning_path_agencies")
def learning_path_agencies(sender: Any, continuum: Any, user_ids: list[int], **kwargs: Any) -> None:
    """Sent inside the membership's transaction: the paths' stored agency changes with it."""
    services.learning_path_agencies_refresh(continuum=continuum, user_ids=user_ids)
