"""Comparing the queries a page makes on a small and on a large territory."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


def assert_counts_do_not_grow(client, assert_max_queries, pages, small, large):
    """`pages` maps a name to (url, maximum) builders; `small` and `large` are (agent, context) pairs.

    Each page is first requested once to warm per-process caches (content types), then counted
    inside `assert_max_queries` on both sizes; the counts must be equal.
    """
    counts = {}
    for name, (url_for, maximum) in pages.items():
        (small_agent, small_context), (large_agent, large_context) = small, large
        small_url, large_url = url_for(*small_context), url_for(*large_context)
        client.force_login(small_agent)
        count_queries(client, small_url)
        with assert_max_queries(maximum):
            small_count = count_queries(client, small_url)
        client.force_login(large_agent)
        with assert_max_queries(maximum):
            large_count = count_queries(client, large_url)
        counts[name] = (small_count, large_count)
    assert {name: pair for name, pair in counts.items() if pair[0] != pair[1]} == {}
