import pytest

from eval.passk import estimate_pass_at_k, pass_at_k


@pytest.mark.parametrize("n,c,k,expected", [
    (1, 1, 1, 1.0),
    (1, 0, 1, 0.0),
    (5, 2, 1, 2 / 5),
    (5, 2, 2, 1 - 3 / 10),      # 1 - C(3,2)/C(5,2)
    (4, 1, 3, 1 - 1 / 4),       # 1 - C(3,3)/C(4,3)
    (10, 3, 5, 1 - 21 / 252),   # 1 - C(7,5)/C(10,5)
    (3, 3, 2, 1.0),
    (10, 0, 10, 0.0),
    (200, 1, 100, 0.5),         # 1 - C(199,100)/C(200,100) = 1 - 100/200
])
def test_estimator_matches_hand_computed(n, c, k, expected):
    assert estimate_pass_at_k(n, c, k) == pytest.approx(expected)


def test_mean_over_tasks_and_k_filter():
    results = {"a": [True, False, False, False], "b": [False] * 4, "c": [True] * 4}
    got = pass_at_k(results, ks=(1, 2, 10))
    assert got["pass@1"] == pytest.approx((0.25 + 0 + 1) / 3)
    assert got["pass@2"] == pytest.approx((0.5 + 0 + 1) / 3)  # a: 1 - C(3,2)/C(4,2) = 0.5
    assert "pass@10" not in got  # only 4 samples per task


def test_invalid_counts():
    with pytest.raises(ValueError):
        estimate_pass_at_k(2, 3, 1)
