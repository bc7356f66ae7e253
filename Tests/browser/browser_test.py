"""What a person clicks, in a real browser: headless Chromium (Debian's
chromium and chromium-driver) driven by Selenium, through nginx (with its
Content-Security-Policy) and taskr, against the Attio stand-in.

sign up → connect Attio → tasks (hostile text stays text) → all tasks →
done → reopen → a new task with a deadline → a change made in Attio, seen on
reload (the stand-in's signed webhook) → account →
change password → log out → log in with the new password → log out the
other sessions → delete the account → the name signs up again.

Any JavaScript error, CSP violation or console error, and any dialog
(alert, confirm), fails the run. A screenshot of every step is kept in the
output folder (BROWSER_TEST_OUTPUT, default .build/browser-test).

    python3 Tests/browser/browser_test.py path/to/taskr
"""

import os
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "reliability"))

from harness import REPO, Browser, Checks, Stack, test_port  # noqa: E402

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException, UnexpectedAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

# A name with a Prepend character fused to "<": escaped per Character it
# would open a tag on every page that shows it.
NAME = "Ann \u0d4e<img src=x onerror=alert(1)>"
FIRST_PASSWORD = "first browser horse"
NEW_PASSWORD = "second browser horse"

# Runs in every page before its own content: records what the console
# might not (CSP violations, uncaught errors) where the test can read it.
WATCH = """
window.__taskrProblems = [];
document.addEventListener('securitypolicyviolation', e =>
    window.__taskrProblems.push('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', e => window.__taskrProblems.push('error: ' + e.message));
window.addEventListener('unhandledrejection', e => window.__taskrProblems.push('unhandled rejection: ' + e.reason));
"""


class Session:
    """Chromium with its console and dialogs watched, and a screenshot per step."""

    def __init__(self, base, output, checks):
        self.base = base
        self.output = output
        self.checks = checks
        self.step_number = 0
        self.previous_status = None
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,1100",
                         "--disable-gpu", "--no-first-run", "--disable-extensions", "--disable-background-networking"):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # A dialog is never accepted or dismissed silently: the next command fails.
        options.set_capability("unhandledPromptBehavior", "ignore")
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})

    def close(self):
        self.driver.quit()

    def open(self, path):
        self.driver.get(self.base + path)

    def click(self, css):
        self.driver.find_element(By.CSS_SELECTOR, css).click()

    def fill(self, css, text):
        field = self.driver.find_element(By.CSS_SELECTOR, css)
        field.clear()
        field.send_keys(text)

    def submit_account_form(self, link, name, password):
        """Follows `link` (sign-up or log-in) if given, fills the form and sends it."""
        if link:
            self.click(f"a[href='{link}']")
        self.fill("#username", name)
        self.fill("#password", password)
        self.click("button[type=submit]")

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def path(self):
        parts = urllib.parse.urlsplit(self.driver.current_url)
        return parts.path + ("?" + parts.query if parts.query else "")

    def step(self, name, expect_path=None, expect_text=(), expect_status=None):
        """Ends a step: no dialog, no console error, no CSP violation, the
        page where it should be saying what it should; then a screenshot.
        `expect_status`: the page answered this error status on purpose
        (Chromium reports it on the console; only that line is allowed)."""
        self.step_number += 1
        label = f"{self.step_number:02d}-{name}"
        dialog = None
        try:
            dialog = self.driver.switch_to.alert.text
        except NoAlertPresentException:
            pass
        except UnexpectedAlertPresentException as error:
            dialog = str(error)
        self.checks.check(f"{label}: no dialog opened", dialog is None, f"a dialog said {dialog!r}")
        if dialog is not None:
            self.driver.switch_to.alert.dismiss()
        problems = self.driver.execute_script("return window.__taskrProblems || []")
        # Chromium may deliver the console line of an error status after the
        # step that expected it has read the log: the previous step's
        # expected status is allowed here too, and only that one.
        allowed = [f"the server responded with a status of {status} " for status in (self.previous_status, expect_status) if status]
        self.previous_status = expect_status
        console = [entry["message"] for entry in self.driver.get_log("browser")
                   if entry["level"] in ("SEVERE", "WARNING") and not any(line in entry["message"] for line in allowed)]
        self.checks.check(f"{label}: no JavaScript error or CSP violation", not problems and not console,
                          "; ".join(problems + console))
        if expect_path is not None:
            self.checks.check(f"{label}: the browser is at {expect_path}", self.path() == expect_path, self.path())
        body = self.text()
        for text in expect_text:
            self.checks.check(f"{label}: the page says {text!r}", text in body, body[:300])
        self.driver.save_screenshot(os.path.join(self.output, label + ".png"))

    def no_injected_markup(self, label):
        """The hostile name and task texts stayed text: no element they would have made."""
        injected = self.driver.execute_script(
            "return Array.from(document.querySelectorAll('main img, main script, main b')).map(e => e.outerHTML)")
        self.checks.check(f"{label}: no element came from hostile text", injected == [], repr(injected))


def main():
    taskr = sys.argv[1]
    output = os.path.abspath(os.environ.get("BROWSER_TEST_OUTPUT", os.path.join(REPO, ".build", "browser-test")))
    os.makedirs(output, exist_ok=True)
    for old in os.listdir(output):
        if old.endswith(".png"):
            os.unlink(os.path.join(output, old))
    checks = Checks()
    port = test_port(70)
    # TASKR_PUBLIC_URL is the site itself: connecting registers the stand-in's webhook.
    with Stack(taskr, port, env={"TASKR_PUBLIC_URL": f"http://127.0.0.1:{port}"}) as stack:
        chrome = Session(stack.base, output, checks)
        try:
            run(stack, chrome, checks)
        finally:
            chrome.close()
    print(f"screenshots in {output}", flush=True)
    return checks.summary()


def task_button(text, chrome):
    """The Done or Reopen button of the task whose text is `text`."""
    return chrome.driver.find_element(By.XPATH, f"//ul[@class='tasks']/li[span[@class='text'][text()='{text}']]//button")


def standin_post(stack, path, form):
    urllib.request.urlopen(urllib.request.Request(stack.standin + path, data=form.encode()), timeout=5).read()


def run(stack, chrome, checks):
    chrome.open("/")
    chrome.step("home-logged-out", "/", ["You are not logged in"])

    chrome.submit_account_form("/signup", NAME, FIRST_PASSWORD)
    chrome.step("signed-up", "/", ["Welcome to Taskr!", f"You are logged in as {NAME}."])
    chrome.no_injected_markup("signed-up")

    chrome.click("a[href='/integrations/attio/connect']")
    chrome.step("home-with-tasks", "/", ["Your Attio tasks", "Call the customer about the renewal",
                                         '<script>alert("pwned")</script> & <b>bold</b>',
                                         '\u0d4e<img src=x onerror=alert("fused")> stays text'])
    tasks = chrome.driver.find_elements(By.CSS_SELECTOR, "ul.tasks li")
    checks.check("home-with-tasks: the three open tasks of the stand-in's four", len(tasks) == 3, str(len(tasks)))
    chrome.no_injected_markup("home-with-tasks")
    chrome.click("nav.filters a[href='/?show=all']")
    chrome.step("home-all-tasks", "/?show=all", ["Send the signed contract", "1–4 of 4 tasks"])
    tasks = chrome.driver.find_elements(By.CSS_SELECTOR, "ul.tasks li")
    checks.check("home-all-tasks: all four, the done one marked", len(tasks) == 4
                 and len(chrome.driver.find_elements(By.CSS_SELECTOR, "ul.tasks li.done")) == 1, str(len(tasks)))
    chrome.click("a.brand")

    # Work with the tasks: Done, Reopen, a new task with a deadline, and a
    # change made in Attio arriving by webhook.
    task_button("Call the customer about the renewal", chrome).click()
    chrome.step("ticked-done", "/", ["Your Attio tasks"])
    checks.check("ticked-done: the task left the open list",
                 "Call the customer about the renewal" not in chrome.text())
    chrome.open("/?show=done")
    task_button("Call the customer about the renewal", chrome).click()
    chrome.step("reopened", "/?show=done", ["Send the signed contract"])
    chrome.open("/")
    checks.check("reopened: the task is open again", "Call the customer about the renewal" in chrome.text())
    chrome.fill("#content", "Book the <venue> for the launch")
    chrome.driver.execute_script("document.getElementById('deadline').value = '2026-12-31'")  # the date picker's value
    chrome.click("form.new-task input[name='assign_to_me']")
    chrome.click("form.new-task button")
    chrome.step("new-task", "/", ["Book the <venue> for the launch", "due 2026-12-31 23:59 UTC"])
    chrome.no_injected_markup("new-task")
    standin_post(stack, "/_standin/change", "task_id=7f0c0000-0000-4000-8000-000000000001&content=Call the customer (changed in Attio)")
    deadline = time.monotonic() + 5
    while "changed in Attio" not in chrome.text() and time.monotonic() < deadline:
        chrome.open("/")  # a reload, as a person would
        time.sleep(0.2)
    chrome.step("changed-in-attio", "/", ["Call the customer (changed in Attio)"])

    # A second session of the same user, from a script: "log out my other
    # sessions" ends it later.
    other = Browser(stack)
    other.login(NAME, FIRST_PASSWORD)
    checks.check("a second session logs in", other.request("GET", "/account")[0] == 200)

    chrome.click("a[href='/account']")
    chrome.step("account", "/account", ["Your account", "Your sessions", "this session", "Change password", "Delete account"])
    sessions = chrome.driver.find_elements(By.CSS_SELECTOR, "ul.sessions li")
    checks.check("account: both sessions are listed", len(sessions) == 2, str(len(sessions)))
    checks.check("account: this session is Chrome on Linux",
                 "Chrome on Linux" in chrome.driver.find_element(By.CSS_SELECTOR, "ul.sessions li.current").text)
    chrome.no_injected_markup("account")

    chrome.fill("#current_password", FIRST_PASSWORD)
    chrome.fill("#new_password", NEW_PASSWORD)
    chrome.click("form[action='/account/password'] button")
    chrome.step("password-changed", "/account?done=password", ["Your password was changed."])
    checks.check("the password change ended the other session", other.request("GET", "/account")[0] == 303)

    chrome.click("a[href='/']")
    chrome.click("form[action='/logout'] button")
    chrome.step("logged-out", "/", ["You are not logged in"])

    chrome.submit_account_form("/login", NAME, FIRST_PASSWORD)
    chrome.step("old-password-refused", "/login", ["Wrong username or password."], expect_status=401)
    chrome.submit_account_form(None, NAME, NEW_PASSWORD)
    chrome.step("logged-in-with-the-new-password", "/", ["Welcome to Taskr!", "Your Attio tasks"])

    other = Browser(stack)
    other.login(NAME, NEW_PASSWORD)
    chrome.click("a[href='/account']")
    chrome.step("account-with-two-sessions", "/account", ["Log out my other sessions"])
    chrome.click("form[action='/account/sessions/revoke'] button")
    chrome.step("other-sessions-logged-out", "/account?done=sessions", ["Your other sessions were logged out."])
    checks.check("the other session is logged out", other.request("GET", "/account")[0] == 303)
    checks.check("one session is left on the account page",
                 len(chrome.driver.find_elements(By.CSS_SELECTOR, "ul.sessions li")) == 1)

    revokes = stack_count(stack, "/oauth/revoke")
    chrome.fill("#delete_password", NEW_PASSWORD)
    chrome.click("form[action='/account/delete'] button")
    chrome.step("account-deleted", "/", ["You are not logged in"])
    checks.check("deleting the account revoked the Attio token", stack_count(stack, "/oauth/revoke") == revokes + 1)

    chrome.submit_account_form("/signup", NAME, FIRST_PASSWORD)
    chrome.step("the-name-signs-up-again", "/", ["Welcome to Taskr!", "Connect Attio"])


def stack_count(stack, path):
    import json
    import urllib.request
    with urllib.request.urlopen(stack.standin + "/_standin/stats", timeout=5) as response:
        return json.load(response)["counts"].get(path, 0)


if __name__ == "__main__":
    sys.exit(main())
