"""Series colours: distinct from each other and readable on light and dark plot backgrounds
(``kmon.ui.chart_colours``); no Qt needed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kmon.ui.chart_colours import (
    MIN_CONTRAST, ColourSlots, _ciede2000, contrast_ratio, delta_e, hex_of, is_dark, palette, readable,
)

LIGHT = [(255, 255, 255), (248, 248, 248), (239, 239, 239)]
DARK = [(30, 30, 30), (43, 43, 43), (25, 35, 45), (53, 53, 53)]
MIN_DELTA_E = 15.0  # CIEDE2000: clearly different colours, not shades of one


def test_known_values_of_the_colour_maths():
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    # CIEDE2000 test pairs 1, 7, 17 and 25 of Sharma, Wu and Dalal (2005)
    pairs = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425), ((50, 0, 0), (50, -1, 2), 2.3669),
             ((50, 2.5, 0), (73, 25, -18), 27.1492), ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644)]
    for a, b, want in pairs:
        assert float(_ciede2000(np.array(a, float), np.array(b, float))) == pytest.approx(want, abs=1e-4)
    assert delta_e((0, 0, 0), (0, 0, 0)) == 0.0
    assert delta_e((255, 255, 255), (0, 0, 0)) == pytest.approx(100.0, abs=0.01)
    assert is_dark((30, 30, 30)) and not is_dark((240, 240, 240))


@pytest.mark.parametrize("background", LIGHT + DARK, ids=hex_of)
def test_sixteen_series_get_distinct_colours_that_stand_out_from_the_background(background):
    colours = palette(background)[:16]  # two contexts x eight resources
    assert len(set(colours)) == 16
    worst = min(itertools.combinations(colours, 2), key=lambda p: delta_e(*p))
    assert delta_e(*worst) >= MIN_DELTA_E, [hex_of(c) for c in worst]
    for c in colours:
        assert contrast_ratio(c, background) >= MIN_CONTRAST, hex_of(c)


def test_a_fixed_hue_is_darkened_on_light_and_kept_on_dark_backgrounds():
    sync_grey, relist_orange = (154, 165, 177), (224, 138, 30)
    for c in (sync_grey, relist_orange):
        assert contrast_ratio(c, (255, 255, 255)) < MIN_CONTRAST  # the old colours, unreadable on white
        assert contrast_ratio(readable(c, (255, 255, 255)), (255, 255, 255)) >= MIN_CONTRAST
        assert readable(c, (30, 30, 30)) == c
    dark_blue = (20, 40, 140)
    assert contrast_ratio(readable(dark_blue, (30, 30, 30)), (30, 30, 30)) >= MIN_CONTRAST


def test_a_series_keeps_its_slot_while_shown_and_gets_it_back_when_free():
    slots = ColourSlots()
    a, b, c = ("c1", "pods"), ("c1", "deployments"), ("c2", "pods")
    assert [slots.acquire(k) for k in (a, b, c)] == [0, 1, 2]
    slots.release(b)
    assert slots.acquire(a) == 0 and slots.get(c) == 2  # the others keep theirs
    assert slots.acquire(b) == 1  # back in its own slot
    slots.release(b)
    d = ("c2", "nodes")
    assert slots.acquire(d) == 1  # the lowest free slot
    assert slots.acquire(b) == 3  # its old slot is taken now
