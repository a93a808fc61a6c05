"""A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, recording what it accepts, with
scripted refusals for the retry tests."""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RecordingHandler:
    messages: list[Message] = field(default_factory=list)
    rcpt_replies: deque[str] = field(default_factory=deque)  # next RCPT TO answers, then 250
    data_replies: deque[str] = field(default_factory=deque)  # next DATA answers, then 250
    reject_all: str = ""  # answer every RCPT TO with this (e.g. a 5xx)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        with self.lock:
            if self.reject_all:
                return self.reject_all
            if self.rcpt_replies:
                return self.rcpt_replies.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            if self.data_replies:
                return self.data_replies.popleft()
            self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            # Long header values may arrive folded onto a second line; compare them unfolded.
            return ["".join(str(m["Message-ID"]).split()) for m in self.messages]


@dataclass
class SmtpServer:
    handler: RecordingHandler
    port: int

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def email_settings(self) -> dict[str, object]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()
