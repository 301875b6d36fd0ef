"""The period a figure is for (``kb.retrieve.period``)."""

from __future__ import annotations

from kb.retrieve.period import period_years, same_period


def test_years_written_as_times_and_spans_of_years() -> None:
    assert period_years("How many homes closed in 2023?") == {2023}
    assert period_years("In 2022-23 the panel received 393 notifications.") == {2022, 2023}
    assert period_years("between April 2023 and March 2024") == {2023, 2024}
    assert period_years("2020/2022 figures, since 2002") == {2002}  # a span opening a line
    # A year that is part of a name dates the name, not a figure.
    assert period_years("Duties under the Children Act 2004 and Ofsted's 2024 survey") == set()


def test_a_figure_for_another_period_is_not_for_the_one_asked() -> None:
    q = "How many children's homes closed in England in 2023?"
    assert not same_period(q, "16 secure homes have closed since 2002.")
    assert same_period(q, "In 2022-23, 56 homes closed.")
    assert same_period(q, "56 homes closed.")  # names none: the benefit of the doubt
    assert same_period("How many homes closed?", "16 homes have closed since 2002.")
