"""Open generated maps in headless Debian Chromium with no network.

The browser is pointed at a dead proxy, so any request to a CDN fails and
shows up as a SEVERE console error: a map that is not self-contained fails the
test. Uncaught script errors are collected with a listener installed before
the page loads.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

CHROMIUM = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None)
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)


def open_browser(local_servers: bool = False):
    """Headless Chromium with the network cut off; ``local_servers`` lets
    requests to 127.0.0.1 through (a test's own tile server), nothing else."""
    if not CHROMIUM or not DRIVER:
        pytest.fail("Debian chromium and chromium-driver are needed for the browser tests "
                    "(apt-get install chromium chromium-driver; .ci/run installs them)", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--no-first-run", "--proxy-server=127.0.0.1:9",
              "--proxy-bypass-list=127.0.0.1" if local_servers else "--proxy-bypass-list=<-loopback>",
              "--window-size=1200,900"):
        opts.add_argument(a)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": (
        "window.__errors = [];"
        "window.addEventListener('error', e => window.__errors.push(String(e.message || e.type) + ' @' + e.lineno), true);"
    )})
    return drv


def load_map(drv, path: Path, settle: float = 1.5) -> dict:
    """Open a map file; return what a test checks: console errors, script
    errors, the layer-control names and counts of drawn things."""
    drv.get_log("browser")  # drop anything from a previous page
    drv.get(Path(path).resolve().as_uri())
    deadline = time.time() + 15
    while time.time() < deadline and not drv.execute_script("return document.readyState === 'complete'"):
        time.sleep(0.1)
    time.sleep(settle)
    logs = drv.get_log("browser")
    return {
        "severe": [e["message"] for e in logs if e["level"] == "SEVERE"],
        "errors": drv.execute_script("return window.__errors || []"),
        "leaflet": drv.execute_script("return typeof L !== 'undefined' && document.querySelectorAll('.leaflet-container').length"),
        "layers": [e.text.strip() for e in drv.find_elements("css selector", ".leaflet-control-layers-selector + span, .leaflet-control-layers label span")],
        "paths": drv.execute_script("return document.querySelectorAll('path.leaflet-interactive').length"),
        "legend": drv.execute_script("var l=document.querySelector('.hotspot-legend'); return l ? l.innerText : ''"),
    }


def screenshot_has_colour(drv, rgb: tuple[int, int, int], tol: int = 40) -> int:
    """Pixels of the current page close to ``rgb`` (e.g. the area outline)."""
    import io

    import numpy as np
    from PIL import Image

    img = np.asarray(Image.open(io.BytesIO(drv.get_screenshot_as_png())).convert("RGB")).astype(int)
    close = (np.abs(img - np.array(rgb)).max(axis=2) <= tol).sum()
    return int(close)
