"""Small parts of the app with rules of their own."""



def test_clean_drops_control_characters_and_keeps_the_rest():
    from bot.platform.state import clean

    assert clean("a\x00b\x07c\x1b[0m\x7f") == "abc[0m"
    assert clean("one\r\ntwo\rthree\tfour\n") == "one\ntwo\nthree\tfour\n"
    assert clean("שלום 👋 ñ") == "שלום 👋 ñ"


def test_fit_never_cuts_an_escape_sequence():
    from bot.platform.blocks import escape, fit

    text = escape("&" * 1000)
    cut = fit(text, 3000)
    assert len(cut) <= 3000 and cut.endswith("&amp;…")
    assert fit("short", 3000) == "short"


def test_serving_imports_nothing_only_exports_and_pictures_need():
    """matplotlib, numpy, Pillow, openpyxl and icalendar cost tens of MB per process: the
    serving processes load them only when they export (the picture: never, a child draws)."""
    import subprocess
    import sys

    loaded = subprocess.run([sys.executable, "-c", (
        "import sys, bot.platform.app, bot.platform.server, bot.outbox.sender, bot.outbox.ticks; "
        "print(' '.join(m for m in ('matplotlib', 'numpy', 'PIL', 'openpyxl', 'icalendar') "
        "if m in sys.modules))")],
        capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
