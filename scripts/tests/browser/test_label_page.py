"""The labelling page in a real browser against a real run (`make test-browser`).

Starts `ddpo train --config configs/shapes-human-d3po.yaml` in a temporary folder and
`ddpo label` on its run folder, opens the page in Debian's headless Chromium through
Debian's chromedriver (selenium downloads nothing), labels every pair the run
publishes with the page's buttons and keyboard shortcuts, and checks that the run
read exactly those answers and trained on them (a skipped pair's two samples are
dropped from the update). Environment:

  DDPO        the ddpo executable (default .build/debug/ddpo)
  SCREENSHOT  where to save a screenshot taken mid-way (default: a temporary file)
  CHROMIUM, CHROMEDRIVER  Debian's chromium and chromedriver (/usr/bin/...)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parents[3]
DDPO = Path(os.environ.get("DDPO", ROOT / ".build/debug/ddpo")).resolve()
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
TOKEN = "browser-test-3d6f0c"
URL_LINE = re.compile(r"^Label the pairs of (.+) at (http://127\.0\.0\.1:(\d+)/\?token=(\S+))$")

# How each epoch is answered, pair by pair: a click on a button or a key. In epoch 0
# the page goes back after two answers and the first pair's answer is changed to
# "first" with the ← key, so that its four pairs (the configuration's batch of 8
# makes 4) end with each answer once, given by buttons and by keys. Later epochs go
# on through the plan.
PLAN = [("click", "equal"), ("key", "2"), ("click", "skip"), ("key", "e"),
        ("click", "first"), ("key", "s"), ("click", "second"), ("key", Keys.ARROW_LEFT)]
KEY_CHOICES = {"1": "first", Keys.ARROW_LEFT: "first", "2": "second", Keys.ARROW_RIGHT: "second",
               "e": "equal", "=": "equal", "s": "skip"}


def choice_of(action):
    kind, value = action
    return value if kind == "click" else KEY_CHOICES[value]


class Process:
    """A ddpo process whose output goes to a log file (and, for `label`, whose first
    stdout line is read)."""

    def __init__(self, arguments, log_path, read_first_line=False):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.first_line = None
        self.popen = subprocess.Popen(
            [str(DDPO), *arguments], cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if read_first_line else self.log, stderr=self.log, text=True)
        if read_first_line:
            got = threading.Event()

            def pump():
                for line in self.popen.stdout:
                    if self.first_line is None:
                        self.first_line = line.rstrip("\n")
                        got.set()
                    self.log.write(line)
                    self.log.flush()
                got.set()

            threading.Thread(target=pump, daemon=True).start()
            got.wait(60)

    def tail(self, lines=40):
        self.log.flush()
        return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])

    def stop(self):
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        if self.popen.stdout:
            self.popen.stdout.close()
        self.log.close()


def wait_for(condition, timeout, message, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s: {message}")


class LabelPageTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(DDPO.is_file(), f"no ddpo executable at {DDPO}: build it (swift build --product ddpo) or set DDPO")
        self.folder = Path(tempfile.mkdtemp(prefix="ddpo-label-page-"))
        self.run_dir = self.folder / "human"
        self.processes = []
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1000,780", "--hide-scrollbars"):
            options.add_argument(argument)
        self.browser = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)

    def tearDown(self):
        self.browser.quit()
        for process in self.processes:
            process.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, arguments, name, read_first_line=False):
        process = Process(arguments, self.folder / f"{name}.log", read_first_line)
        self.processes.append(process)
        return process

    def start_label_server(self):
        server = self.start(["label", str(self.run_dir), "--port", "0", "--token", TOKEN], "label", True)
        match = URL_LINE.match(server.first_line or "")
        self.assertIsNotNone(match, f"ddpo label printed {server.first_line!r}:\n{server.tail()}")
        self.assertEqual(match.group(1), str(self.run_dir))
        self.assertEqual(match.group(4), TOKEN)
        return match.group(2), int(match.group(3))

    def text(self, element_id):
        return self.browser.find_element(By.ID, element_id).text

    def labels(self, epoch):
        path = self.run_dir / "preferences" / f"epoch-{epoch}.jsonl"
        if not path.exists():
            return {}
        return {label["pair"]: label["choice"] for label in map(json.loads, path.read_text().splitlines())}

    def shown_pair(self):
        """The index of the pair on screen ("Pair 3 of 4" → 2)."""
        return int(re.match(r"Pair (\d+) of \d+", self.text("pair-number")).group(1)) - 1

    def answer(self, epoch, action):
        """Answers the pair on screen and waits until the run folder has the answer."""
        pair = self.shown_pair()
        kind, value = action
        if kind == "click":
            self.browser.find_element(By.ID, f"choose-{value}").click()
        else:
            self.browser.find_element(By.TAG_NAME, "body").send_keys(value)
        wait_for(lambda: self.labels(epoch).get(pair) == choice_of(action), 20,
                 f"epoch {epoch} pair {pair} labelled {choice_of(action)}")
        # The page takes the next answer once its request is done.
        WebDriverWait(self.browser, 20).until(
            lambda driver: driver.find_element(By.ID, "pair-view").get_attribute("hidden") is not None
            or driver.find_element(By.ID, "choose-first").is_enabled())
        return pair, choice_of(action)

    def wait_for_epoch_on_page(self, epoch, train):
        """Waits until the page shows `epoch`'s pairs (it polls; no reload)."""
        wait_for(lambda: train.popen.poll() is not None
                 or (f"epoch {epoch}" in self.text("title") and self.browser.find_element(By.ID, "pair-view").is_displayed()),
                 300, f"the page to show epoch {epoch}'s pairs\n{train.tail()}", interval=0.5)
        return train.popen.poll() is None

    def test_a_wrong_token_gets_the_403_page(self):
        self.run_dir.mkdir()
        url, port = self.start_label_server()
        for wrong in (f"http://127.0.0.1:{port}/?token=wrong", f"http://127.0.0.1:{port}/"):
            self.browser.get(wrong)
            body = self.browser.find_element(By.TAG_NAME, "body").text
            self.assertIn("wrong or missing token: open the URL that `ddpo label` printed", body)
            self.assertEqual(self.browser.find_elements(By.ID, "choose-first"), [])
        # With the token, the page waits for the run's first pairs.
        self.browser.get(url)
        WebDriverWait(self.browser, 20).until(lambda driver: "Waiting for the run" in self.text("message"))
        self.assertFalse(self.browser.find_element(By.ID, "pair-view").is_displayed())

    def test_labelling_a_run_trains_it(self):
        train = self.start(["train", "--config", "configs/shapes-human-d3po.yaml",
                            "--set", f"log_dir={self.folder}", "--set", "run_name=human"], "train")
        wait_for(lambda: self.run_dir.is_dir() or train.popen.poll() is not None, 120,
                 f"the run folder\n{train.tail()}")
        self.assertIsNone(train.popen.poll(), f"ddpo train stopped:\n{train.tail()}")
        url, _ = self.start_label_server()
        self.browser.get(url)

        expected = {}   # epoch → {pair: choice}
        epoch = 0
        while self.wait_for_epoch_on_page(epoch, train):
            pairs = json.loads((self.run_dir / "preferences" / f"epoch-{epoch}" / "pairs.json").read_text())
            count, required = len(pairs["pairs"]), pairs["required"]
            self.assertEqual(self.text("progress"), f"0 of {count} answered; the run trains after {required}")
            first = pairs["pairs"][0]
            self.assertEqual(self.text("prompt"), first["prompt"])
            images = [self.browser.find_element(By.ID, f"image-{side}") for side in ("first", "second")]
            for image, name in zip(images, first["images"]):
                self.assertIn(f"/images/{epoch}/{name}?token={TOKEN}", image.get_attribute("src"))
                self.assertTrue(self.browser.execute_script(
                    "return arguments[0].complete && arguments[0].naturalWidth > 0", image), f"{name} did not load")
                self.assertEqual(image.value_of_css_property("image-rendering"), "pixelated")
                self.assertGreaterEqual(image.size["width"], 256)

            answers = {}
            for index in range(required):
                action = PLAN[(epoch * required + index) % len(PLAN)]
                if epoch == 0 and index == 2:
                    answers.update(self.go_back_and_change(epoch, answers))
                pair, choice = self.answer(epoch, action)
                answers[pair] = choice
                if epoch == 0 and index < required - 1:
                    self.assertEqual(self.text("progress"),
                                     f"{len(answers)} of {count} answered; the run trains after {required}")
            WebDriverWait(self.browser, 20).until(lambda driver: "the run is training" in self.text("message"))
            self.assertEqual(self.labels(epoch), answers)
            expected[epoch] = answers
            epoch += 1

        try:
            status = train.popen.wait(300)
        except subprocess.TimeoutExpired:
            self.fail(f"ddpo train did not finish within 5 minutes of the last label:\n{train.tail()}")
        self.assertEqual(status, 0, f"ddpo train failed:\n{train.tail()}")
        self.assertGreaterEqual(len(expected), 1, "no epoch was labelled")
        self.assertTrue({"first", "second", "equal", "skip"} <= set(expected[0].values()), expected[0])

        # The run read these answers: each epoch's labels file holds exactly them, and
        # its update dropped the two samples of each skipped pair.
        metrics = [json.loads(line) for line in (self.run_dir / "metrics.jsonl").read_text().splitlines() if line]
        for epoch, answers in expected.items():
            self.assertEqual(self.labels(epoch), answers, f"epoch {epoch}")
            print(f"epoch {epoch}: labelled {answers}", file=sys.stderr)
            dropped = [line["dropped_samples"] for line in metrics
                       if line.get("epoch") == epoch and "dropped_samples" in line]
            self.assertEqual(len(dropped), 1, f"epoch {epoch}'s metrics: {dropped}")
            skipped = sum(1 for choice in answers.values() if choice == "skip")
            self.assertEqual(dropped[0], 2 * skipped, f"epoch {epoch}: {answers}")

    def go_back_and_change(self, epoch, answers):
        """After two answers: back (u, then Backspace) to the first pair, which shows its
        answer, take the screenshot, and change the answer with a key; returns the change."""
        self.browser.find_element(By.TAG_NAME, "body").send_keys("u")
        self.browser.find_element(By.TAG_NAME, "body").send_keys(Keys.BACKSPACE)
        WebDriverWait(self.browser, 10).until(lambda driver: self.shown_pair() == 0)
        self.assertEqual(self.text("current-choice"), "answered: equal")
        self.assertIn("chosen", self.browser.find_element(By.ID, "choose-equal").get_attribute("class"))
        self.save_screenshot()
        pair, choice = self.answer(epoch, ("key", Keys.ARROW_LEFT))
        self.assertEqual((pair, choice), (0, "first"))
        self.assertEqual(self.shown_pair(), 2, "after a change the page goes on with the first unanswered pair")
        return {pair: choice}

    def save_screenshot(self):
        path = Path(os.environ.get("SCREENSHOT") or self.folder / "label-page.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.assertTrue(self.browser.save_screenshot(str(path)), f"cannot write {path}")
        print(f"screenshot: {path}", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
