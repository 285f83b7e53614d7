"""tools/testrun.py: how the suite is spread over shards, and each shard's ports."""

from services.common import testing
from tools.testrun import shards


def test_files_go_longest_first_onto_the_least_loaded_shard():
    seconds = {"a": 100.0, "b": 60.0, "c": 50.0, "d": 10.0}
    assert shards(["a", "b", "c", "d"], 2, seconds) == [["a", "d"], ["b", "c"]]  # 110 s each
    assert shards(["a", "b"], 3, seconds) == [["a"], ["b"]]  # no empty shard
    assert sorted(f for shard in shards(list("abcd"), 3, seconds) for f in shard) == list("abcd")  # each file once


def test_a_file_without_a_record_counts_as_the_median():
    seconds = {"a": 30.0, "b": 10.0, "c": 20.0}
    assert shards(["a", "b", "c", "new"], 2, seconds) == [["a", "b"], ["c", "new"]]  # new: 20 s
    assert shards(["x", "y"], 2, {}) == [["x"], ["y"]]


def test_each_shard_draws_ports_from_its_own_slice(monkeypatch):
    monkeypatch.setattr(testing, "_ephemeral_low", lambda: 32000)
    slices = []
    for i in range(3):
        monkeypatch.setenv("KAMENG_TEST_SHARD", f"{i}/3")
        slices.append(testing._port_range())
        low, high = slices[-1]
        assert all(low <= testing.free_port() < high for _ in range(20))
    assert slices == [(20000, 24000), (24000, 28000), (28000, 32000)]
    monkeypatch.delenv("KAMENG_TEST_SHARD")
    assert testing._port_range() == (20000, 32000)
