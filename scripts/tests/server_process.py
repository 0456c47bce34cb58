"""The reward server as the tests run it: its own process on a free loopback port."""

import base64
import json
import os
import subprocess
import sys
import urllib.request

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_reward_server(test_case, *argv):
    """Starts scripts/reward_server.py with `argv` on port 0 and returns its URL; the
    process is killed and reaped when `test_case` ends. Fails the test, with the
    server's stderr, when it does not start."""
    process = subprocess.Popen([sys.executable, os.path.join(SCRIPTS, "reward_server.py"), "--port", "0", *argv],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    test_case.addCleanup(process.stderr.close)
    test_case.addCleanup(process.stdout.close)
    test_case.addCleanup(process.wait)
    test_case.addCleanup(process.kill)
    line = process.stdout.readline()
    if not line.strip().isdigit():
        test_case.fail(f"server did not start: {process.stderr.read()}")
    return f"http://127.0.0.1:{int(line)}/"


def post_pngs(url, pngs, prompts, timeout=120):
    """POSTs PNG files (bytes) with their prompts in the server's protocol; the reply as JSON."""
    body = json.dumps({"images": [base64.b64encode(data).decode() for data in pngs], "format": "png",
                       "prompts": prompts, "metadata": [{} for _ in pngs]}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())
