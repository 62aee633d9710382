"""The picture's colours, and the rule that keeps every text readable.

Roles (input, parameter, constant, intermediate, output) have pale fills with
black text; `color_by="grad"` shades a Value by its gradient. Text on any fill
is black or white, whichever contrasts more: by WCAG 2's formulas that is
always at least 4.58:1, above the 4.5:1 that WCAG AA asks of normal text.
"""

from __future__ import annotations

import math

ROLES = ("input", "parameter", "constant", "intermediate", "output")
ROLE_FILL = {
    "input": "#cfe5f7",  # light blue
    "parameter": "#fde0b8",  # light orange
    "constant": "#e6e6e6",  # light grey
    "intermediate": "#ffffff",
    "output": "#c6eac6",  # light green
}
OP_FILL = "#f4f4f4"
GROUP_FILL = "#e4dcf4"  # a collapsed neuron or layer: lavender
CLUSTER_FILLS = ("#f6f6f6", "#ffffff")  # nested clusters alternate
CLUSTER_BORDER = "#9a9a9a"
BACKGROUND = "#ffffff"  # the page, behind edge labels and the legend's text
FAILED = "#d62728"  # check=True: an op whose local derivative disagrees (text on OP_FILL: 4.57:1)

# color_by="grad": hue from the sign, intensity from log10 |grad| over
# [VANISHING, EXPLODING]; below it grey, above it fully saturated.
VANISHING = 1e-8
EXPLODING = 1e3
_NEGATIVE_RGB = (215, 48, 39)  # red
_POSITIVE_RGB = (33, 102, 172)  # blue
VANISHED_FILL = "#bdbdbd"
NOT_FINITE_FILL = "#7b2d8e"  # NaN or inf: purple

# Edges into a collapsed neuron that carry a value through a weight: wider and
# darker for a larger |w|, so 256 edges between two dense layers read as a
# shaded mesh rather than a black band.
EDGE_LIGHTEST = (200, 200, 200)
EDGE_DARKEST = (40, 40, 40)

_NAMED = {"black": "#000000", "white": "#ffffff"}


# ---- contrast (WCAG 2) ------------------------------------------------------------

def _rgb(colour: str) -> tuple[int, int, int]:
    hex_colour = _NAMED.get(colour, colour)
    if len(hex_colour) != 7 or hex_colour[0] != "#":
        raise ValueError(f"expected a colour as #rrggbb, black or white, got {colour!r}")
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of an sRGB colour (#rrggbb, black or white):
    L = 0.2126 R + 0.7152 G + 0.0722 B over the linearised channels, where a
    channel c = c8/255 is linearised as c/12.92 if c ≤ 0.04045, else
    ((c + 0.055)/1.055)^2.4. 0 for black, 1 for white."""
    def linear(c8: int) -> float:
        c = c8 / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(text: str, fill: str) -> float:
    """WCAG 2's contrast ratio (L_lighter + 0.05) / (L_darker + 0.05), from 1
    (no contrast) to 21 (black on white). AA asks at least 4.5 for normal text."""
    a, b = relative_luminance(text), relative_luminance(fill)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def text_colour_on(fill: str) -> str:
    """"black" or "white", whichever contrasts more with `fill`. Against black
    the ratio is (L + 0.05)/0.05, against white 1.05/(L + 0.05); the larger of
    the two is smallest where they meet, (L + 0.05)² = 0.0525, L = 0.179, at
    √0.0525 / 0.05 = 4.58: no fill gets less."""
    return "black" if contrast_ratio("black", fill) >= contrast_ratio("white", fill) else "white"


# ---- colour by gradient ----------------------------------------------------------------

def grad_colour(grad: float) -> tuple[str, str]:
    """(fill, font colour) for a gradient under `color_by="grad"`: red for
    negative, blue for positive, paler the smaller |grad| is on a log scale from
    1e-8 (grey below: vanishing) to 1e3 (saturated above: exploding). The font
    is black or white, whichever is more readable on that fill."""
    if not math.isfinite(grad):
        fill = NOT_FINITE_FILL
    elif abs(grad) < VANISHING:
        fill = VANISHED_FILL
    else:
        span = math.log10(EXPLODING) - math.log10(VANISHING)
        t = min(1.0, (math.log10(abs(grad)) - math.log10(VANISHING)) / span)
        t = 0.12 + 0.88 * t  # the palest shade still differs from white
        fill = _mix((255, 255, 255), _NEGATIVE_RGB if grad < 0 else _POSITIVE_RGB, t)
    return fill, text_colour_on(fill)


def edge_colour(t: float) -> str:
    """The colour of a weighted edge, `t` in [0, 1] the weight's size relative
    to the largest beside it: light grey to near black."""
    return _mix(EDGE_LIGHTEST, EDGE_DARKEST, t)


def _mix(start: tuple[int, int, int], end: tuple[int, int, int], t: float) -> str:
    mixed = (round(s + (e - s) * t) for s, e in zip(start, end))
    return "#{:02x}{:02x}{:02x}".format(*mixed)
