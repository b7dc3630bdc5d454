"""The geometry of the review's charts, for known numbers: pure functions, no database."""

from codir.revue import charts


def test_bars_are_scaled_to_the_largest_value_and_labels_sit_left_of_the_axis():
    chart = charts.bar_chart([("Mortagne-sur-Sèvre", 4), ("Mallièvre", 2), ("Tiffauges", 0)])
    assert chart.maximum == 4
    assert [bar.width for bar in chart.bars] == [charts.PLOT_WIDTH, charts.PLOT_WIDTH / 2, 0]
    assert all(bar.x == charts.LABEL_WIDTH for bar in chart.bars)
    assert [bar.y for bar in chart.bars] == [9.0, 35.0, 61.0]  # 4 px margin, then 26 px rows, bars centred
    # Values in a column after the scale, whatever the bar's length.
    assert {bar.value_x for bar in chart.bars} == {charts.LABEL_WIDTH + charts.PLOT_WIDTH + charts.MARGIN}
    assert chart.height == 2 * charts.MARGIN + 3 * charts.ROW_HEIGHT
    assert chart.width == charts.LABEL_WIDTH + charts.PLOT_WIDTH + charts.VALUE_WIDTH
    assert chart.label_x < chart.axis_x


def test_percentages_are_drawn_on_a_scale_of_one_hundred_and_written_with_their_unit():
    chart = charts.bar_chart([("EPCI", 50.0), ("Communes", 12.5)], unit="%")
    assert chart.maximum == 100
    assert [bar.width for bar in chart.bars] == [180.0, 45.0]
    assert [bar.text for bar in chart.bars] == ["50\u00a0%", "12,5\u00a0%"]


def test_values_out_of_scale_stay_inside_the_plot():
    chart = charts.bar_chart([("a", 130.0), ("b", -5)], unit="%")
    assert [bar.width for bar in chart.bars] == [charts.PLOT_WIDTH, 0]


def test_a_value_not_measured_has_no_bar_and_says_so():
    chart = charts.bar_chart([("Mallièvre", None), ("Tiffauges", 75.0)], unit="%")
    assert chart.bars[0].width == 0 and chart.bars[0].value is None
    assert chart.bars[0].text == "non mesuré"
    assert chart.bars[1].width == 270.0


def test_only_zeros_or_nothing_measured_draw_no_bar_without_dividing_by_zero():
    assert [bar.width for bar in charts.bar_chart([("a", 0), ("b", 0)]).bars] == [0, 0]
    assert [bar.width for bar in charts.bar_chart([("a", None)]).bars] == [0]
    assert charts.bar_chart([]) is None


def test_long_labels_are_truncated_in_the_chart_and_kept_whole_for_the_table():
    name = "Communauté de communes du Pays de Mortagne et de la Sèvre vendéenne"
    bar = charts.bar_chart([(name, 3)]).bars[0]
    assert bar.label == name
    assert len(bar.short) == charts.LABEL_CHARS and bar.short.endswith("…")
    assert charts.truncate("Tiffauges") == "Tiffauges"
    assert charts.truncate("  Saint-Laurent\nsur-Sèvre  ", 40) == "Saint-Laurent sur-Sèvre"
    assert charts.truncate("abcdef ghij", 8) == "abcdef…"  # no space left before the ellipsis


def test_a_stacked_bar_splits_its_width_by_level_in_order():
    bar = charts.stacked_bar([1, 0, 1, 2, 0])
    assert bar.total == 4
    assert [(s.level, s.count, s.x, s.width) for s in bar.segments] == [
        (1, 1, 0, 50.0),
        (3, 1, 50.0, 50.0),
        (4, 2, 100.0, 100.0),
    ]
    assert [s.colour for s in bar.segments] == [
        charts.LIKERT_COLOURS[1],
        charts.LIKERT_COLOURS[3],
        charts.LIKERT_COLOURS[4],
    ]
    assert [s.text_x for s in bar.segments] == [25.0, 75.0, 150.0]


def test_stacked_segments_never_leave_a_gap_nor_overflow_with_rounding():
    bar = charts.stacked_bar([1, 1, 1, 0, 0], width=100)
    assert [s.x for s in bar.segments] == [0, 33.3, 66.7]
    assert bar.segments[-1].x + bar.segments[-1].width == 100
    for left, right in zip(bar.segments, bar.segments[1:], strict=False):
        assert round(left.x + left.width, 1) == right.x


def test_narrow_segments_keep_their_count_for_the_table():
    bar = charts.stacked_bar([1, 0, 0, 0, 29])
    assert [s.shows_count for s in bar.segments] == [False, True]


def test_an_item_nobody_answered_has_no_segment():
    assert charts.stacked_bar([0, 0, 0, 0, 0]).segments == []
    assert charts.stacked_bar([None, None, 0, 0, 0]).total == 0


def test_a_trend_says_the_direction_in_an_arrow_a_signed_difference_and_words():
    up = charts.trend(12, 9)
    assert (up.arrow, up.text, up.words) == ("↑", "+3", "en hausse")
    assert str(up) == "↑ +3 (en hausse)"
    down = charts.trend(3.25, 3.75)
    assert (down.arrow, down.text, down.words) == ("↓", "-0,5", "en baisse")
    assert str(charts.trend(80.0, 80.0, unit="%")) == "= 0 points (stable)"
    assert charts.trend(62.5, 50.0, unit="%").unit == "points"
    assert charts.trend(None, 3) is None and charts.trend(3, None) is None


def test_values_are_written_the_french_way():
    assert charts.format_value(12.5, "%") == "12,5\u00a0%"
    assert charts.format_value(3.0) == "3"
    assert charts.format_value(0.125) == "0,125"
    assert charts.format_value(None, "%") == "non mesuré"
