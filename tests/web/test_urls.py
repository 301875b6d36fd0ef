"""kb.web.urls: what a shared link's parameters mean, and what goes back into one."""

from __future__ import annotations

from kb.web.urls import (
    DEFAULT_VIEW,
    VIEWS,
    known_values,
    parse_year,
    view_from_url,
    view_param,
    year_params,
    year_range,
)

BOUNDS = (2019, 2025)


def test_parse_year_falls_back_on_anything_but_a_number() -> None:
    assert parse_year("2021", 2019) == 2021
    assert parse_year(2022, 2019) == 2022
    assert parse_year(None, 2019) == 2019
    assert parse_year("last year", 2019) == 2019
    assert parse_year("", 2025) == 2025


def test_known_values_keep_the_link_s_order_and_drop_the_rest() -> None:
    options = ["local_review", "policy", "thematic_review"]
    assert known_values(["thematic_review", "local_review"], options) == [
        "thematic_review",
        "local_review",
    ]
    assert known_values(["<script>", "policy", "Local review (7)"], options) == ["policy"]
    assert known_values([], options) == []


def test_year_range_from_a_link() -> None:
    assert year_range(None, None, BOUNDS) == BOUNDS  # no years in the link
    assert year_range("2020", None, BOUNDS) == (2020, 2025)
    assert year_range(None, "2023", BOUNDS) == (2019, 2023)
    assert year_range("1990", "2090", BOUNDS) == BOUNDS  # moved onto the bounds
    assert year_range("2024", "2021", BOUNDS) == (2021, 2024)  # swapped
    assert year_range("soon", "2022", BOUNDS) == (2019, 2022)
    assert year_range("2030", "2031", BOUNDS) == (2025, 2025)


def test_year_params_leave_out_an_end_at_its_bound() -> None:
    assert year_params(BOUNDS, BOUNDS) == {"year_from": None, "year_to": None}
    assert year_params((2020, 2025), BOUNDS) == {"year_from": "2020", "year_to": None}
    assert year_params((2019, 2024), BOUNDS) == {"year_from": None, "year_to": "2024"}
    assert year_params((2021, 2021), BOUNDS) == {"year_from": "2021", "year_to": "2021"}


def test_views_round_trip_and_the_default_stays_out_of_the_link() -> None:
    assert DEFAULT_VIEW in VIEWS
    for view in VIEWS:
        assert view_from_url(view) == view
        assert view_param(view) == (None if view == DEFAULT_VIEW else view)
    assert view_from_url(None) == DEFAULT_VIEW
    assert view_from_url("timeline") == DEFAULT_VIEW
    assert view_from_url(["reviews"]) == DEFAULT_VIEW
    assert view_param("timeline") is None
    assert view_param(None) is None
