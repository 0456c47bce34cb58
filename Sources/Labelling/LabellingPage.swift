/// The labelling page: plain HTML, CSS and JavaScript, nothing loaded from elsewhere
/// (the machine that runs `ddpo label` may have no internet, and the page's policy
/// forbids it). It reads the token from its own URL and adds it to every request,
/// shows the newest epoch's first unanswered pair, posts each answer, and polls the
/// state every 2 s so that a new epoch appears without a reload. Element ids are
/// stable: the browser test (scripts/tests/browser) finds the buttons by them.
enum LabellingPage {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>ddpo label</title>
        <style>
          :root { color-scheme: light dark; --accent: #2f6fdf; --muted: #777; }
          body { font-family: system-ui, sans-serif; margin: 0 auto; padding: 1rem 1.5rem; max-width: 60rem; }
          header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
          h1 { font-size: 1.3rem; margin: 0.2rem 0; }
          #progress { color: var(--muted); margin: 0.2rem 0; }
          #message { font-size: 1.1rem; padding: 0.8rem 1rem; border-radius: 6px; background: rgba(127,127,127,0.12); }
          #message:empty, #error:empty { display: none; }
          #error { color: #c62828; font-weight: 600; }
          #pair-view[hidden] { display: none; }
          #pair-number { color: var(--muted); margin-top: 0.6rem; }
          #prompt { font-size: 1.35rem; margin: 0.3rem 0 0.8rem; }
          .images { display: flex; gap: 1.5rem; flex-wrap: wrap; }
          figure { margin: 0; text-align: center; }
          figure img { width: 320px; height: 320px; image-rendering: pixelated; border: 4px solid transparent;
                       border-radius: 4px; background: #888; display: block; }
          figure.chosen img { border-color: var(--accent); }
          figcaption { color: var(--muted); margin-top: 0.3rem; }
          .choices { display: flex; gap: 0.6rem; flex-wrap: wrap; margin: 1rem 0 0.6rem; }
          button { font: inherit; padding: 0.5rem 0.9rem; border-radius: 6px; border: 1px solid var(--muted);
                   background: transparent; color: inherit; cursor: pointer; }
          button:disabled { opacity: 0.5; cursor: default; }
          button.chosen { background: var(--accent); border-color: var(--accent); color: white; }
          kbd { font-family: ui-monospace, monospace; font-size: 0.85em; border: 1px solid var(--muted);
                border-radius: 3px; padding: 0 0.3em; margin-left: 0.3em; }
          nav { display: flex; gap: 0.6rem; align-items: center; }
          #current-choice { color: var(--muted); }
        </style>
        </head>
        <body>
        <header>
          <h1 id="title">ddpo label</h1>
          <p id="progress">Loading…</p>
        </header>
        <p id="message"></p>
        <p id="error" role="alert"></p>
        <section id="pair-view" hidden>
          <div id="pair-number"></div>
          <h2 id="prompt"></h2>
          <div class="images">
            <figure id="figure-first"><img id="image-first" alt="first image"><figcaption>first</figcaption></figure>
            <figure id="figure-second"><img id="image-second" alt="second image"><figcaption>second</figcaption></figure>
          </div>
          <div class="choices">
            <button id="choose-first" data-choice="first">first is better<kbd>1</kbd><kbd>←</kbd></button>
            <button id="choose-second" data-choice="second">second is better<kbd>2</kbd><kbd>→</kbd></button>
            <button id="choose-equal" data-choice="equal">equal<kbd>E</kbd><kbd>=</kbd></button>
            <button id="choose-skip" data-choice="skip">skip<kbd>S</kbd></button>
          </div>
          <nav>
            <button id="previous">back<kbd>U</kbd></button>
            <button id="next">forward<kbd>N</kbd></button>
            <span id="current-choice"></span>
          </nav>
        </section>
        <script>
        "use strict";
        const token = new URLSearchParams(location.search).get("token") || "";
        const withToken = (path) => path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
        const names = { first: "first is better", second: "second is better", equal: "equal", skip: "skipped" };
        const element = (id) => document.getElementById(id);

        let state = null;     // the last /api/state answer
        let current = 0;      // index of the pair shown
        let sending = false;  // a label is on its way: further answers wait for it
        let asked = 0;        // state requests made, and the newest one applied: an older
        let applied = 0;      // answer arriving late must not undo a newer one

        function firstUnanswered(from) {
          const pairs = state.pairs;
          for (let step = 0; step < pairs.length; step++) {
            const index = (from + step) % pairs.length;
            if (pairs[index].choice === null) return index;
          }
          return -1;
        }

        function setImage(img, path) {
          const url = withToken(path);
          if (img.getAttribute("src") !== url) img.setAttribute("src", url);
        }

        function render() {
          const view = element("pair-view");
          const message = element("message");
          if (state === null) return;
          element("title").textContent = "ddpo label: " + state.run + (state.epoch === null ? "" : ", epoch " + state.epoch);
          if (state.epoch === null) {
            view.hidden = true;
            element("progress").textContent = "no pairs yet";
            message.textContent = "Waiting for the run to publish its first pairs to label; they appear here by themselves.";
            return;
          }
          const total = state.pairs.length;
          element("progress").textContent =
            state.answered + " of " + total + " answered; the run trains after " + state.required;
          if (state.answered >= state.required) {
            view.hidden = true;
            message.textContent = "Epoch " + state.epoch + " is answered (" + state.answered + " of " + total +
              "): the run is training; the next epoch's pairs appear here.";
            return;
          }
          message.textContent = "";
          view.hidden = false;
          current = Math.min(Math.max(current, 0), total - 1);
          const pair = state.pairs[current];
          element("pair-number").textContent = "Pair " + (current + 1) + " of " + total;
          element("prompt").textContent = pair.prompt;
          setImage(element("image-first"), pair.images[0]);
          setImage(element("image-second"), pair.images[1]);
          for (const button of document.querySelectorAll("button[data-choice]")) {
            button.classList.toggle("chosen", button.dataset.choice === pair.choice);
            button.disabled = sending;
          }
          element("figure-first").classList.toggle("chosen", pair.choice === "first");
          element("figure-second").classList.toggle("chosen", pair.choice === "second");
          element("current-choice").textContent = pair.choice === null ? "not answered yet" : "answered: " + names[pair.choice];
          element("previous").disabled = current === 0;
          element("next").disabled = current === total - 1;
        }

        async function refresh() {
          const ticket = ++asked;
          try {
            const response = await fetch(withToken("/api/state"), { cache: "no-store" });
            const body = await response.json();
            if (!response.ok) throw new Error(body.error || response.statusText);
            if (ticket < applied) return;
            applied = ticket;
            const newEpoch = state === null || state.epoch !== body.epoch;
            state = body;
            if (newEpoch && state.epoch !== null) current = Math.max(firstUnanswered(0), 0);
            element("error").textContent = "";
          } catch (error) {
            element("error").textContent = "Cannot read the run's state: " + error.message +
              " (is `ddpo label` still running?)";
          }
          render();
        }

        async function choose(choice) {
          if (sending || state === null || state.epoch === null || element("pair-view").hidden) return;
          const pair = state.pairs[current];
          sending = true;
          render();
          try {
            const response = await fetch(withToken("/api/label"), {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ epoch: state.epoch, pair: pair.id, choice: choice }),
            });
            const body = await response.json();
            if (!response.ok) throw new Error(body.error || response.statusText);
            pair.choice = choice;
            state.answered = body.answered;
            element("error").textContent = "";
            const next = firstUnanswered(current + 1);
            if (next >= 0) current = next;
          } catch (error) {
            element("error").textContent = "The answer was not recorded: " + error.message;
          }
          sending = false;
          await refresh();
        }

        function move(step) {
          if (state === null || state.epoch === null) return;
          current = Math.min(Math.max(current + step, 0), state.pairs.length - 1);
          render();
        }

        for (const button of document.querySelectorAll("button[data-choice]")) {
          button.addEventListener("click", () => choose(button.dataset.choice));
        }
        element("previous").addEventListener("click", () => move(-1));
        element("next").addEventListener("click", () => move(1));

        const keys = {
          "1": () => choose("first"), "ArrowLeft": () => choose("first"),
          "2": () => choose("second"), "ArrowRight": () => choose("second"),
          "e": () => choose("equal"), "E": () => choose("equal"), "=": () => choose("equal"),
          "s": () => choose("skip"), "S": () => choose("skip"),
          "u": () => move(-1), "U": () => move(-1), "Backspace": () => move(-1),
          "n": () => move(1), "N": () => move(1),
        };
        document.addEventListener("keydown", (event) => {
          if (event.ctrlKey || event.metaKey || event.altKey) return;
          const action = keys[event.key];
          if (action === undefined) return;
          event.preventDefault();
          action();
        });

        refresh();
        setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """#
}
