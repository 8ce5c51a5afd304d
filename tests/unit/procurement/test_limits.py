import pytest

from procurement.core.limits import rate_limited, retry_after_seconds, wait_in_words


def test_retry_after_is_whole_seconds_and_never_zero():
    assert retry_after_seconds(1000.0, 958.2) == 42
    assert retry_after_seconds(1000.0, 999.99) == 1
    assert retry_after_seconds(1000.0, 1001.0) == 1


def test_the_wait_in_words():
    assert wait_in_words(1) == "1 second"
    assert wait_in_words(42) == "42 seconds"
    assert wait_in_words(60) == "1 minute"
    assert wait_in_words(61) == "2 minutes"
    assert wait_in_words(3540) == "59 minutes"


def test_a_view_can_only_be_limited_by_a_rate_limit_setting():
    @rate_limited("SIGN_UP_RATE_LIMIT")
    def view():
        return "page"

    assert view.rate_limit_setting == "SIGN_UP_RATE_LIMIT" and view() == "page"
    with pytest.raises(ValueError, match="not a rate limit setting"):
        rate_limited("SIGN_IN_LIMIT")
