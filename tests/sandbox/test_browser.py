"""A real browser on the sandbox: headless Debian Chromium driven by Playwright runs a
meeting as two users would, from `/plan new` to an objective. Screenshots of the main
screens are kept in test-artifacts/."""

import os
import shutil
import threading
from pathlib import Path

import pytest

from bot.sandbox.server import USERS, serve

pytestmark = pytest.mark.process

playwright = pytest.importorskip("playwright.sync_api")
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
ANA, TOM, CARLA = USERS[0][0], USERS[1][0], USERS[2][0]


def chromium() -> str | None:
    path = os.environ.get("RUMBO_CHROMIUM") or shutil.which("chromium")
    if path:
        return path
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        raise RuntimeError("CI must run the browser test: install Debian's chromium")
    return None


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory):
    ready, found = threading.Event(), {}

    def started(url, box):
        found["url"] = url
        ready.set()

    threading.Thread(target=serve, daemon=True, kwargs=dict(
        port=0, data_dir=tmp_path_factory.mktemp("sandbox"), ready=started)).start()
    assert ready.wait(30)
    return found["url"]


@pytest.fixture(scope="module")
def page(sandbox_url):
    executable = chromium()
    if executable is None:
        pytest.skip("no chromium here: scripts/test installs it")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda dialog: dialog.accept())  # confirm dialogs: yes
        page.set_default_timeout(15_000)
        page.goto(sandbox_url)
        yield page
        browser.close()


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"sandbox-{name}.png"), full_page=True)


def command(page, text):
    box = page.locator("#command-input")
    box.fill(text)
    box.press("Enter")


def as_user(page, user_id):
    page.select_option("#user-switch", user_id)


def submit(page):
    page.click("#modal-submit")
    page.wait_for_selector("#modal", state="hidden")


def field(page, block_id):
    return page.locator(f"#modal .input-block[data-block-id='{block_id}']")


def test_a_meeting_in_the_browser(page):
    expect = playwright.expect
    expect(page.locator("#banner")).to_contain_text("loopback")
    as_user(page, ANA)
    # The page's own labels speak the viewer's language, as Slack's client does.
    expect(page.locator("#reset")).to_have_text("Reiniciar el sandbox")
    expect(page.locator("#advance-minutes")).to_have_text("+10 minutos")
    expect(page.locator("#command-input")).to_have_attribute(
        "placeholder", "Mensaje a #acme-account — p. ej., /plan help")
    expect(page.locator(".composer-hint")).to_have_text("Prueba /plan help · Intro envía",
                                                        use_inner_text=True)
    as_user(page, TOM)  # and an English speaker's in English
    expect(page.locator("#command-input")).to_have_attribute(
        "placeholder", "Message #acme-account — e.g. /plan help")
    expect(page.locator(".composer-hint")).to_have_text("Try /plan help · Enter sends",
                                                        use_inner_text=True)
    as_user(page, ANA)

    # Create the plan; an error comes back on the right field first.
    command(page, "/plan new Acme")
    modal = page.locator("#modal")
    expect(modal).to_be_visible()
    expect(page.locator("#modal-title")).to_have_text("Nuevo plan de cuenta")
    field(page, "account_name").locator("input, textarea").fill(" ")
    page.click("#modal-submit")
    expect(field(page, "account_name").locator(".field-error")).to_be_visible()
    shot(page, "plan-modal-error")
    field(page, "account_name").locator("input, textarea").fill("Acme")
    field(page, "language").locator("select").select_option("en")
    submit(page)
    expect(page.locator("#messages")).to_contain_text("Account plan: Acme")
    shot(page, "plan-created")

    # A strategy session with two users.
    command(page, "/plan session")
    page.locator("button[data-action-id='session_add_answers']").last.click()
    expect(modal).to_be_visible()
    field(page, "q1").locator("textarea").fill("Renewals are late")
    field(page, "ideas_realistic").locator("textarea").fill("Shared dashboard")
    submit(page)
    as_user(page, CARLA)
    page.locator("button[data-action-id='session_add_answers']").last.click()
    expect(modal).to_be_visible()
    field(page, "q2").locator("textarea").fill("A self-service portal")
    field(page, "ideas_ambitious").locator("textarea").fill("Self-service portal")
    submit(page)
    expect(page.locator("#messages")).to_contain_text("Contributed")
    expect(page.locator("#messages")).to_contain_text("(1/1)", timeout=20_000)
    shot(page, "session-card")
    as_user(page, ANA)
    page.locator("button[data-action-id='session_end']").last.click()
    expect(modal).to_be_visible()  # the facilitator confirms
    submit(page)
    expect(page.locator("#messages")).to_contain_text("Session recap: Acme")
    shot(page, "recap")

    # Score the ideas in a round: one click each, one for the facilitator to settle.
    page.locator("button[data-action-id='round_start']").last.click()
    expect(page.locator("#messages")).to_contain_text("Idea 1 of 2")
    for user in (ANA, CARLA):
        as_user(page, user)
        page.locator("button[data-action-id='round_score_3']").last.click()
        expect(page.locator("#messages")).to_contain_text("3 · ", timeout=20_000)
    as_user(page, ANA)
    expect(page.locator("#messages")).to_contain_text("Scored by 2 of", timeout=20_000)
    page.locator("button[data-action-id='round_settle_suggested']").last.click()
    expect(page.locator("#messages")).to_contain_text("Idea 2 of 2", timeout=20_000)
    shot(page, "scoring-round")

    # Promote the 3 to an objective.
    command(page, "/plan objectives")
    page.locator("button[data-action-id='objective_promote']").last.click()
    expect(modal).to_be_visible()
    field(page, "category").locator("select").select_option(index=1)
    field(page, "target").locator("input, textarea").fill("Half of the tickets self-served")
    field(page, "measure").locator("input, textarea").fill("Share of tickets")
    submit(page)
    command(page, "/plan show")
    expect(page.locator("#messages")).to_contain_text("Half of the tickets self-served")
    shot(page, "plan-shown")

    # The plan on the channel's canvas, in its own tab beside the messages.
    command(page, "/plan canvas")
    page.click("#tab-canvas")
    canvas = page.locator("#canvas")
    expect(canvas).to_contain_text("Half of the tickets self-served", timeout=20_000)
    expect(canvas.locator("h1")).to_have_text("Account plan")
    expect(canvas.locator(".mention").first).to_be_visible()  # a facilitator, by name
    shot(page, "canvas")
    page.click("#tab-messages")

    # App Home, and the clock moved forward until the first review's reminder.
    page.click("#home-link")
    expect(page.locator("#home")).to_contain_text("Acme")
    shot(page, "app-home")
    page.click("[data-channel-id='C0ACME']")
    for _ in range(13):
        page.click("#advance-week")
    expect(page.locator("#messages")).to_contain_text("review", timeout=20_000)
    expect(page.locator("button[data-action-id='review_start']").last).to_be_visible()
    shot(page, "review-reminder")

    # The export arrives as two downloadable files.
    command(page, "/plan export")
    expect(modal).to_be_visible()  # to the channel, without each person's scores
    submit(page)
    files = page.locator("#messages a.file")
    expect(files).to_have_count(2, timeout=20_000)
    with page.expect_download() as download:
        files.first.click()
    assert download.value.suggested_filename.startswith("plan-acme-")
    shot(page, "export")

    # Reset: everything goes, from the page.
    page.click("#reset")
    expect(page.locator("#messages .message")).to_have_count(0)
