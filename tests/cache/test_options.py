from dataclasses import replace

from kmon.cache.clock import FakeClock
from kmon.cache.features import FeatureGates
from kmon.cache.informer import SharedIndexInformer
from kmon.cache.listwatch import ListPage
from kmon.cache.options import InformerOptions, ReflectorOptions
from kmon.cache.reflector import Reflector

from .fakes import ScriptedListerWatcher, pod
from .helpers import CLASSIC, RecordingStore, running


def test_an_options_object_configures_the_informer_and_its_reflector():
    opts = InformerOptions(name="pods", resync_period=5.0, page_size=7, indexers={"by": lambda o: [o["k"]]}, process_batch=3)
    inf = SharedIndexInformer(object(), options=opts)
    assert inf.name == "pods" and inf.options == opts
    assert inf.reflector.options == opts.reflector() and inf.reflector.resync_period == 5.0
    assert "by" in inf.indexer.get_indexers()


def test_the_keywords_are_the_short_form_of_the_options():
    inf = SharedIndexInformer(object(), name="pods", resync_period=5.0, page_size=7, use_watch_list=True, gc_policy=False)
    assert inf.options == InformerOptions(name="pods", resync_period=5.0, page_size=7, use_watch_list=True, gc_policy=False)
    assert inf.reflector.options == ReflectorOptions(name="pods", resync_period=5.0, page_size=7, use_watch_list=True)
    assert SharedIndexInformer(object()).name == "informer"


def test_a_reflector_takes_reflector_options_or_the_contract_keywords():
    by_keywords = Reflector(object(), RecordingStore(), name="r", page_size=3, use_watch_list=True)
    opts = ReflectorOptions(name="r", page_size=3, use_watch_list=True)
    assert by_keywords.options == opts and Reflector(object(), RecordingStore(), options=opts).options == opts
    assert by_keywords.name == "r" and Reflector(object(), RecordingStore()).name == "reflector"


def test_reflector_options_decide_what_it_asks_the_server():
    lw = ScriptedListerWatcher().on_list(ListPage([pod("a")], "10"))
    # (the classic path lists; 1.36's WatchList asks no list: test_reflector_current)
    opts = ReflectorOptions(name="r", page_size=7, min_watch_timeout=1000.0, features=CLASSIC)
    r = Reflector(lw, RecordingStore(), options=replace(opts), clock=FakeClock(auto_advance=True))
    with running(r.list_and_watch):
        assert lw.wait_watch_calls(1)
    assert lw.list_calls[0].limit == 7
    assert 1000 <= lw.watch_calls[0].timeout_seconds <= 2000


def test_without_gates_an_informer_runs_what_a_current_controller_runs(monkeypatch):
    for gate in ("InOrderInformers", "InOrderInformersBatchProcess", "AtomicFIFO", "UnlockWhileProcessingFIFO",
                 "WatchListClient"):
        monkeypatch.delenv(f"KUBE_FEATURE_{gate}", raising=False)
    inf = SharedIndexInformer(object(), gc_policy=False)
    assert inf.features == FeatureGates.for_client_go("1.36") == FeatureGates()
    assert inf.stats().queue == "RealFIFO (atomic, batched, unlocking)" and inf.reflector.use_watch_list
    monkeypatch.setenv("KUBE_FEATURE_WatchListClient", "false")  # an operator's override, as client-go reads it
    inf = SharedIndexInformer(object(), gc_policy=False)
    assert not inf.reflector.use_watch_list and inf.features.source("WatchListClient") == "environment"
    assert not Reflector(object(), RecordingStore()).use_watch_list
