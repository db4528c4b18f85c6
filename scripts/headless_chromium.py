"""Debian's chromium, headless, driven by selenium through Debian's chromium-driver: what the browser scripts share."""
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def start(window_size: str = "1600,1000", on_new_document: str | None = None) -> webdriver.Chrome:
    """A new browser; `on_new_document` is JavaScript run in every page before its own scripts."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={window_size}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    if on_new_document:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": on_new_document})
    return driver
