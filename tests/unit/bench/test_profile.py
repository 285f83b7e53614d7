"""The bench's profile summary (bench/profile.py): py-spy's collapsed stacks by layer."""

from bench.profile import digest, summary


def test_samples_go_to_the_innermost_known_layer_and_waiting_counts_apart(tmp_path):
    raw = tmp_path / "profile-order.txt"
    raw.write_text(
        "run (nameko/containers.py:1);accept (services/order/accept.py:9);execute (sqlalchemy/engine/base.py:3) 6\n"
        "run (nameko/containers.py:1);advance_all (services/order/saga.py:4) 3\n"
        "run (nameko/containers.py:1);dumps (json/encoder.py:2);<genexpr> (x.py:1) 1\n"
        "wait (eventlet/hubs/hub.py:7);poll (eventlet/hubs/epolls.py:1) 40\n"
    )
    layers, functions, total = digest(raw)
    assert total == 50 and layers["idle"] == 40
    assert (layers["SQLAlchemy"], layers["kameng"], layers["JSON"]) == (6, 3, 1)
    assert functions.most_common(1) == [("execute base.py:3", 6)]
    assert "**order** (10 busy samples): SQLAlchemy 60%, kameng 30%, JSON 10%" in summary([raw])
