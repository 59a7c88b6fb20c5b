"""Take screenshots of the respondent journey (run through scripts/screenshots)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "screenshots"
PORT = int(os.environ.get("COLLABREADY_SCREENSHOT_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(exist_ok=True)
    data = tempfile.mkdtemp(prefix="collabready-shots-")
    env = {**os.environ, "COLLABREADY_DATA_DIR": data}
    bindir = Path(sys.executable).parent
    prepared = subprocess.run(
        [str(bindir / "collabready"), "demo", "--no-serve", "-n", "400", "--port", str(PORT)],
        env=env, capture_output=True, text=True, check=True,
    )
    link = re.search(r"Personal link:\s+(\S+)", prepared.stdout)
    if link is None:
        print(prepared.stdout, prepared.stderr)
        return 1
    server = subprocess.Popen(
        [str(bindir / "python"), "-m", "collabready.web", "runserver", f"127.0.0.1:{PORT}", "--noreload"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=1)  # noqa: S310 (our own server)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.goto(link.group(1))

            def shot(name: str) -> None:
                page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
                print(f"wrote screenshots/{name}.png")

            shot("01-start")
            page.goto(f"{BASE}/cy/survey/")
            shot("01-start-cy")
            page.goto(f"{BASE}/survey/")
            page.click("text=Start now")
            while "/survey/questions/" in page.url:
                slug = page.url.rstrip("/").rsplit("/", 1)[-1]
                groups = page.locator(".govuk-radios")
                for i in range(groups.count()):
                    radios = groups.nth(i).locator("input[type=radio]")
                    choice = min(3, radios.count() - 1) if slug != "markets" else 1
                    if slug == "citizens" and i in (2, 7):
                        continue  # leave two unanswered to show the errors
                    radios.nth(choice).check()
                page.click("button[value=continue]")
                if slug == "citizens":
                    shot("02-block-with-error")
                    page.goto(f"{BASE}/cy/survey/questions/citizens/")
                    page.click("button[value=continue]")
                    shot("02-block-with-error-cy")
                    page.goto(f"{BASE}/survey/questions/citizens/")
                    groups = page.locator(".govuk-radios")
                    for i in range(groups.count()):
                        groups.nth(i).locator("input[type=radio]").nth(4 if i % 3 else 1).check()
                    page.click("button[value=continue]")
            shot("03-check-your-answers")
            page.click("button[data-prevent-double-click]")
            page.goto(f"{BASE}/survey/profile/")
            shot("04-profile")
            page.goto(f"{BASE}/cy/survey/profile/")
            shot("04-profile-cy")
            page.emulate_media(media="print")
            page.goto(f"{BASE}/survey/profile/")
            shot("05-profile-print")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
