"""The web console in a real headless browser (Debian's chromium driven by
selenium through chromium-driver): it loads from samsad's HTTP listener
with nothing from elsewhere, shows the topics, draws the lag chart with
points, and logs no console errors."""
import shutil
import time

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--no-first-run",
              "--disable-extensions", "--disable-background-networking"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=opts)


def test_console_shows_topics_and_a_lag_chart_without_errors(broker_factory):
    # The broker samples lag for the chart every 200 ms here (default 10 s).
    broker = broker_factory("lag_history_interval_ms: 200").start()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("orders", num_partitions=2, replication_factor=1)])
    admin.close()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for i in range(200):
        p.send("orders", key=b"k%d" % (i % 7), value=b"v%d" % i)
    p.flush()
    c = KafkaConsumer("orders", bootstrap_servers=broker.bootstrap, group_id="billing",
                      auto_offset_reset="earliest", enable_auto_commit=False)
    got, deadline = 0, time.time() + 30
    while got < 100 and time.time() < deadline:
        for msgs in c.poll(500, max_records=100).values():
            got += len(msgs)
    c.commit()
    c.close()
    for i in range(50):  # the group now lags behind
        p.send("orders", value=b"late")
    p.flush()
    p.close()

    d = browser()
    try:
        d.set_page_load_timeout(30)
        d.get(broker.http + "/")
        wait = WebDriverWait(d, 30)
        wait.until(lambda d: "orders" in d.find_element(By.ID, "topics").text)
        assert "billing" in d.find_element(By.ID, "groups").text
        # The broker's samples: the chart has a line with points.
        wait.until(lambda d: len(d.find_elements(
            By.CSS_SELECTOR, "#lagchart circle.point[data-group='billing']")) >= 3)
        assert d.find_elements(By.CSS_SELECTOR, "#lagchart polyline[data-group='billing']")
        assert "k" in d.find_element(By.ID, "hotkeys").text
        assert "unreachable" not in d.find_element(By.ID, "status").text
        logs = d.get_log("browser")
        errors = [e for e in logs if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
        # Every resource the page loaded came from samsad itself.
        urls = d.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)")
        assert all(u.startswith(broker.http) for u in urls), urls
    finally:
        d.quit()
