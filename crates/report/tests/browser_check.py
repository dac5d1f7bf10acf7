#!/usr/bin/env python3
"""Opens rolecall HTML reports in headless Chromium (Debian's chromium and chromium-driver) and
checks them as a user would.

    browser_check.py demo REPORT.html SCREENSHOT.png CRITICAL_COUNT
    browser_check.py hostile REPORT.html
    browser_check.py large REPORT.html LOW_COUNT LAST_RESOURCE
    browser_check.py dashboard TREND.html SCREENSHOT.png EXPECTED.json

demo: no console error; the queue lists every finding; choosing severity "critical" in the filter
shows exactly the critical findings; a screenshot is saved.
large: a report of thousands of findings: prints how long the page took to become interactive
(the script's own performance.now() when it finished, so no clock of ours is asserted); filtering
by severity "low" counts every low finding, not only the first page; "Show more" reveals more rows;
searching finds a resource whose rows are all beyond the first page.
dashboard: the `rolecall trend --format html` page: no script at all and no console error (the
CSP forbids scripts); every chart is laid out at a readable size with a line per series that has
length; the numbers under each chart (the text a reader without colour reads) are the expected
ones, {chart id: {series: [cell, ...]}} in EXPECTED.json; the aging panel has a row per severity;
the oldest-critical table lists the expected number of findings; a screenshot is saved.
hostile: the report of an inventory whose names, tags and Sids are HTML/script payloads; no script
of theirs runs (no alert, no injected element, no console error besides none), and the payloads are
visible as text.
"""
import sys, tempfile

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
              "--no-first-run", "--disable-quic", "--disable-sync", f"--user-data-dir={tempfile.mkdtemp(prefix='rolecall-chromium-')}",
              "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def no_alert(d):
    try:
        text = d.switch_to.alert.text
    except NoAlertPresentException:
        return
    sys.exit(f"a script from the data ran: alert({text!r})")


def console_errors(d):
    return [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]


def visible_rows(d):
    return [r for r in d.find_elements(By.CSS_SELECTOR, "#findings tbody tr") if r.is_displayed()]


def cell(row, i):
    return row.find_elements(By.TAG_NAME, "td")[i].text


SHOWN = """return Array.prototype.filter.call(document.querySelectorAll('#findings tbody tr'),
  function (r) { return r.offsetParent !== null; }).map(function (r) {
  return [r.cells[1].textContent, r.textContent]; });"""


def large(path, low, last):
    """Row visibility is read in one script call (a WebDriver round trip per row would take minutes
    at thousands of rows); what is visible is what the browser lays out (offsetParent)."""
    d = browser()
    try:
        d.get("file://" + path)
        ready = d.execute_script("return document.documentElement.dataset.ready")
        assert ready is not None, "the script did not finish"
        rows = d.execute_script("return document.querySelectorAll('#findings tbody tr').length")
        first = len(d.execute_script(SHOWN))
        assert 0 < first < rows, (first, rows)
        Select(d.find_element(By.ID, "f-severity")).select_by_value("low")
        count = d.find_element(By.ID, "count").text
        assert f"({low} match the filters)" in count or count.startswith(f"{low} of "), (count, low)
        shown = d.execute_script(SHOWN)
        assert shown and all(sev == "low" for sev, _ in shown), "only low findings"
        d.find_element(By.ID, "more").click()
        more = d.execute_script(SHOWN)
        assert len(more) > len(shown) or len(shown) == low, "Show more revealed rows"
        assert all(sev == "low" for sev, _ in more)
        Select(d.find_element(By.ID, "f-severity")).select_by_value("")
        d.find_element(By.ID, "f-search").send_keys(last)
        found = d.execute_script(SHOWN)
        assert found and all(last in text for _, text in found), (last, len(found))
        errors = console_errors(d)
        assert not errors, errors
    finally:
        d.quit()
    print(f"large ok: {rows} findings, first page {first} rows, interactive after {ready} ms")


def demo(path, shot, critical):
    d = browser()
    try:
        d.get("file://" + path)
        rows = d.find_elements(By.CSS_SELECTOR, "#findings tbody tr")
        before = len(visible_rows(d))
        assert before == len(rows) > 0, (before, len(rows))
        count = d.find_element(By.ID, "count").text
        assert count.startswith(f"{before} of {before}"), count
        Select(d.find_element(By.ID, "f-severity")).select_by_value("critical")
        after = visible_rows(d)
        assert len(after) == critical, (len(after), critical)
        assert all(cell(r, 1) == "critical" for r in after)
        assert len(after) < before, "the filter changed the table"
        # Sorting by risk ascending puts the lowest risk first.
        Select(d.find_element(By.ID, "f-severity")).select_by_value("")
        d.find_element(By.CSS_SELECTOR, "th[data-key=risk]").click()
        d.find_element(By.CSS_SELECTOR, "th[data-key=risk]").click()
        risks = [int(cell(r, 0)) for r in visible_rows(d)]
        assert risks == sorted(risks), "ascending after two clicks"
        d.save_screenshot(shot)
        errors = console_errors(d)
        assert not errors, errors
        no_alert(d)
    finally:
        d.quit()
    print(f"demo ok: {before} findings, {critical} critical after filtering, screenshot {shot}")


CHARTS = """return Array.prototype.map.call(document.querySelectorAll('section.chart'), function (c) {
  var svg = c.querySelector('svg[role=img]'), box = svg ? svg.getBoundingClientRect() : null;
  var rows = {};
  c.querySelectorAll('table.numbers tbody tr').forEach(function (r) {
    rows[r.querySelector('th').textContent] = Array.prototype.map.call(r.querySelectorAll('td'),
      function (d) { return d.textContent; });
  });
  var lengths = Array.prototype.map.call(c.querySelectorAll('path.series'),
    function (p) { return p.getTotalLength(); });
  return [c.id, box ? [box.width, box.height] : null, lengths, rows, !!c.querySelector('p.empty')];
});"""


def dashboard(path, shot, expected_path):
    import json
    expected = json.load(open(expected_path))
    d = browser()
    try:
        d.get("file://" + path)
        no_alert(d)
        assert not d.find_elements(By.TAG_NAME, "script"), "the dashboard has no script"
        charts = {c[0]: c for c in d.execute_script(CHARTS)}
        assert len(charts) >= 9, sorted(charts)
        for cid, (_, box, lengths, rows, empty) in charts.items():
            if empty:
                assert box is None and not rows, f"{cid}: an empty chart draws nothing"
                continue
            assert box and box[0] >= 300 and box[1] >= 100, f"{cid}: laid out at {box}"
            assert lengths and all(l > 0 for l in lengths), f"{cid}: lines {lengths}"
            assert len(lengths) == len(rows), f"{cid}: a line per series in the table"
        for cid, want in expected["charts"].items():
            assert cid in charts, f"chart {cid} missing"
            got = charts[cid][3]
            assert got == want, f"{cid}: {got} != {want}"
        aging = d.find_elements(By.CSS_SELECTOR, "#aging tbody tr")
        assert len(aging) == expected["aging_rows"], len(aging)
        oldest = d.find_elements(By.CSS_SELECTOR, "#oldest-critical tbody tr")
        assert len(oldest) == expected["oldest_critical"], len(oldest)
        d.save_screenshot(shot)
        errors = console_errors(d)
        assert not errors, errors
    finally:
        d.quit()
    print(f"dashboard ok: {len(charts)} charts, {len(aging)} severities, screenshot {shot}")


def hostile(path):
    d = browser()
    try:
        d.get("file://" + path)
        no_alert(d)
        assert not d.find_elements(By.TAG_NAME, "img"), "an <img> from the data was created"
        # Open every collapsed section, as a reader would, so their text is visible.
        d.execute_script("document.querySelectorAll('details').forEach(function (x) { x.open = true; })")
        scripts = d.find_elements(By.TAG_NAME, "script")
        assert len(scripts) == 1, f"{len(scripts)} script elements"
        text = d.find_element(By.TAG_NAME, "body").text
        assert "<img src=x onerror=alert(1)>" in text, "payload shown as text"
        assert "</script><script>alert(1)</script>" in text
        # Filtering and searching keep them text.
        box = d.find_element(By.ID, "f-search")
        box.send_keys("onerror")
        assert visible_rows(d), "search finds the hostile row"
        no_alert(d)
        assert not d.find_elements(By.TAG_NAME, "img")
        errors = console_errors(d)
        assert not errors, errors
    finally:
        d.quit()
    print("hostile ok: no script of theirs ran")


if __name__ == "__main__":
    if sys.argv[1] == "demo":
        demo(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "dashboard":
        dashboard(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "large":
        large(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        hostile(sys.argv[2])
