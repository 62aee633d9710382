"""autograd.validate: the one checker for numbers users give (rates, sizes, seeds)."""

import math

import numpy as np
import pytest

from autograd.validate import NumberTypeError, hyperparameter, integer, real


@pytest.mark.parametrize("x", [np.float32(0.5), np.float64(0.5), 0.5, np.int64(1), 1])
def test_numpy_scalars_become_python_numbers(x):
    assert type(hyperparameter(x, "lr")) is float
    assert type(real(x, "x")) is float


def test_numpy_integers_become_python_ints():
    assert type(integer(np.int32(3), "n")) is int


@pytest.mark.parametrize("check", [lambda: hyperparameter("0.1", "lr"), lambda: integer(2.5, "n"),
                                   lambda: hyperparameter(True, "lr"), lambda: real(None, "x")])
def test_a_non_number_is_a_type_error_that_is_also_a_value_error(check):
    with pytest.raises(NumberTypeError) as info:
        check()
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("kwargs, x, message", [
    ({"low": 0.0}, -1, "lr must be a finite number >= 0, got -1.0"),
    ({"low": 0.0, "low_open": True}, 0, "lr must be a finite number > 0, got 0.0"),
    ({"low": 0.0, "high": 1.0, "high_open": True}, 1.0, "lr must be a finite number >= 0 and < 1, got 1.0"),
    ({}, math.nan, "lr must be a finite number, got nan"),
    ({"low": 0.0}, math.inf, "lr must be a finite number >= 0, got inf"),
])
def test_a_number_out_of_range_is_a_value_error_saying_the_range(kwargs, x, message):
    with pytest.raises(ValueError, match=message):
        hyperparameter(x, "lr", **kwargs)


def test_the_ends_of_a_closed_range_are_accepted():
    assert hyperparameter(0, "x", low=0.0, high=1.0) == 0.0
    assert hyperparameter(1, "x", low=0.0, high=1.0) == 1.0


def test_an_integer_too_large_for_a_float_is_said_to_be_too_large_not_inf():
    with pytest.raises(ValueError, match="too large for a float") as info:
        hyperparameter(10**400, "lr")
    assert "inf" not in str(info.value)
    with pytest.raises(OverflowError, match="an integer of about 401 digits is too large"):
        real(10**400, "x")
