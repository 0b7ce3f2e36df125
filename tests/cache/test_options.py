import threading
from kmon.cache.options import InformerOptions
from kmon.cache.informer import SharedIndexInformer
def test_an_options_object_configures_the_informer_and_its_reflector():
    opts = InformerOptions(name="pods", resync_period=5.0, page_size=7, indexers={"by": lambda o: [o["k"]]}, process_batch=3)
    inf = SharedIndexInformer(object(), options=opts)
    assert inf.name == "pods" and inf.reflector.page_size == 7 and inf.reflector.resync_period == 5.0
    assert "by" in inf.indexer.get_indexers()
