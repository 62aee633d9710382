"""nn.Module: named parameters, labels and scopes, state_dict, atomic save and validated load."""

import json
import math
import os

import numpy as np
import pytest

from nn import MLP, Layer, Neuron


def small_model(seed=0):
    return MLP(2, [3, 1], seed=seed)


# ---- names -------------------------------------------------------------------------

def test_named_parameters_are_dotted_names_in_micrograd_order():
    names = [name for name, _ in small_model().named_parameters()]
    assert names == [
        "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0", "layers.0.neurons.1.w.1", "layers.0.neurons.1.b",
        "layers.0.neurons.2.w.0", "layers.0.neurons.2.w.1", "layers.0.neurons.2.b",
        "layers.1.neurons.0.w.0", "layers.1.neurons.0.w.1", "layers.1.neurons.0.w.2", "layers.1.neurons.0.b",
    ]


def test_named_parameters_hold_the_attributes_they_name():
    model = small_model()
    named = dict(model.named_parameters())
    assert named["layers.0.neurons.2.w.1"] is model.layers[0].neurons[2].w[1]
    assert named["layers.1.neurons.0.b"] is model.layers[1].neurons[0].b
    assert [p for _, p in model.named_parameters()] == model.parameters()


def test_parameters_are_labelled_with_their_name_and_scoped_to_their_neuron():
    model = small_model()
    for name, p in model.named_parameters():
        assert p.label == name
        assert p.scope == name.rsplit(".", 2 if ".w." in name else 1)[0]
    assert model.layers[0].neurons[2].w[1].scope == "layers.0.neurons.2"


def test_a_standalone_neuron_names_its_parameters_w_i_and_b_with_no_scope():
    neuron = Neuron(2, seed=0)
    assert [(n, p.scope) for n, p in neuron.named_parameters()] == [("w.0", ""), ("w.1", ""), ("b", "")]
    assert [p.label for p in neuron.parameters()] == ["w.0", "w.1", "b"]


def test_a_standalone_layer_scopes_parameters_to_its_neurons():
    layer = Layer(2, 2, seed=0)
    assert [n for n, _ in layer.named_parameters()][3:] == ["neurons.1.w.0", "neurons.1.w.1", "neurons.1.b"]
    assert layer.neurons[1].b.scope == "neurons.1"


def test_the_forward_tags_each_neurons_net_input_in_and_its_output_a():
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    out = model([0.5, -1.0])
    assert (out.label, out.scope, out.op) == ("in", "layers.1.neurons.0", "sum")  # linear output: the net input
    assert len(out.inputs) == 3  # one n-ary sum: wᵢ·aᵢ for two inputs, and b
    products, bias = out.inputs[:2], out.inputs[2]
    assert bias is model.layers[1].neurons[0].b
    hidden = [product.inputs[1] for product in products]
    assert [(h.label, h.scope, h.op) for h in hidden] == [("a", "layers.0.neurons.0", "tanh"),
                                                          ("a", "layers.0.neurons.1", "tanh")]
    assert all(h.inputs[0].label == "in" and h.inputs[0].scope == h.scope for h in hidden)


def test_zero_grad_sets_every_gradient_to_zero():
    model = small_model()
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ---- state_dict ------------------------------------------------------------------------

def test_state_dict_maps_names_in_order_to_plain_floats():
    model = small_model()
    sd = model.state_dict()
    assert list(sd) == [n for n, _ in model.named_parameters()]
    assert all(type(v) is float for v in sd.values())
    assert sd["layers.0.neurons.1.w.0"] == model.layers[0].neurons[1].w[0].data
    assert json.loads(json.dumps(sd)) == sd


def test_load_state_dict_makes_a_model_compute_the_same_outputs():
    source, target = small_model(seed=1), small_model(seed=2)
    assert target([0.3, -0.7]).data != source([0.3, -0.7]).data
    target.load_state_dict(source.state_dict())
    assert target([0.3, -0.7]).data == source([0.3, -0.7]).data
    assert target.state_dict() == source.state_dict()


def _with(sd, **changes):
    out = dict(sd)
    out.update(changes)
    return out


REJECTED = {
    "missing": (lambda sd: {k: v for k, v in sd.items() if k != "layers.1.neurons.0.b"},
                KeyError, "layers.1.neurons.0.b"),
    "extra": (lambda sd: _with(sd, **{"layers.2.neurons.0.b": 1.0}), KeyError, "layers.2.neurons.0.b"),
    "string": (lambda sd: _with(sd, **{"layers.0.neurons.0.b": "0.5"}), ValueError, "layers.0.neurons.0.b"),
    "bool": (lambda sd: _with(sd, **{"layers.0.neurons.1.w.0": True}), ValueError, "layers.0.neurons.1.w.0"),
    "none": (lambda sd: _with(sd, **{"layers.0.neurons.0.w.1": None}), ValueError, "layers.0.neurons.0.w.1"),
    "nan": (lambda sd: _with(sd, **{"layers.1.neurons.0.w.2": math.nan}), ValueError, "layers.1.neurons.0.w.2"),
    "inf": (lambda sd: _with(sd, **{"layers.1.neurons.0.w.0": -math.inf}), ValueError, "layers.1.neurons.0.w.0"),
    "list": (lambda sd: _with(sd, **{"layers.0.neurons.2.b": [1.0]}), ValueError, "layers.0.neurons.2.b"),
    "huge-int": (lambda sd: _with(sd, **{"layers.0.neurons.2.w.0": 10**400}), ValueError, "layers.0.neurons.2.w.0"),
}


@pytest.mark.parametrize("case", REJECTED)
def test_load_state_dict_rejects_bad_entries_by_name_and_changes_nothing(case):
    model, other = small_model(seed=1), small_model(seed=2)
    make_bad, error, name = REJECTED[case]
    bad = make_bad(other.state_dict())
    before = model.state_dict()
    with pytest.raises(error, match=name.replace(".", r"\.")):
        model.load_state_dict(bad)
    assert model.state_dict() == before


def test_load_state_dict_rejects_a_non_mapping():
    model = small_model()
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([("layers.0.neurons.0.w.0", 1.0)])


def test_load_state_dict_checks_every_entry_before_setting_any():
    # A bad value at the end must not leave the earlier (good) values applied.
    model, other = small_model(seed=1), small_model(seed=2)
    bad = other.state_dict()
    bad["layers.1.neurons.0.b"] = "oops"
    before = model.state_dict()
    with pytest.raises(ValueError):
        model.load_state_dict(bad)
    assert model.state_dict() == before


# ---- save and load ------------------------------------------------------------------------

def test_save_then_load_round_trips_every_parameter_exactly(tmp_path):
    path = tmp_path / "model.json"
    source, target = small_model(seed=1), small_model(seed=2)
    source.save(path)
    assert json.loads(path.read_text()) == source.state_dict()
    target.load(path)
    assert target.state_dict() == source.state_dict()


def _left_over_files(directory):
    return sorted(p.name for p in directory.iterdir())


@pytest.mark.parametrize("crash_in", ["fsync", "replace"])
def test_a_crash_while_saving_leaves_the_old_file_intact_and_no_temporary_file(tmp_path, monkeypatch, crash_in):
    path = tmp_path / "model.json"
    small_model(seed=1).save(path)
    old = path.read_bytes()

    def crash(*args):
        raise OSError(f"simulated crash in {crash_in}")

    monkeypatch.setattr(os, crash_in, crash)
    with pytest.raises(OSError, match="simulated crash"):
        small_model(seed=2).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert _left_over_files(tmp_path) == ["model.json"]


def test_save_refuses_a_non_finite_parameter_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "model.json"
    model = small_model()
    model.save(path)
    old = path.read_bytes()
    model.layers[1].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match="layers.1.neurons.0.b"):
        model.save(path)
    assert path.read_bytes() == old
    assert _left_over_files(tmp_path) == ["model.json"]


@pytest.mark.parametrize("contents", [
    pytest.param(None, id="truncated"),
    pytest.param(b"\xff\xfe\x00garbage", id="binary"),
    pytest.param(b"[1.0, 2.0]", id="a-list"),
    pytest.param(b"", id="empty"),
    pytest.param(b'{"layers.0.neurons.0.b": 1.0, "layers.0.neurons.0.b": 2.0}', id="duplicate-key"),
])
def test_loading_a_truncated_or_corrupt_file_is_a_value_error_and_changes_nothing(tmp_path, contents):
    path = tmp_path / "model.json"
    small_model(seed=2).save(path)
    if contents is None:
        contents = path.read_bytes()[: len(path.read_bytes()) // 2]
    path.write_bytes(contents)
    model = small_model(seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="model.json"):
        model.load(path)
    assert model.state_dict() == before


def test_loading_a_file_with_nan_is_a_value_error_naming_the_parameter(tmp_path):
    path = tmp_path / "model.json"
    small_model(seed=2).save(path)
    text = path.read_text()
    assert '"layers.0.neurons.0.b": 0.0' in text
    path.write_text(text.replace('"layers.0.neurons.0.b": 0.0', '"layers.0.neurons.0.b": NaN'))
    model = small_model(seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"layers\.0\.neurons\.0\.b"):
        model.load(path)
    assert model.state_dict() == before


def test_loading_a_file_for_another_architecture_is_a_key_error_naming_the_keys(tmp_path):
    path = tmp_path / "model.json"
    MLP(2, [4, 1], seed=0).save(path)
    model = small_model()
    before = model.state_dict()
    with pytest.raises(KeyError, match=r"unexpected .*layers\.0\.neurons\.3\.w\.0"):
        model.load(path)
    assert model.state_dict() == before


def _load_refused(tmp_path, text):
    """Loads `text` as a model file; returns the message, after checking the model is unchanged."""
    path = tmp_path / "model.json"
    path.write_text(text)
    model = small_model(seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError) as info:
        model.load(path)
    assert model.state_dict() == before
    message = str(info.value)
    assert message.startswith(f"load: {path}")
    return message


def test_a_deeply_nested_file_is_the_documented_value_error_not_a_recursion_error(tmp_path):
    message = _load_refused(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in message
    message = _load_refused(tmp_path, '{"layers.0.neurons.0.b": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nested too deeply" in message


def test_a_5000_digit_integer_is_said_to_be_too_large_for_a_float_not_corrupt(tmp_path):
    sd = json.dumps(small_model().state_dict())
    message = _load_refused(tmp_path, sd.replace("0.0", "1" * 5000, 1))
    assert "too large for a float" in message and "5000 characters" in message
    assert "corrupt" not in message


def test_a_number_beyond_the_float_range_is_said_to_be_too_large_not_inf(tmp_path):
    message = _load_refused(tmp_path, json.dumps(small_model().state_dict()).replace("0.0", "1e400", 1))
    assert "the number 1e400, too large for a float" in message and "inf" not in message


@pytest.mark.parametrize("text, kind", [("null", "JSON null"), ("[1.0]", "a JSON array"), ('"model"', "a JSON string"),
                                        ("true", "JSON true"), ("false", "JSON false"), ("2.5", "a JSON number")])
def test_a_file_that_is_not_an_object_names_what_it_holds_in_jsons_words(tmp_path, text, kind):
    assert f"holds {kind}, not a JSON object" in _load_refused(tmp_path, text)


def test_a_bad_entry_in_a_file_names_the_file_and_the_parameter(tmp_path):
    sd = small_model().state_dict()
    sd["layers.0.neurons.1.b"] = "0.5"
    message = _load_refused(tmp_path, json.dumps(sd))
    assert "'layers.0.neurons.1.b' must be a number" in message


def test_saving_to_an_empty_path_says_the_path_is_empty(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="save: the path is empty"):
        small_model().save("")
    with pytest.raises(ValueError, match="load: the path is empty"):
        small_model().load("")
    assert list(tmp_path.iterdir()) == []


def test_an_integer_too_large_for_a_float_in_a_state_dict_is_said_to_be_too_large():
    model = small_model()
    sd = model.state_dict()
    sd["layers.0.neurons.0.w.0"] = 10**400
    with pytest.raises(ValueError, match=r"'layers\.0\.neurons\.0\.w\.0': an integer of about 401 digits is too large "
                                         "for a float") as info:
        model.load_state_dict(sd)
    assert "inf" not in str(info.value)


def test_load_state_dict_stores_python_floats_from_ints_and_numpy_scalars():
    model = small_model()
    sd = {name: (np.float32(0.5) if i % 3 == 0 else np.int64(i) if i % 3 == 1 else i)
          for i, name in enumerate(model.state_dict())}
    model.load_state_dict(sd)
    assert all(type(p.data) is float for p in model.parameters())
    assert list(model.state_dict().values()) == [float(v) for v in sd.values()]


def test_zero_grad_set_to_none_sets_every_gradient_to_none():
    model = small_model()
    for p in model.parameters():
        p.grad = 1.0
    model.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# ---- repr ----------------------------------------------------------------------------------

def test_repr_is_micrograds_with_runs_of_equal_neurons_collapsed():
    assert repr(Neuron(3, seed=0)) == "ReLUNeuron(3)"
    assert repr(Neuron(3, nonlin=False, seed=0)) == "LinearNeuron(3)"
    assert repr(Layer(2, 2, activation="tanh", seed=0)) == "Layer of [TanhNeuron(2) × 2]"
    assert repr(MLP(2, [16, 16, 1], seed=0)) == (
        "MLP of [Layer of [ReLUNeuron(2) × 16], Layer of [ReLUNeuron(16) × 16], Layer of [LinearNeuron(16)]]")
