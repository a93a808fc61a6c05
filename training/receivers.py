"""Training reacts to other apps' events here (connected in TrainingConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from access_requests.services import access_request_approved

from . import services


@receiver(access_request_approved, dispatch_uid="training.assign_learning_paths")
def assign_learning_paths(sender: Any, access_request: Any, **kwargs: Any) -> None:
    """Sent after the approval committed: the people's paths are assigned in their own transaction."""
    services.learning_paths_for_request(access_request=access_request)
