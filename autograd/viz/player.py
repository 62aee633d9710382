"""The HTML player of an animation: one self-contained piece of HTML.

It holds the first frame's SVG inline (so a page that runs no script, such as
GitHub's notebook view, still shows a picture and its caption), the captions,
and, for every frame, only what differs from the first: the frames share one
layout, so frame k is the first frame with some fills, strokes, classes and
texts changed. A tiny inline script (no library, no network, no kernel, no
ipywidgets) applies those changes for the previous / next / play buttons, the
slider and the arrow keys. That keeps a player small (a 40-node graph's is a
few hundred kB, where whole SVGs would take megabytes).

Labels stay data: SVG text comes from Graphviz (escaped), captions are set as
`textContent`, and the data is JSON inside `<script type="application/json">`
with `<`, `>` and `&` written as \\u escapes, so no label can close the script
or open a tag.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

SVG_NS = "{http://www.w3.org/2000/svg}"
# Attributes that place things: they must be the same in every frame (the layout is fixed).
GEOMETRY = {"points", "d", "cx", "cy", "rx", "ry", "width", "height", "viewBox", "transform"}
TEXT = "#text"  # a slot holding an element's text rather than an attribute


def clean_svg(svg: bytes) -> str:
    """A frame's SVG as the animation keeps it: no comments, no ids (dot numbers
    them per graph, and a page holding frames must not repeat ids)."""
    text = svg.decode("utf-8")
    text = re.sub(r"<!--.*?-->\n?", "", text, flags=re.S)
    return re.sub(r' id="[^"]*"', "", text)


def inline_svg(svg: str) -> str:
    """The SVG as an element inside HTML: no XML declaration or DOCTYPE, and no
    namespace attributes (the HTML parser puts <svg> in its namespace itself)."""
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text, flags=re.S)
    return re.sub(r' xmlns(:xlink)?="[^"]*"', "", text).strip()


def _elements(svg: str) -> list[ET.Element]:
    """The elements below the <svg> root, in document order (as the browser's
    `svg.querySelectorAll("*")` lists them)."""
    root = ET.fromstring(svg)
    return list(root.iter())[1:]


def frame_slots(svgs: list[str]) -> tuple[list[tuple[int, str]], list[Any]]:
    """(slots, frames): the (element index, attribute or TEXT) that differ between
    frames, and for each frame its values there (None for an absent attribute).
    A frame whose elements differ from the first's in kind or number, or whose
    geometry differs, is kept whole, as its SVG text."""
    trees = [_elements(svg) for svg in svgs]
    first = trees[0]
    same = [_same_shape(first, t) for t in trees]
    slots: list[tuple[int, str]] = []
    for i, el in enumerate(first):
        names = set(el.attrib)
        for t, ok in zip(trees, same):
            if ok:
                names |= set(t[i].attrib)
        for name in sorted(names):
            values = {t[i].get(name) for t, ok in zip(trees, same) if ok}
            if len(values) > 1:
                slots.append((i, name))
        if len(el) == 0 and len({t[i].text for t, ok in zip(trees, same) if ok}) > 1:
            slots.append((i, TEXT))
    frames: list[Any] = []
    for t, ok, svg in zip(trees, same, svgs):
        if not ok:
            frames.append(inline_svg(svg))
            continue
        frames.append([t[i].text if name == TEXT else t[i].get(name) for i, name in slots])
    return slots, frames


def _same_shape(first: list[ET.Element], other: list[ET.Element]) -> bool:
    if len(first) != len(other):
        return False
    for a, b in zip(first, other):
        if a.tag != b.tag or any(a.get(g) != b.get(g) for g in GEOMETRY):
            return False
    return True


def _json_in_html(data: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` left to parse."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


_STYLE = """\
#{id} {{font-family: Helvetica, Arial, sans-serif; font-size: 14px; color: #000; background: #fff;
  border: 1px solid #ccc; border-radius: 6px; padding: 8px; max-width: 100%; box-sizing: border-box}}
#{id}:focus {{outline: 2px solid #1f6feb}}
#{id} .dg-picture {{overflow-x: auto}}
#{id} .dg-picture svg {{max-width: 100%; height: auto}}
#{id} .dg-caption {{margin: 6px 2px; min-height: 2.6em; white-space: pre-wrap; line-height: 1.3}}
#{id} .dg-controls {{display: flex; align-items: center; gap: 6px; flex-wrap: wrap}}
#{id} button {{font: inherit; color: #000; background: #f2f2f2; border: 1px solid #888; border-radius: 4px;
  padding: 2px 10px; cursor: pointer}}
#{id} .dg-slider {{flex: 1; min-width: 120px}}
#{id} .dg-counter {{font-variant-numeric: tabular-nums; color: #333}}"""

# The player's script, ES5 for every notebook front end. It finds its own player
# through the script element (two players of the same graph in one notebook have
# the same id), falling back to the id.
_SCRIPT = """\
(function () {
  var me = document.currentScript;
  var root = (me && me.parentNode && me.parentNode.classList.contains("dg-player")) ? me.parentNode
    : document.getElementById("{id}");
  var data = JSON.parse(root.querySelector("script.dg-data").textContent);
  var picture = root.querySelector(".dg-picture"), caption = root.querySelector(".dg-caption");
  var slider = root.querySelector(".dg-slider"), counter = root.querySelector(".dg-counter");
  var play = root.querySelector(".dg-play");
  var base = picture.innerHTML, whole = false, els = null, current = 0, timer = null;
  var n = data.captions.length;
  function show(k) {
    current = Math.max(0, Math.min(n - 1, k));
    var frame = data.frames[current];
    if (typeof frame === "string") {
      picture.innerHTML = frame; whole = true;
    } else {
      if (whole || !els) {
        picture.innerHTML = base; whole = false;
        els = picture.querySelector("svg").querySelectorAll("*");
      }
      for (var i = 0; i < data.slots.length; i++) {
        var el = els[data.slots[i][0]], name = data.slots[i][1], value = frame[i];
        if (name === "#text") { el.textContent = value === null ? "" : value; }
        else if (value === null) { el.removeAttribute(name); }
        else { el.setAttribute(name, value); }
      }
    }
    caption.textContent = data.captions[current];
    slider.value = current;
    counter.textContent = "step " + (current + 1) + " / " + n + " \\u00b7 " + data.kinds[current];
  }
  function stop() { if (timer !== null) { clearInterval(timer); timer = null; } play.textContent = "\\u25b6 play"; }
  function start() {
    if (current >= n - 1) { show(0); }
    play.textContent = "\\u275a\\u275a pause";
    timer = setInterval(function () { show(current + 1); if (current >= n - 1) { stop(); } }, data.interval);
  }
  root.querySelector(".dg-prev").addEventListener("click", function () { stop(); show(current - 1); });
  root.querySelector(".dg-next").addEventListener("click", function () { stop(); show(current + 1); });
  play.addEventListener("click", function () { if (timer === null) { start(); } else { stop(); } });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  root.addEventListener("keydown", function (e) {
    if (e.target === slider) { return; }
    if (e.key === "ArrowRight") { stop(); show(current + 1); e.preventDefault(); }
    else if (e.key === "ArrowLeft") { stop(); show(current - 1); e.preventDefault(); }
    else if (e.key === " ") { if (timer === null) { start(); } else { stop(); } e.preventDefault(); }
    else if (e.key === "Home") { stop(); show(0); e.preventDefault(); }
    else if (e.key === "End") { stop(); show(n - 1); e.preventDefault(); }
  });
  show(0);
})();"""


def player_html(svgs: list[str], captions: list[str], kinds: list[str], title: str, interval_ms: int = 1200) -> str:
    """The player as one HTML fragment (a <div>), for Jupyter and for a file."""
    slots, frames = frame_slots(svgs)
    data = {"captions": captions, "kinds": kinds, "slots": slots, "frames": frames, "interval": interval_ms}
    payload = _json_in_html(data)
    pid = "dg-player-" + hashlib.blake2b(payload.encode("utf-8"), digest_size=8).hexdigest()
    n = len(captions)
    return (
        f'<div class="dg-player" id="{pid}" tabindex="0" role="group" aria-label="{html.escape(title)}">'
        f"<style>{_STYLE.format(id=pid)}</style>"
        f'<div class="dg-picture">{inline_svg(svgs[0])}</div>'
        f'<div class="dg-caption" aria-live="polite">{html.escape(captions[0])}</div>'
        '<div class="dg-controls">'
        '<button type="button" class="dg-prev" title="previous step (←)">◀ previous</button>'
        '<button type="button" class="dg-play" title="play / pause (space)">▶ play</button>'
        '<button type="button" class="dg-next" title="next step (→)">next ▶</button>'
        f'<input type="range" class="dg-slider" min="0" max="{n - 1}" value="0" step="1" aria-label="step">'
        f'<span class="dg-counter">step 1 / {n} · {html.escape(kinds[0])}</span>'
        "</div>"
        f'<script type="application/json" class="dg-data">{payload}</script>'
        f"<script>{_SCRIPT.replace('{id}', pid)}</script>"
        "</div>"
    )


def html_page(fragment: str, title: str) -> str:
    """The player as a whole HTML file."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "</head>\n<body style=\"margin: 16px; background: #fff\">\n"
            f"{fragment}\n</body>\n</html>\n")
