"""`animate`: frames in one fixed layout, the HTML player, the GIF, files, guards."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from micrograd_style import lecture_expression
from PIL import Image

import autograd
from autograd import Value, animate, backward_steps
from autograd.viz import colours, frames
from autograd.viz.player import frame_slots
from nn import MLP
from nn.losses import half_sse

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["</script><script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


def lecture() -> Value:
    """The micrograd lecture's L = (a·b + c)·f, before backward()."""
    return lecture_expression()["L"]


def forty_nodes() -> Value:
    """A graph of 40 Values: 8 inputs, 8 products through tanh, summed one by one, with a reused input."""
    xs = [Value(0.1 * (i + 1), f"x{i}") for i in range(8)]
    hs = [(xs[i] * xs[(i + 1) % 8]).tanh() for i in range(8)]
    acc = hs[0]
    for h in hs[1:]:
        acc = acc + h
    out = acc * xs[0] + xs[3]
    assert len(autograd.topological_order(out)) == 33
    out = (out * out).tanh() * xs[5] + xs[6] * xs[7]  # 40 Values in all
    return out


def node_shapes(svg: str) -> dict[str, list[tuple[str, str]]]:
    """{DOT node name: the geometry of its shapes} from a frame's SVG."""
    found = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if "node" in (g.get("class") or "").split():
            shapes = [(el.tag, el.get("points") or f"{el.get('cx')},{el.get('cy')},{el.get('rx')},{el.get('ry')}")
                      for el in g.iter() if el.tag in (f"{SVG}polygon", f"{SVG}ellipse")]
            found[g.find(f"{SVG}title").text] = shapes
    return found


def current_node(svg: str) -> str:
    """The DOT name of the node drawn as the current one."""
    (name,) = [g.find(f"{SVG}title").text for g in ET.fromstring(svg).iter(f"{SVG}g")
               if {"node", "current"} <= set((g.get("class") or "").split()) and "op" not in (g.get("class") or "")]
    return name


def texts(svg: str) -> list[str]:
    return [t.text or "" for t in ET.fromstring(svg).iter(f"{SVG}text")]


# ---- frames ---------------------------------------------------------------------------------

def test_one_frame_per_step_with_the_steps_captions():
    L = lecture()
    animation = animate(L)
    steps = backward_steps(L, forward=True)
    assert len(animation.frames) == len(steps) == 6
    assert [f.caption for f in animation.frames] == [s.caption for s in steps]
    assert len(animate(L, forward=False).frames) == 3


def test_nodes_never_move_between_frames():
    animation = animate(forty_nodes())
    first = node_shapes(animation.frames[0].svg)
    assert len(first) > 40  # value boxes, op ovals and the legend
    for frame in animation.frames[1:]:
        assert node_shapes(frame.svg) == first
    slots, stored = frame_slots([f.svg for f in animation.frames])
    assert all(isinstance(frame, list) for frame in stored)  # every frame is the first with values changed


def test_the_current_node_of_each_frame_is_the_node_of_its_step():
    L = lecture()
    animation = animate(L)
    names = {v: f"v{i}" for i, v in enumerate(autograd.topological_order(L))}
    assert [current_node(f.svg) for f in animation.frames] == [names[f.step.node] for f in animation.frames]


def test_gradients_not_reached_read_grad_question_mark():
    first = texts(animate(lecture(), forward=False).frames[0].svg)
    assert first.count("grad ?") == 4  # e, c, a and b: only L, d and f are reached by step 1
    assert {"grad 1.0000", "grad −2.0000", "grad 4.0000"} <= set(first)


def test_a_gradient_that_accumulates_shows_its_running_sum():
    x = Value(3.0, "x")
    y = x * x
    y.label = "y"
    z = y + x
    z.label = "z"
    first, second = (texts(f.svg) for f in animate(z, forward=False).frames)
    assert first.count("grad 1.0000") == 3  # z's seed, then y's and x's first contribution
    # Step 2 (y = x·x) adds 3, twice, to the 1 that x already holds.
    assert "grad 1.0000 + 3.0000 + 3.0000 = 7.0000" in second


def test_forward_frames_show_data_not_yet_computed_as_a_question_mark():
    animation = animate(lecture())
    assert texts(animation.frames[0].svg).count("data ?") == 2  # d and L before their steps
    assert "data ?" not in texts(animation.frames[2].svg)


def test_every_fill_a_frame_uses_keeps_black_text_readable():
    for fill in (*frames.FILLS, *colours.ROLE_FILL.values(), colours.GROUP_FILL, colours.OP_FILL):
        assert colours.contrast_ratio("black", fill) >= 4.5, fill


def test_neuron_frames_show_each_neurons_delta_once_its_step_is_done():
    model = MLP(2, [2, 1], activation="sigmoid", out_activation="sigmoid", seed=0)
    E = half_sse(model([Value(0.5, "x1"), Value(-1.0, "x2")]), 1.0)
    E.label = "E"
    animation = animate(E, forward=False, collapse="neuron")
    steps = backward_steps(E, collapse="neuron")
    assert len(animation.frames) == len(steps)
    last = texts(animation.frames[-1].svg)
    for step in steps:
        if step.scope:
            assert f"Δ {step.delta:.4f}".replace("-", "−") in last
    assert "Δ ?" in texts(animation.frames[0].svg)


# ---- the HTML player -------------------------------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def test_the_player_is_self_contained_with_no_external_urls():
    html = animate(forty_nodes()).to_html()
    assert not re.search(r"https?:|//[a-z]|\burl\(|@import", html, re.I)
    tags = parsed(html).tags
    assert not [t for t, attrs in tags if "src" in attrs or "href" in attrs]
    assert [t for t, _ in tags].count("script") == 2  # the data (JSON) and the player
    assert [attrs.get("class") for t, attrs in tags if t == "button"] == ["dg-prev", "dg-play", "dg-next"]


def test_hostile_labels_are_shown_literally_and_change_nothing_else():
    x = Value(2.0, HOSTILE[0])
    w = Value(-3.0, HOSTILE[1])
    out = (x * w).tanh()
    out.label = "o"
    html = animate(out).to_html()
    page = parsed(html)
    assert [t for t, _ in page.tags].count("script") == 2
    assert "img" not in [t for t, _ in page.tags]
    shown = "".join(page.text)
    assert HOSTILE[0] in shown or "&lt;/script&gt;" in html  # the SVG's text holds it as text
    assert HOSTILE[1] in "".join(page.text)
    # The captions travel as JSON with every < > & escaped, so the data cannot end its <script>.
    data = re.search(r'<script type="application/json" class="dg-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in data and ">" not in data
    assert "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in data


@pytest.mark.slow
def test_the_same_graph_gives_the_same_bytes():
    one, two = animate(forty_nodes()), animate(forty_nodes())
    assert one.to_html() == two.to_html()
    assert one.to_gif() == two.to_gif()


@pytest.mark.slow
def test_a_40_node_graph_gives_an_html_player_and_a_gif_of_at_most_2_mb(tmp_path):
    animation = animate(forty_nodes())
    html, gif = animation.save(tmp_path / "a.html"), animation.save(tmp_path / "a.gif")
    assert html.stat().st_size <= 2_000_000 and gif.stat().st_size <= 2_000_000
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_jupyter_shows_the_player():
    animation = animate(lecture())
    assert animation._repr_html_() == animation.to_html()
    assert repr(animation) == "<Animation of L: 6 frames (3 forward, 3 backward)>"


# ---- GIF and files ---------------------------------------------------------------------------

def test_the_gif_has_one_frame_per_step_and_loops():
    L = lecture()
    gif = Image.open(io.BytesIO(animate(L).to_gif()))
    assert gif.n_frames == len(backward_steps(L, forward=True))
    assert gif.info.get("loop") == 0
    assert gif.width <= 1400


def test_a_folder_of_numbered_svg_frames_with_captions_replaces_an_older_ones(tmp_path):
    folder = tmp_path / "frames"
    animate(lecture()).save(folder)
    assert sorted(p.name for p in folder.iterdir()) == [f"frame-00{i}.svg" for i in range(1, 7)]
    first = (folder / "frame-001.svg").read_text(encoding="utf-8")
    ET.fromstring(first)  # well-formed
    assert "1/6: e = a · b = 2.0000 · (−3.0000) = −6.0000" in first
    (folder / "notes.txt").write_text("mine")
    animate(lecture(), forward=False).save(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["frame-001.svg", "frame-002.svg", "frame-003.svg",
                                                         "notes.txt"]


def test_save_refuses_an_unknown_extension_and_leaves_no_partial_file(tmp_path):
    with pytest.raises(ValueError, match=r"unknown extension '\.mp4'.*\.html, \.gif"):
        animate(lecture()).save(tmp_path / "a.mp4")
    assert list(tmp_path.iterdir()) == []


# ---- guards -----------------------------------------------------------------------------------

def test_more_steps_than_max_steps_suggests_collapse_or_max_steps():
    with pytest.raises(ValueError, match=r"takes 6 steps, more than max_steps=5; pass collapse='neuron'.*max_steps"):
        animate(lecture(), max_steps=5)
    with pytest.raises(ValueError, match="max_steps"):
        animate(lecture(), max_steps=0)
    with pytest.raises(ValueError, match="is a leaf"):
        animate(Value(1.0, "x"))
    with pytest.raises(TypeError, match="root must be a Value"):
        animate([lecture()])
