"""Every kind of HTML email on a 390 px phone (headless Chromium): no wider than the screen, with
the longest realistic title, organisation and manage link (issue 31: 418–473 px before)."""
import base64
import json
import os
import shutil
import subprocess
import sys

import pytest

from services.notifications.mailer import compose
from tests.conftest import ROOT, load_config
from tests.emails import every_email, recipient

ARTIFACTS = os.path.join(ROOT, "tests", "artifacts", "emails")
PHONE_WIDTH = 390


def as_a_mail_app_shows_it(message):
    """The HTML part with the pictures it carries (``cid:``) put in place, as a mail app shows it."""
    html = message.get_body(("html",)).get_content()
    for part in message.walk():
        if part["Content-ID"]:
            data = f"data:{part.get_content_type()};base64,{base64.b64encode(part.get_content()).decode()}"
            html = html.replace(f'cid:{part["Content-ID"].strip("<>")}', data)
    return html


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="Debian's chromium is not installed")
def test_every_email_fits_a_phone_screen(tmp_path):
    config = load_config()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    for kind, payload in every_email().items():
        registration = payload.get("registration") or {}
        spd = ((registration.get("payment") or {}).get("spd") if not registration.get("paid_at") else None)
        message = compose(kind, payload, sender=config["MAIL_FROM"], reply_to=config["MAIL_REPLY_TO"],
                          organiser=config["ORGANISER_NAME"], contact=config["ORGANISER_CONTACT"],
                          recipient=recipient(kind, payload), message_id=f"<{kind}@smopk.example>", qr_platba=spd)
        (tmp_path / f"{kind}.html").write_text(as_a_mail_app_shows_it(message), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    measured = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "browser", "email_widths.py"),
                               str(tmp_path), ARTIFACTS], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=240)
    assert measured.returncode == 0, measured.stdout[-3000:] + measured.stderr[-3000:]
    widths = json.loads(measured.stdout.splitlines()[-1])
    assert set(widths) == set(every_email())
    too_wide = {kind: found for kind, found in widths.items() if found["scroll_width"] > PHONE_WIDTH}
    assert not too_wide, json.dumps(too_wide, ensure_ascii=False, indent=1)
    assert len([name for name in os.listdir(ARTIFACTS) if name.endswith(".png")]) == len(widths)
