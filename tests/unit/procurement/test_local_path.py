"""A `next` (after signing in) or a form's way back is a path on this site, or nothing (issue 18, finding 2)."""
import pytest

from procurement.core.http import local_path


@pytest.mark.parametrize("target", ["/", "/tenders/3", "/requirements?status=draft&page=2", "/a%20b"])
def test_a_path_on_this_site_is_kept(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", [
    None, "", "tenders", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/\r\n/evil.example", "/\n/x", "/ /evil.example", "/\x00", "/\x7f",
    "https://evil.example/", "javascript:alert(1)", "/" + "a" * 2001,
])
def test_anything_that_could_leave_the_site_or_split_a_header_is_refused(target):
    assert local_path(target) is None
