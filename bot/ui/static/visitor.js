// The visitor chat, on the browser side: each new answer opens at its first line (not at its end),
// and after a crisis reply focus moves to its buttons (Call 988 first) and screen readers hear the help.
(() => {
  "use strict";
  const GAP = 8; // px left above an answer when it is scrolled into view

  const scrollParent = (el) => {
    for (let n = el.parentElement; n; n = n.parentElement) {
      const style = getComputedStyle(n);
      if (/(auto|scroll)/.test(style.overflowY) && n.scrollHeight > n.clientHeight + 1) return n;
    }
    return null;
  };

  const headerBottom = () => {
    const header = document.getElementById("kap-header");
    return header ? Math.max(0, header.getBoundingClientRect().bottom) : 0;
  };

  // The chat box scrolls so the answer's first line is at its top; the window scrolls so that line is
  // below the sticky header and inside the screen.
  const openAtStart = (answer) => {
    const bubble = answer.closest(".message-row, .message, [data-testid='bot']") || answer;
    const box = scrollParent(bubble);
    if (box) box.scrollTop += bubble.getBoundingClientRect().top - box.getBoundingClientRect().top - GAP;
    const top = bubble.getBoundingClientRect().top, limit = headerBottom() + GAP;
    if (top < limit || top > window.innerHeight * 0.6) window.scrollBy(0, top - limit);
  };

  // A live region of our own (the chat's sanitizer keeps no aria-live), made before it is needed:
  // what is put in it later is read out.
  let live = null;
  const makeLiveRegion = () => {
    live = document.createElement("div");
    live.id = "kap-live";
    live.className = "kap-sr-only";
    live.setAttribute("role", "alert");
    live.setAttribute("aria-atomic", "true");
    document.body.appendChild(live);
  };
  const announce = (message) => {
    if (!live || !message) return;
    live.textContent = "";
    setTimeout(() => { live.textContent = message; }, 50); // a change, so it is read even if repeated
  };

  const handle = (answer) => {
    const help = answer.querySelector(".kap-crisis-actions");
    if (help) document.getElementById("kap-visitor")?.classList.add("kap-after-crisis"); // the 988 line stays red
    openAtStart(answer); // after the header has its final height
    if (!help) return;
    for (const a of help.querySelectorAll("a[href^='tel:'], a[href^='sms:']")) a.removeAttribute("target");
    const first = help.querySelector("a, button");
    if (first) first.focus({ preventScroll: true });
    const label = help.querySelector(".kap-sr-only");
    announce(label ? label.textContent : "");
  };

  // A new answer: more answers than before, or a different last one (older ones drop off past 40 messages).
  let seen = "";
  const check = () => {
    const answers = document.querySelectorAll("#kap-chat .kap-answer");
    const last = answers[answers.length - 1];
    const key = last ? `${answers.length}|${last.textContent.slice(0, 300)}` : "";
    if (key === seen) return;
    seen = key;
    if (last) requestAnimationFrame(() => requestAnimationFrame(() => handle(last)));
  };

  const start = () => {
    makeLiveRegion();
    const root = document.querySelector("gradio-app") || document.body;
    new MutationObserver(check).observe(root, { childList: true, subtree: true });
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
