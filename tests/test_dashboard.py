"""The live dashboard at /_mock/ui (issue 16), driven in a real headless browser.

Debian's ``chromium`` and ``chromium-driver`` drive the page through Selenium. When they are
missing, the set-up installs them (``apt-get update`` then ``apt-get install -y chromium
chromium-driver``, as root); only when that is impossible are the browser tests skipped, saying
why. Selenium is given both paths, so it never tries to download a browser or a driver.

Every wait is a bounded wait on the page (WebDriverWait) or on the server, never a sleep.
Screenshots of the main views go to ``tests/artifacts/`` (git-ignored; PARADEX_MOCK_ARTIFACTS
moves them).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from paradex_mock.http.app import create_app
from paradex_mock.testing import MockParadex
from support import make_config

ARTIFACTS = Path(os.environ.get("PARADEX_MOCK_ARTIFACTS") or Path(__file__).parent / "artifacts")
MARKET, SYMBOL = "BTC-USD-PERP", "BTC/USD:USDC"
# ccxt trades with an Ethereum key, as a real user does (tests/test_ccxt_private.py uses the same one)
ETH_PRIVATE_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ETH_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
WINDOW = (1440, 900)    # a laptop screen


# ------------------------------------------------------------------------------------ the browser
def _browser_paths():
    return (shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver"))


def ensure_chromium():
    """Paths of chromium and chromedriver, installing Debian's packages when they are missing."""
    browser, driver = _browser_paths()
    if browser and driver:
        return browser, driver
    if not shutil.which("apt-get"):
        pytest.skip("chromium/chromium-driver are missing and there is no apt-get to install them")
    if os.geteuid() != 0:
        pytest.skip("chromium/chromium-driver are missing; install them as root: "
                    "apt-get install -y chromium chromium-driver")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log = []
    for cmd in (["apt-get", "update", "-q"],
                ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]):
        try:
            r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as e:
            pytest.skip(f"could not install chromium: {' '.join(cmd)}: {e}")
        log.append(r.stdout[-2000:] + r.stderr[-2000:])
        if r.returncode != 0:
            pytest.skip(f"could not install chromium: {' '.join(cmd)} exited {r.returncode}: {log[-1][-600:]}")
    browser, driver = _browser_paths()
    if not (browser and driver):
        pytest.skip("apt-get installed chromium but chromium or chromedriver is still not on PATH")
    return browser, driver


@pytest.fixture(scope="module")
def mock():
    m = MockParadex(seed=7, backfill_hours=3, with_ws=False, log_level="WARNING")
    m.start()
    try:
        yield m
    finally:
        m.stop()


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium: python install_deps.py --test")
    from selenium.webdriver.chrome.service import Service
    chromium, chromedriver = ensure_chromium()
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", f"--window-size={WINDOW[0]},{WINDOW[1]}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=opts, service=Service(chromedriver))
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture(scope="module")
def page(mock, browser):
    """The dashboard, loaded and live: the event stream is open and the first reads are drawn."""
    from selenium.webdriver.support.ui import WebDriverWait
    browser.get(mock.http_url + "/_mock/ui")
    WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda d: d.execute_script(
        "const p = window.paradexDashboard;"
        "return document.getElementById('live').textContent === 'live'"
        " && p.candles && p.candles.data().length > 0"
        " && !!document.getElementById('book').dataset.bestBid"
        " && document.querySelectorAll('#accounts .account').length > 0"
        " && document.querySelectorAll('#fault-kind option').length > 0"))
    return browser


def wait(driver, seconds, condition, message=""):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, seconds, poll_frequency=0.02).until(condition, message)


def screenshot(driver, name: str, element_id: str = None, full_page: bool = False) -> Path:
    """Save the view (scrolled to ``element_id``, or the top; or the whole page at the window's
    width) as tests/artifacts/dashboard-<name>.png, the pointer parked on the header so the
    chart's crosshair is not in the picture."""
    from selenium.webdriver.common.action_chains import ActionChains
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"dashboard-{name}.png"
    ActionChains(driver).move_to_element(driver.find_element("id", "seed")).perform()
    if full_page:
        width, height = js(driver, "return [window.innerWidth, document.documentElement.scrollHeight]")
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        try:
            driver.execute_script("window.scrollTo(0, 0)")
            driver.save_screenshot(str(path))
        finally:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return path
    if element_id:
        driver.execute_script("document.getElementById(arguments[0]).scrollIntoView(true);"
                              "window.scrollBy(0, -50);", element_id)
    else:
        driver.execute_script("window.scrollTo(0, 0)")
    driver.save_screenshot(str(path))
    return path


def console_problems(driver):
    """Console errors, failed loads, and the page's own warnings since the last call."""
    return [e for e in driver.get_log("browser")
            if e["level"] == "SEVERE" or "dashboard:" in e.get("message", "")]


def js(driver, script, *args):
    return driver.execute_script(script, *args)


def chart_close(driver):
    return js(driver, "const d = window.paradexDashboard.candles.data(); return d.length ? d[d.length - 1].close : null;")


# ------------------------------------------------------------------------------------ tests
def test_page_loads_live_with_no_console_error(page, mock):
    assert console_problems(page) == []
    # one venue group with every market of the exchange, the first one shown
    markets = js(page, "return [...document.querySelectorAll('#markets button.market')].map(b => b.dataset.market)")
    assert markets == list(mock.exchange.markets)
    assert js(page, "return document.querySelector('#markets .venue-name').textContent") == "paradex"
    assert page.find_element("id", "chart-title").text == MARKET
    # the header tells the clock mode, exchange time and seed
    assert page.find_element("id", "clock-mode").text == "manual"
    assert page.find_element("id", "seed").text == "7"
    # the book's touch is the engine's
    book = mock.exchange.books[MARKET]
    assert Decimal(js(page, "return document.getElementById('book').dataset.bestBid")) == book.best_bid()
    assert Decimal(js(page, "return document.getElementById('book').dataset.bestAsk")) == book.best_ask()
    # nothing came from anywhere but the mock (no CDN), and the page is light
    resources = js(page, "return performance.getEntriesByType('resource').map(r => [r.name, r.encodedBodySize])")
    assert resources and all(name.startswith(mock.http_url) for name, _ in resources), resources
    static = sum(size for name, size in resources if "/static/" in name)
    assert static < 400_000, static
    screenshot(page, "market")


def test_ccxt_order_shows_in_accounts_and_journal_within_a_second(page, mock):
    ccxt = pytest.importorskip("ccxt")
    ex = ccxt.paradex({"walletAddress": ETH_ADDRESS, "privateKey": ETH_PRIVATE_KEY, "timeout": 10_000})
    ex.urls["api"] = mock.ccxt_urls()
    ex.load_markets()
    address = hex(int(ex.retrieve_account()["address"], 16))
    price = float(int(mock.exchange.books[MARKET].best_bid() * Decimal("0.95")))
    order = ex.create_order(SYMBOL, "limit", "buy", 0.01, price)     # signed, as ccxt always does
    placed = time.monotonic()
    in_panel = f'.account[data-address="{address}"] tr.order[data-order-id="{order["id"]}"]'
    in_journal = f'#journal tr[data-method="POST"][data-path="/v1/orders"][data-account="{address}"]'
    wait(page, 1.0, lambda d: js(d, "return !!document.querySelector(arguments[0]) && !!document.querySelector(arguments[1])",
                                 in_panel, in_journal),
         "the order did not reach the account panel and the journal within a second")
    seen_after = time.monotonic() - placed
    row = js(page, "return document.querySelector(arguments[0]).textContent", in_panel)
    assert "BUY" in row and "LIMIT" in row and "OPEN" in row and str(int(price)) in row
    assert js(page, "return document.querySelector(arguments[0]).dataset.status", in_journal) == "201"
    print(f"order visible in the page {seen_after * 1000:.0f} ms after ccxt returned")
    # a market order fills: the position and the fill show as well
    taker = ex.create_order(SYMBOL, "market", "buy", 0.02)
    wait(page, 1.0, lambda d: js(d, "const a = document.querySelector(arguments[0]);"
                                    "return !!a && a.querySelector('tr.fill[data-order-id=\"' + arguments[1] + '\"]') !== null"
                                    " && a.textContent.includes('LONG')",
                                 f'.account[data-address="{address}"]', taker["id"]),
         "the fill and the position did not reach the account panel within a second")
    assert console_problems(page) == []
    screenshot(page, "accounts", "accounts-panel")


def test_price_moved_from_the_page_moves_the_chart_and_the_book(page, mock):
    st = mock.exchange.states[MARKET]
    before = float(st.mark_price)
    target = Decimal(str(round(before * 0.97, 1)))
    box = page.find_element("id", "price-input")
    box.clear()
    box.send_keys(str(target))
    page.find_element("id", "price-set").click()

    def moved(d):
        close = chart_close(d)
        bid, ask = js(d, "const b = document.getElementById('book').dataset; return [b.bestBid, b.bestAsk]")
        return close is not None and Decimal(str(close)) == target and bid and ask \
            and Decimal(bid) <= target <= Decimal(ask) and Decimal(bid) > target * Decimal("0.999")
    wait(page, 2.0, moved, "the chart's last value and the book did not follow the price set from the page")
    # the page went through the control API: the engine holds the price there
    assert st.mark_price == target and st.frozen
    assert Decimal(js(page, "return document.getElementById('mark-price').textContent")) == target
    assert console_problems(page) == []
    screenshot(page, "price-moved")


def test_fault_added_from_the_page_is_in_the_control_api_and_marks_the_journal(page, mock):
    from selenium.webdriver.support.ui import Select
    Select(page.find_element("id", "fault-kind")).select_by_value("error")
    target = page.find_element("id", "fault-target")
    target.clear()
    target.send_keys("POST /v1/orders")
    Select(page.find_element("id", "fault-status")).select_by_value("503")
    page.find_element("id", "fault-count").send_keys("1")
    page.find_element("id", "fault-add").click()

    def rules():
        return requests.get(mock.http_url + "/_mock/faults", timeout=5).json()["faults"]
    # the page lists the rule once the control API has accepted it; the control API has it
    wait(page, 1.0, lambda d: d.find_elements("css selector", "#faults tr[data-fault-id]"))
    [rule] = rules()
    assert (rule["kind"], rule["target"], rule["status"], rule["count"]) == ("error", "POST /v1/orders", 503, 1)
    assert page.find_elements("css selector", f'#faults tr[data-fault-id="{rule["id"]}"]')
    # it fires once: the journal marks the request, the fault list counts it
    r = requests.post(mock.api_url + "/orders", json={"market": MARKET, "side": "BUY", "type": "LIMIT",
                                                        "size": "0.01", "price": "1000"}, timeout=5)
    assert r.status_code == 503
    wait(page, 1.0, lambda d: js(d, "const r = document.querySelector('#journal tr.faulted');"
                                    "return r && r.dataset.status === '503'"))
    wait(page, 1.5, lambda d: "1 / 1" in js(d, "const r = document.querySelector(arguments[0]); return r ? r.textContent : ''",
                                            f'#faults tr[data-fault-id="{rule["id"]}"]'))
    assert console_problems(page) == []
    screenshot(page, "controls-faults-journal", "controls-panel")
    screenshot(page, "full", full_page=True)      # docs/dashboard.png is one of these
    page.find_element("id", "fault-clear").click()
    wait(page, 1.0, lambda d: not d.find_elements("css selector", "#faults tr[data-fault-id]"))
    assert rules() == []


def test_journal_rows_stay_bounded(page, mock):
    """A page left open does not grow: the journal keeps 200 rows however many requests come."""
    session = requests.Session()
    url = mock.api_url + "/system/time"

    def burst(n):
        for _ in range(n):
            session.get(url, timeout=5)
        last = mock.journal(limit=1)[-1]["seq"]
        wait(page, 2.0, lambda d: js(d, "const r = document.querySelector('#journal tr');"
                                        "return r && r.dataset.seq === String(arguments[0])", last))
        return js(page, "return [document.querySelectorAll('#journal tr').length, document.getElementsByTagName('*').length]")

    rows1, nodes1 = burst(250)
    rows2, nodes2 = burst(250)
    assert rows1 == rows2 == 200
    assert abs(nodes2 - nodes1) < 50, (nodes1, nodes2)
    assert console_problems(page) == []


def test_clock_advance_and_reset_from_the_page(page, mock):
    before = mock.exchange.clock.now_ms()
    seconds = page.find_element("id", "advance-seconds")
    seconds.clear()
    seconds.send_keys("30")
    page.find_element("id", "advance").click()
    wait(page, 15.0, lambda d: mock.exchange.clock.now_ms() == before + 30_000)
    stamp = time.strftime("%H:%M:%S", time.gmtime((before + 30_000) / 1000))
    wait(page, 5.0, lambda d: stamp in d.find_element("id", "clock-time").text)

    assert len(mock.exchange.accounts) > 1          # the ccxt account of the test above
    page.find_element("id", "reset").click()        # arms it
    assert page.find_element("id", "reset").text == "Click again to reset"
    page.find_element("id", "reset").click()        # does it
    demo_only = lambda d: js(d, "return document.querySelectorAll('#accounts .account').length") == 1 \
        and not d.find_elements("css selector", "#journal tr") \
        and "held" not in d.find_element("id", "chart-legend").text
    wait(page, 10.0, demo_only, "the page did not follow the reset")
    assert len(requests.get(mock.http_url + "/_mock/accounts", timeout=5).json()["results"]) == 1
    assert not mock.exchange.states[MARKET].frozen
    assert console_problems(page) == []


def test_active_scenario_segment_shows_in_the_market_panel_and_the_journal(page, mock):
    """A market scenario's active segment and its time left are in the market's legend and on its
    button, following the "scenario" events; its transitions are journal rows of their own."""
    mock.set_scenario({"markets": {MARKET: [{"kind": "calm", "seconds": 120},
                                            {"kind": "shock", "move_pct": -3, "seconds": 60}]}})
    pill = "const p = document.getElementById('segment'); return p ? [p.dataset.kind, p.textContent] : null"
    wait(page, 2.0, lambda d: js(d, pill) == ["", "next: calm #0"], "the installed scenario is not shown")
    mock.advance(ticks=1)
    wait(page, 2.0, lambda d: js(d, pill) == ["calm", "calm #0 · 1m 59s left"], "the calm segment is not shown")
    wait(page, 2.0, lambda d: js(d, "return !!document.querySelector("
                                    "'#journal tr.scenario[data-change=\"started\"][data-segment=\"calm\"]')"))
    mock.advance(seconds=120)                 # the calm's last tick, then the shock's first
    wait(page, 2.0, lambda d: js(d, pill) == ["shock", "shock #1 · 59s left"], "the shock did not replace the calm")
    assert js(page, f"return document.querySelector('#markets button[data-market=\"{MARKET}\"]').dataset.segment") == "shock"
    screenshot(page, "scenario-market")
    rows = js(page, "return [...document.querySelectorAll('#journal tr.scenario')]"
                    ".map(r => [r.dataset.change, r.dataset.segment, r.dataset.index])")
    assert rows == [["started", "shock", "1"], ["ended", "calm", "0"], ["started", "calm", "0"],
                    ["installed", "", ""]]          # newest first, each once
    # the kind filter keeps only them
    from selenium.webdriver.support.ui import Select
    Select(page.find_element("id", "filter-kind")).select_by_value("scenario")
    wait(page, 2.0, lambda d: js(d, "const r = [...document.querySelectorAll('#journal tr')];"
                                    "return r.length === 4 && r.every(x => x.dataset.kind === 'scenario')"))
    assert console_problems(page) == []
    screenshot(page, "scenario", "journal-panel")
    Select(page.find_element("id", "filter-kind")).select_by_value("")
    mock.clear_scenario()
    wait(page, 2.0, lambda d: js(d, "return document.getElementById('segment') === null"
                                    " && document.querySelector('#journal tr.scenario.cleared') !== null"))


# ------------------------------------------------------------------------------------ no browser
def test_event_stream_is_coalesced_and_carries_no_payload(mock):
    """Hundreds of orders are a handful of lines, at most 5 a second, naming what changed."""
    lines, stop = [], threading.Event()
    resp = requests.get(mock.http_url + "/_mock/ui/events", stream=True, timeout=10)
    assert resp.headers["Content-Type"].startswith("text/event-stream")

    def read():
        try:
            for line in resp.iter_lines(decode_unicode=True):
                if line.startswith("data: "):
                    lines.append((time.monotonic(), json.loads(line[6:])))
                if stop.is_set():
                    return
        except Exception:
            pass
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 5
    while not lines and time.monotonic() < deadline:
        time.sleep(0.01)
    assert lines and lines[0][1]["hello"]
    session = requests.Session()
    start = time.monotonic()
    for i in range(300):
        session.post(mock.api_url + "/orders", json={"market": MARKET, "side": "BUY", "type": "LIMIT",
                                                       "size": "0.001", "price": str(50_000 + i)}, timeout=5)
    session.delete(mock.api_url + "/orders", timeout=5)
    sent = time.monotonic() - start
    last_seq = mock.exchange.bus.seq
    deadline = time.monotonic() + 2.0       # the last burst's line comes at most 0.2 s later
    while not any(m.get("seq", 0) >= last_seq for _, m in lines) and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    session.get(mock.api_url + "/system/time", timeout=5)   # one more line wakes the reader to stop
    reader.join(2.0)
    resp.close()
    msgs = [(t, m) for t, m in lines[1:] if m.get("events")]
    events = sum(m["events"] for _, m in msgs)
    window = max(t for t, _ in msgs) - min(t for t, _ in msgs)
    assert events >= 600                      # an order event on entry and one on cancel
    assert len(msgs) <= 5 * window + 2, (len(msgs), window)
    gaps = [b - a for (a, _), (b, _) in zip(msgs, msgs[1:])]
    assert min(gaps) >= 0.15, gaps           # never two lines within 200 ms (some timer slack)
    for _, m in msgs:
        assert set(m) <= {"seq", "events", "changes", "truncated", "journal"}
        for c in m["changes"]:
            assert set(c) == {"kind", "market", "account"}
    kinds = {c["kind"] for _, m in msgs for c in m["changes"]}
    assert "order" in kinds
    print(f"{events} bus events in {sent:.2f} s reached the page as {len(msgs)} lines")


@pytest.mark.parametrize("control,addr,status", [("loopback", "10.1.2.3", 403), ("off", "127.0.0.1", 404),
                                                 ("loopback", "127.0.0.1", 200), ("on", "10.1.2.3", 200)])
def test_dashboard_follows_the_control_api_access_rule(control, addr, status):
    app = create_app(make_config(control=control, backfill_hours=0.1), start_ticker=False)
    client = app.test_client()
    for path in ("/_mock/ui", "/_mock/ui/", "/_mock/ui/api/overview", "/_mock/ui/static/app.js",
                 f"/_mock/ui/api/market/{MARKET}", "/_mock/ui/api/journal"):
        r = client.get(path, environ_base={"REMOTE_ADDR": addr})
        assert r.status_code == status, (path, r.status_code)
        r.close()


def test_reads_are_strings_and_bounded():
    app = create_app(make_config(backfill_hours=2), start_ticker=False)
    client = app.test_client()
    doc = client.get(f"/_mock/ui/api/market/{MARKET}?depth=500&candles=5000&trades=5000&price=last").get_json()
    assert len(doc["book"]["bids"]) <= 50 and len(doc["trades"]) <= 200 and len(doc["candles"]) <= 1000
    assert all(isinstance(x, str) for lvl in doc["book"]["bids"] for x in lvl)
    t, o, h, lo, c, v = doc["candles"][-1]
    assert isinstance(t, int) and all(isinstance(x, str) for x in (o, h, lo, c, v))
    assert Decimal(lo) <= Decimal(c) <= Decimal(h)
    assert client.post(f"/_mock/markets/{MARKET}/price", json={"price": "90000.5"}).status_code == 200
    mark = client.get(f"/_mock/ui/api/market/{MARKET}?candles=3").get_json()
    assert mark["price_kind"] == "mark" and Decimal(mark["candles"][-1][4]) == Decimal(mark["mark"]) == Decimal("90000.5")
    assert client.get("/_mock/ui/api/market/NOPE").status_code == 400
    ov = client.get("/_mock/ui/api/overview").get_json()
    assert [v["venue"] for v in ov["venues"]] == [v.name for v in app.extensions["paradex_mock"].venues] and ov["seed"] == 42


def test_markets_are_grouped_by_venue():
    """A market that says which venue it belongs to is listed under it, so a new venue's markets
    appear on their own (every market of today's engine is Paradex's)."""
    app = create_app(make_config(backfill_hours=0.1), start_ticker=False)
    ex = app.extensions["paradex_mock"].exchange
    ex.markets["SOL-USD-PERP"].venue = "othervenue"
    client = app.test_client()
    venues = {v["venue"]: [m["symbol"] for m in v["markets"]]
              for v in client.get("/_mock/ui/api/overview").get_json()["venues"]}
    assert venues["othervenue"] == ["SOL-USD-PERP"]
    assert "SOL-USD-PERP" not in venues["paradex"] and "BTC-USD-PERP" in venues["paradex"]
    assert client.get("/_mock/ui/api/market/SOL-USD-PERP").get_json()["venue"] == "othervenue"
