"""Chart colours: one distinct, readable colour per visible series, on any plot background.

Why this module exists: a chart with sixteen lines is only readable if every line has its
own colour, none of them fades into the background, and a line keeps its colour while the
user ticks other series on and off. pyqtgraph's ``intColor`` cycles nine hues at a fixed
value: the tenth series repeats the first, pale yellow vanishes on white and dark blue on
black. Here:

- ``palette(background, n)`` builds ``n`` colours for a background: candidates are taken from
  a grid in OKLCH (a perceptual space) within a lightness band chosen for the background
  (darker colours on a light background, lighter ones on a dark one) and kept only when
  their WCAG contrast ratio against the background is at least ``MIN_CONTRAST`` (3:1 is the
  WCAG bar for graphics; we keep a margin). The first colours are the candidates nearest to
  a Tableau-like qualitative sequence (blue, orange, red, green, ...), each at least
  ``SEED_SEPARATION`` (CIEDE2000) from those chosen before; the rest are picked farthest-first
  (max-min CIEDE2000). Deterministic, cached per background.
- ``readable(colour, background)`` moves one fixed colour (a delta type, a marker) along
  lightness until it reaches the contrast bar, keeping its hue.
- ``ColourSlots`` hands out palette slots to visible series: a series keeps its slot while
  visible, takes the lowest free one when shown, and gets its previous slot back when
  shown again if that is still free.

Colours are ``(r, g, b)`` tuples of ints 0-255. No Qt here.
"""

from __future__ import annotations

import functools
from typing import Hashable, Iterable, Sequence

import numpy as np

__all__ = [
    "MIN_CONTRAST", "ColourSlots", "Rgb", "contrast_ratio", "delta_e", "hex_of", "is_dark",
    "palette", "readable", "relative_luminance",
]

Rgb = tuple[int, int, int]
MIN_CONTRAST = 3.0  # WCAG 2.x non-text contrast
_TARGET_CONTRAST = 3.3  # what the generator aims for (a margin over the bar)
SEED_SEPARATION = 18.0  # CIEDE2000 between seeded colours
# a qualitative sequence to start from (Tableau 10 and friends): what the first series look like
_SEEDS = (
    "#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7",
    "#9c755f", "#17becf", "#bcbd22", "#8c564b",
)
_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750],
                 [0.0193339, 0.1191920, 0.9503041]])
_WHITE = np.array([0.95047, 1.0, 1.08883])


# --- colour spaces ------------------------------------------------------------------------
def _to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _to_srgb(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.abs(c) ** (1 / 2.4) - 0.055)


def _unit(rgb: Iterable[float]) -> np.ndarray:
    return np.asarray(list(rgb), dtype=np.float64)[..., :3] / 255.0


def _luminance(unit: np.ndarray) -> np.ndarray:
    lin = _to_linear(unit)
    return lin[..., 0] * 0.2126 + lin[..., 1] * 0.7152 + lin[..., 2] * 0.0722


def relative_luminance(rgb: Sequence[float]) -> float:
    """WCAG relative luminance of an sRGB colour (0 black .. 1 white)."""
    return float(_luminance(_unit(rgb)))


def _ratio(la: np.ndarray | float, lb: np.ndarray | float) -> np.ndarray:
    hi, lo = np.maximum(la, lb), np.minimum(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG contrast ratio of two sRGB colours (1 .. 21)."""
    return float(_ratio(relative_luminance(a), relative_luminance(b)))


def is_dark(background: Sequence[float]) -> bool:
    """Whether lines on this background must be the lighter ones."""
    return relative_luminance(background) < 0.2


def _lab(unit: np.ndarray) -> np.ndarray:
    xyz = (_to_linear(unit) @ _XYZ.T) / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def _ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu, Dalal 2005), broadcasting over rows."""
    L1, a1, b1 = np.moveaxis(lab1, -1, 0)
    L2, a2, b2 = np.moveaxis(lab2, -1, 0)
    cbar7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(cbar7 / (cbar7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    both = c1p * c2p != 0
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(both, dh, 0.0)
    d_l, d_c = L2 - L1, c2p - c1p
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh / 2))
    lbar, cbar = (L1 + L2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hbar = np.where(np.abs(h1p - h2p) > 180, np.where(hsum < 360, hsum + 360, hsum - 360) / 2, hsum / 2)
    hbar = np.where(both, hbar, hsum)
    t = (1 - 0.17 * np.cos(np.radians(hbar - 30)) + 0.24 * np.cos(np.radians(2 * hbar))
         + 0.32 * np.cos(np.radians(3 * hbar + 6)) - 0.20 * np.cos(np.radians(4 * hbar - 63)))
    d_theta = 30 * np.exp(-(((hbar - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cbar ** 7 / (cbar ** 7 + 25.0 ** 7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / np.sqrt(20 + (lbar - 50) ** 2)
    sc = 1 + 0.045 * cbar
    sh = 1 + 0.015 * cbar * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    return np.sqrt((d_l / sl) ** 2 + (d_c / sc) ** 2 + (d_h / sh) ** 2 + rt * (d_c / sc) * (d_h / sh))


def delta_e(a: Sequence[float], b: Sequence[float]) -> float:
    """CIEDE2000 difference of two sRGB colours (about 2: just noticeable; 10+: clearly
    different colours)."""
    return float(_ciede2000(_lab(_unit(a)), _lab(_unit(b))))


def _oklch_linear(L: np.ndarray, C: np.ndarray, h: np.ndarray) -> np.ndarray:
    """OKLCH -> linear sRGB (Ottosson's OKLab matrices); may fall outside [0, 1]."""
    a, b = C * np.cos(np.radians(h)), C * np.sin(np.radians(h))
    l_ = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m_ = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s_ = (L - 0.0894841775 * a - 1.2914855480 * b) ** 3
    return np.stack([
        4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
        -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
        -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_,
    ], -1)


def _oklch_of(unit: np.ndarray) -> tuple[float, float, float]:
    lin = _to_linear(unit)
    lms = np.cbrt(np.array([[0.4122214708, 0.5363325363, 0.0514459929],
                            [0.2119034982, 0.6806995451, 0.1073969566],
                            [0.0883024619, 0.2817188376, 0.6299787005]]) @ lin)
    L, a, b = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
                        [1.9779984951, -2.4285922050, 0.4505937099],
                        [0.0259040371, 0.7827717662, -0.8086757660]]) @ lms
    return float(L), float(np.hypot(a, b)), float(np.degrees(np.arctan2(b, a)) % 360)


def _rgb(unit: np.ndarray) -> Rgb:
    r, g, b = (int(round(float(v) * 255)) for v in np.clip(unit, 0, 1))
    return (r, g, b)


def hex_of(rgb: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(v) for v in rgb[:3]))


def _of_hex(h: str) -> Rgb:
    return (int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16))


# --- the palette --------------------------------------------------------------------------
def _candidates(background: Rgb) -> np.ndarray:
    """In-gamut colours (unit sRGB rows) in the background's lightness band that meet the
    contrast target against it."""
    dark = is_dark(background)
    L, C, h = np.meshgrid(
        np.arange(0.62, 0.905, 0.025) if dark else np.arange(0.40, 0.685, 0.025),
        np.arange(0.06, 0.305, 0.03), np.arange(0.0, 360.0, 4.0), indexing="ij",
    )
    lin = _oklch_linear(L.ravel(), C.ravel(), h.ravel())
    lin = lin[np.all((lin >= 0) & (lin <= 1), axis=-1)]
    unit = _to_srgb(lin)
    bg_lum = relative_luminance(background)
    for target in (_TARGET_CONTRAST, MIN_CONTRAST, 2.0, 1.0):  # a mid-grey background: do what we can
        ok = _ratio(_luminance(unit), bg_lum) >= target
        if ok.sum() >= 64:
            return unit[ok]
    return unit


@functools.lru_cache(maxsize=16)
def _palette(background: Rgb, n: int) -> tuple[Rgb, ...]:
    unit = _candidates(background)
    lab = _lab(unit)
    nearest = np.full(len(unit), np.inf)  # distance of each candidate to the chosen ones
    chosen: list[int] = []

    def take(i: int) -> None:
        chosen.append(i)
        np.minimum(nearest, _ciede2000(lab, lab[i][None, :]), out=nearest)

    for seed in _SEEDS:
        if len(chosen) >= n:
            break
        d = _ciede2000(lab, _lab(_unit(_of_hex(seed)))[None, :])
        d = np.where(nearest >= SEED_SEPARATION, d, np.inf)
        if np.isfinite(d).any():
            take(int(np.argmin(d)))
    while len(chosen) < min(n, len(unit)):
        take(int(np.argmax(nearest)))
    return tuple(_rgb(unit[i]) for i in chosen)


def palette(background: Sequence[int], n: int = 24) -> list[Rgb]:
    """``n`` series colours for lines on ``background``, most distinct and familiar first."""
    return list(_palette(tuple(int(v) for v in background[:3]), int(n)))  # type: ignore[arg-type]


def readable(colour: Sequence[int], background: Sequence[int], min_ratio: float = _TARGET_CONTRAST) -> Rgb:
    """``colour`` with its lightness moved away from ``background`` until their contrast is
    at least ``min_ratio`` (hue kept; chroma reduced where the gamut demands)."""
    c = tuple(int(v) for v in colour[:3])
    if contrast_ratio(c, background) >= min_ratio:
        return c  # type: ignore[return-value]
    L, C, h = _oklch_of(_unit(c))
    step = 0.01 if is_dark(background) else -0.01
    best = c
    while 0.0 < L < 1.0:
        L += step
        for chroma in np.linspace(C, 0.0, 8):
            lin = _oklch_linear(np.array([L]), np.array([chroma]), np.array([h]))[0]
            if np.all((lin >= -1e-6) & (lin <= 1 + 1e-6)):
                best = _rgb(_to_srgb(np.clip(lin, 0, 1)))
                break
        if contrast_ratio(best, background) >= min_ratio:
            break
    return best  # type: ignore[return-value]


class ColourSlots:
    """Palette slots of the visible series (see the module doc)."""

    def __init__(self) -> None:
        self._slot: dict[Hashable, int] = {}
        self._last: dict[Hashable, int] = {}

    def acquire(self, key: Hashable) -> int:
        slot = self._slot.get(key)
        if slot is not None:
            return slot
        used = set(self._slot.values())
        slot = self._last.get(key)
        if slot is None or slot in used:
            slot = next(i for i in range(len(used) + 1) if i not in used)
        self._slot[key] = self._last[key] = slot
        return slot

    def release(self, key: Hashable) -> None:
        self._slot.pop(key, None)

    def forget(self, key: Hashable) -> None:
        """The series is gone for good (its context closed)."""
        self._slot.pop(key, None)
        self._last.pop(key, None)

    def get(self, key: Hashable) -> int | None:
        return self._slot.get(key)

    def __len__(self) -> int:
        return len(self._slot)
