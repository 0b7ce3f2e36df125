from __future__ import annotations

import pytest
import yaml
from kubernetes.client import ApiClient, Configuration

from .fakeapi import FakeApi


@pytest.fixture
def fake():
    api = FakeApi()
    yield api
    api.close()


def client_for_url(url: str, token: str = "t0ken") -> ApiClient:
    conf = Configuration(host=url)
    conf.api_key["BearerToken"] = f"Bearer {token}"
    return ApiClient(conf)


@pytest.fixture
def fake_client(fake):
    c = client_for_url(fake.url)
    yield c
    c.close()
