"""``kmon.selectors``: label and field selectors parsed as kube-apiserver parses them, rejected
with the server's own messages (which kubectl relays), and matched as the server matches."""

from __future__ import annotations

import pytest

from kmon.selectors import SelectorError, parse_field_selector, parse_label_selector

KEY_RULE = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
            "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")


@pytest.mark.parametrize("text,message", [
    ("app in (web", "unable to parse requirement: found '', expected: ',' or ')'"),
    ("app in (web tier)", "unable to parse requirement: found 'tier', expected: ',' or ')'"),
    ("app notin web", "unable to parse requirement: found 'web' expected: '('"),
    ("app:web", f'unable to parse requirement: <nil>: Invalid value: "app:web": {KEY_RULE}'),
    ("app=web tier", "found 'tier', expected: ',' or 'end of string'"),
    ("app=web,", "found '', expected: identifier after ','"),
    (",app", "found ',', expected: !, identifier, or 'end of string'"),
    ("!app=web", "found '=', expected: ',' or 'end of string'"),
    ("app=(web)", "unable to parse requirement: found '(', expected: identifier"),
    ("replicas>two", 'unable to parse requirement: values[0]: Invalid value: "two": '
                     "for 'Gt', 'Lt' operators, the value must be an integer"),
    ("app=web!", "found '!', expected: ',' or 'end of string'"),
])
def test_invalid_label_selectors_get_the_servers_message(text, message):
    with pytest.raises(SelectorError) as e:
        parse_label_selector(text)
    assert str(e.value) == message


def test_a_too_long_value_names_the_key_and_the_limit():
    with pytest.raises(SelectorError, match=r'values\[0\]\[app\]: Invalid value: "v{64}": must be no more than 63 characters'):
        parse_label_selector("app=" + "v" * 64)


@pytest.mark.parametrize("text,labels,expected", [
    ("", {"a": "1"}, True),
    ("app=web", {"app": "web"}, True),
    ("app==web,tier!=db", {"app": "web"}, True),
    ("tier!=db", {"tier": "db"}, False),
    ("app in (web, api)", {"app": "api"}, True),
    ("app notin (web)", {}, True),
    ("app", {"app": ""}, True),
    ("!app", {"app": "x"}, False),
    ("replicas>2,replicas<10", {"replicas": "5"}, True),
    ("replicas>2", {"replicas": "x"}, False),
    ("in in (in, notin)", {"in": "notin"}, True),  # keywords are values after an operator
    ("x in (a,,b)", {"x": ""}, True),  # an empty value in a set
    ("example.com/team=core", {"example.com/team": "core"}, True),
])
def test_label_selectors_match_as_the_server_matches(text, labels, expected):
    assert parse_label_selector(text).matches(labels) is expected


@pytest.mark.parametrize("text,message", [
    ("phase", "invalid selector: 'phase'; can't understand 'phase'"),
    ("status.phase=Running,nodeName", "invalid selector: 'status.phase=Running,nodeName'; can't understand 'nodeName'"),
    ("a=b=c", "invalid field selector: unescaped character in value: '='"),
    ("a=b\\x", "invalid field selector: invalid escape sequence: \\x"),
])
def test_invalid_field_selectors_get_the_servers_message(text, message):
    with pytest.raises(SelectorError) as e:
        parse_field_selector(text)
    assert str(e.value) == message


def test_field_selectors_parse_escapes_and_match():
    sel = parse_field_selector("metadata.name!=a,spec.nodeName==n1,metadata.annotations=x\\,y")
    assert sel.matches({"metadata.name": "b", "spec.nodeName": "n1", "metadata.annotations": "x,y"})
    assert not sel.matches({"metadata.name": "a", "spec.nodeName": "n1", "metadata.annotations": "x,y"})
    assert parse_field_selector("").empty and parse_field_selector(None).matches({})
