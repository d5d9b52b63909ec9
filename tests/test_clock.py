from automl.base.clock import Clock


def test_clock_counts_from_creation_with_an_injected_time():
    now = [100.0]
    clock = Clock(60, now=lambda: now[0])
    now[0] = 112.5
    assert clock.elapsed() == 12.5
    assert clock.remaining() == 47.5
