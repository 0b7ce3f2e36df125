import copy

from hypothesis import given, strategies as st

from kmon.monitor.masking import LAST_APPLIED, MASK, mask_secret, redact_text
from kmon.cache.keys import DeletedFinalStateUnknown


def secret(**data):
    return {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ns", "annotations": {LAST_APPLIED: '{"data":{"k":"c2VjcmV0"}}', "a": "b"}},
        "data": dict(data), "stringData": {"plain": "hunter2"}, "type": "Opaque",
    }


def test_secret_values_masked_keys_kept_input_untouched():
    s = secret(password="c2VjcmV0", user="YWRtaW4=")
    before = copy.deepcopy(s)
    m = mask_secret(s)
    assert s == before
    assert m["data"] == {"password": MASK, "user": MASK}
    assert m["stringData"] == {"plain": MASK}
    assert m["metadata"]["annotations"][LAST_APPLIED] == MASK
    assert m["metadata"]["annotations"]["a"] == "b"
    assert m["type"] == "Opaque" and m["metadata"]["name"] == "s"
    assert "c2VjcmV0" not in repr(m) and "hunter2" not in repr(m)


def test_secret_list_and_generic_list():
    items = [{"metadata": {"name": "a"}, "data": {"k": "dg=="}}]
    sl = {"kind": "SecretList", "apiVersion": "v1", "items": items}
    m = mask_secret(sl)
    assert m["items"][0]["data"] == {"k": MASK} and items[0]["data"] == {"k": "dg=="}
    mixed = {"kind": "List", "items": [secret(k="dg=="), {"kind": "ConfigMap", "data": {"k": "v"}}]}
    m = mask_secret(mixed)
    assert m["items"][0]["data"] == {"k": MASK}
    assert m["items"][1]["data"] == {"k": "v"}


def test_non_secrets_returned_as_is():
    cm = {"kind": "ConfigMap", "data": {"k": "v"}}
    assert mask_secret(cm) is cm
    assert mask_secret(None) is None
    assert mask_secret({"kind": "Secret", "apiVersion": "example.com/v1", "data": {"k": "v"}})["data"] == {"k": "v"}


def test_deleted_final_state_unknown_unwrapped():
    d = DeletedFinalStateUnknown("ns/s", secret(k="dg=="))
    m = mask_secret(d)
    assert isinstance(m, DeletedFinalStateUnknown) and m.key == "ns/s"
    assert m.obj["data"] == {"k": MASK} and d.obj["data"] == {"k": "dg=="}


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=20), max_size=5))
def test_no_value_survives(data):
    m = mask_secret({"kind": "Secret", "apiVersion": "v1", "data": data})
    assert set(m["data"]) == set(data)
    assert all(v == MASK for v in m["data"].values())


def test_redact_text():
    cases = {
        "Authorization: Bearer abc.def-123": "abc.def-123",
        "request failed: token=s3cr3t&x=1": "s3cr3t",
        '{"token": "abcdef"}': "abcdef",
        "https://admin:hunter2@10.0.0.1:6443/api": "hunter2",
        "got eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl": "eyJhbGciOiJSUzI1NiJ9",
        "password: pa55w0rd": "pa55w0rd",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEabc\n-----END RSA PRIVATE KEY-----": "MIIEabc",
    }
    for text, secret_part in cases.items():
        out = redact_text(text)
        assert secret_part not in out, (text, out)
        assert MASK in out
    assert redact_text("Authorization: Bearer xyz") == f"Authorization: Bearer {MASK}"
    harmless = '403 Forbidden: pods is forbidden: User "system:anonymous" cannot list resource "pods"'
    assert redact_text(harmless) == harmless
    assert redact_text("") == ""


def test_kindless_and_metadata_only_secrets_need_the_resource():
    partial = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
               "metadata": {"name": "s", "annotations": {LAST_APPLIED: '{"data":{"k":"c2VjcmV0"}}'}}}
    assert mask_secret(partial) is partial  # nothing says it is a Secret
    m = mask_secret(partial, "secrets")
    assert m["metadata"]["annotations"][LAST_APPLIED] == MASK and "data" not in m
    item = {"metadata": {"name": "s"}, "data": {"k": "dg=="}}
    assert mask_secret(item, "secrets")["data"] == {"k": MASK}
    assert mask_secret(item, "configmaps") is item
    assert mask_secret({"kind": "ConfigMap", "data": {"k": "v"}}, "secrets")["data"] == {"k": "v"}


# --- cached objects are RawObjects (kept as their wire bytes): masked all the same ---------

def test_raw_object_secret_masked():
    from kmon.cache.raw_object import RawObject
    s = RawObject(secret(password="c2VjcmV0"))
    m = mask_secret(s)
    assert m["data"] == {"password": MASK} and m["stringData"] == {"plain": MASK}
    assert m["metadata"]["annotations"][LAST_APPLIED] == MASK and m["metadata"]["annotations"]["a"] == "b"
    assert m["metadata"]["name"] == "s" and m["type"] == "Opaque"
    assert "c2VjcmV0" not in repr(m) and "hunter2" not in repr(m)
    assert s["data"] == {"password": "c2VjcmV0"}  # the cached object untouched


def test_raw_object_secret_without_kind_and_metadata_only():
    from kmon.cache.raw_object import RawObject
    item = RawObject({"metadata": {"name": "a"}, "data": {"k": "dg=="}})
    assert mask_secret(item, "secrets")["data"] == {"k": MASK}
    partial = RawObject({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                         "metadata": {"name": "a", "annotations": {LAST_APPLIED: "c2VjcmV0"}}})
    assert mask_secret(partial, "secrets")["metadata"]["annotations"][LAST_APPLIED] == MASK
    d = DeletedFinalStateUnknown("ns/s", RawObject(secret(k="dg==")))
    assert mask_secret(d).obj["data"] == {"k": MASK}


def test_raw_object_non_secret_returned_as_is_without_decoding():
    from kmon.cache import raw_bodies
    from kmon.cache.raw_object import RawObject
    cm = RawObject({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}, "data": {"k": "v"}})
    raw_bodies.STATS.reset()
    assert mask_secret(cm, "configmaps") is cm
    assert raw_bodies.STATS.decodes() == 0  # recordings mask every object: no body decode for it
