"""The `deltagrad` command: `demo`, `train`, `graph` and `check`.

Exit status: 0 on success, 1 when a check disagrees or an output cannot be
written, 2 for a bad argument or expression (argparse's convention).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A failure to report as one clear line (no traceback) with an exit status."""

    def __init__(self, message: str, status: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.status = status


# ---- deltagrad graph ---------------------------------------------------------

def _variable(text: str) -> tuple[str, float]:
    """argparse type of `--var name=value`."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: {value!r} is not a number") from None
    return name, number


def cmd_graph(args: argparse.Namespace) -> int:
    from autograd import render
    from autograd.expr import ExpressionError, evaluate

    variables = dict(args.var)
    try:
        out = evaluate(args.expression, variables)
    except ExpressionError as err:
        raise CommandError(f"deltagrad graph: {err}", EXIT_USAGE) from None
    except (ArithmeticError, ValueError) as err:
        raise CommandError(f"deltagrad graph: the expression cannot be evaluated: {err}", EXIT_USAGE) from None
    leaves = {v.label: v for v in _leaves(out)}
    out.backward()
    print(f"{args.expression} = {out.data:.6g}")
    for name in variables:
        grad = leaves[name].grad if name in leaves else 0.0  # a variable the expression does not use
        print(f"  d/d{name} = {grad:.6g}")
    path = _write(lambda p: render(out, p), args.output)
    print(f"wrote {path}")
    return EXIT_OK


def _leaves(root: Any) -> list[Any]:
    from autograd import topological_order

    return [v for v in topological_order(root) if v.is_leaf() and v.label]


def _write(writer: Callable[[Path], Any], path: str | Path) -> Path:
    """Runs `writer(path)`, turning an unwritable path, an unknown file type or a
    missing Graphviz into one clear line."""
    from autograd import GraphvizNotFound

    path = Path(path)
    try:
        writer(path)
    except GraphvizNotFound as err:
        raise CommandError(f"deltagrad: cannot draw {path}: {err}") from None
    except ValueError as err:  # an extension that neither Graphviz nor matplotlib writes
        raise CommandError(f"deltagrad: cannot write {path}: {err}", EXIT_USAGE) from None
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else str(err)
        raise CommandError(f"deltagrad: cannot write {path}: {reason}") from None
    return path


# ---- deltagrad train ---------------------------------------------------------

# --loss names -> nn.losses names, and the output activation each expects.
_LOSSES = {
    "hinge": ("hinge", "linear"),
    "bce": ("binary_cross_entropy_with_logits", "linear"),
    "half_sse": ("half_sse", "sigmoid"),
    "mse": ("mse", "sigmoid"),
}
_DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}


def _dataset(name: str, seed: int) -> tuple[Any, Any]:
    from . import data

    makers: dict[str, Callable[[], tuple[Any, Any]]] = {
        "moons": lambda: data.make_moons(100, noise=0.1, seed=seed),
        "circles": lambda: data.make_circles(100, noise=0.05, seed=seed),
        "spiral": lambda: data.make_spiral(50, classes=3, noise=0.2, seed=seed),
        "xor": lambda: data.make_xor(4),
    }
    return makers[name]()


def _targets_for(loss: str, y: Any, classes: int) -> tuple[str, Any, int]:
    """(nn loss name, targets, output units) for `--loss` on labels `y`. With
    more than two classes: half_sse and mse fit one-hot rows, bce becomes the
    softmax cross-entropy over class indices, and hinge is refused."""
    import numpy as np

    name = _LOSSES[loss][0]
    if classes <= 2:
        return name, y, 1
    if loss == "hinge":
        raise CommandError(f"deltagrad train: --loss hinge separates two classes; this dataset has {classes} "
                           "(use bce, half_sse or mse)", EXIT_USAGE)
    if loss == "bce":
        return "softmax_cross_entropy", y, classes
    return name, np.eye(classes)[y], classes


def _hidden(text: str) -> list[int]:
    """argparse type of `--hidden 16,16` (an empty string: no hidden layer)."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 16,16, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be at least 1, got {text!r}")
    return sizes


def train_model(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """Builds and trains the model `args` describe: (model, X, y, history)."""
    from . import optim
    from .layers import MLP
    from .train import fit

    X, y = _dataset(args.dataset, args.seed)
    loss, targets, nout = _targets_for(args.loss, y, int(y.max()) + 1)
    model = MLP(X.shape[1], [*args.hidden, nout], activation=args.activation,
                out_activation=_LOSSES[args.loss][1], seed=args.seed)
    lr = args.lr if args.lr is not None else _DEFAULT_LR[args.optimizer]
    optimizer = optim.SGD(model.parameters(), lr=lr) if args.optimizer == "sgd" else \
        optim.Adam(model.parameters(), lr=lr)
    history = fit(model, X, targets, loss=loss, optimizer=optimizer, epochs=args.epochs,
                  batch_size=args.batch_size, progress=args.progress, seed=args.seed,
                  compiled=getattr(args, "compiled", False))
    return model, X, y, history


def _threshold(args: argparse.Namespace) -> float:
    return 0.5 if _LOSSES[args.loss][1] == "sigmoid" else 0.0


def cmd_train(args: argparse.Namespace) -> int:
    from . import plot

    model, X, y, history = train_model(args)
    print(f"final loss {history.loss[-1]:.4g}, accuracy {history.accuracy[-1]:.1%} "
          f"after {len(history.loss)} epochs")
    if args.save:
        print(f"wrote {_write(model.save, args.save)}")
    if args.plot:
        path = _write(lambda p: plot.decision_boundary(model, X, y, p, threshold=_threshold(args)), args.plot)
        print(f"wrote {path}")
    return EXIT_OK


# ---- deltagrad demo ----------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    from autograd import Value, gradcheck, render

    from . import delta, plot
    from .layers import MLP

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CommandError(f"deltagrad demo: cannot create {out}: {err.strerror or err}") from None
    written: list[tuple[Path, str]] = []

    print("1. micrograd's demo: MLP(2, [16, 16, 1]) on 100 moons, hinge loss + 1e-4 L2, SGD, 100 steps")
    train_args = argparse.Namespace(dataset="moons", hidden=[16, 16], activation="relu", loss="hinge",
                                    optimizer="sgd", lr=1.0, epochs=100, batch_size=None, seed=args.seed,
                                    progress=args.progress)
    model, X, y, history = _train_demo(train_args)
    print(f"   final loss {history.loss[-1]:.4f}, training accuracy {history.accuracy[-1]:.0%}")
    written.append((_write(lambda p: plot.loss_curve(history, p, "moons: hinge loss"), out / "loss.png"),
                    "the loss curve"))
    written.append((_write(lambda p: plot.decision_boundary(model, X, y, p), out / "boundary.png"),
                    "the decision boundary"))
    written.append((_write(model.save, out / "model.json"), "the trained model's parameters"))
    x0, y0 = X[0].tolist(), 1.0 if y[0] else -1.0
    score = model(x0)
    point_loss = (1 + -y0 * score).relu()
    point_loss.backward()
    written.append((_write(lambda p: render(point_loss, p, collapse="neuron"), out / "model_graph.svg"),
                    "the model's graph for one point, one node per neuron"))

    print("\n2. gradcheck of a small expression: tanh(x*w + b)")
    x, w, b = Value(2.0, "x"), Value(-3.0, "w"), Value(6.88, "b")
    expression = (x * w + b).tanh()
    expression.label = "o"
    report = gradcheck(lambda x, w, b: (x * w + b).tanh(), [x, w, b])
    print(_indent(report.table()))
    expression.backward()
    written.append((_write(lambda p: render(expression, p), out / "expression.svg"),
                    "the graph of tanh(x*w + b), with data and gradients"))

    print("\n3. the Monash Δ rules against autodiff and finite differences: sigmoid MLP(2, [3, 1])")
    small = MLP(2, [3, 1], activation="sigmoid", out_activation="sigmoid", seed=args.seed)
    comparison = delta.compare(small, [0.5, -1.0], [1.0])
    print(_indent(comparison.table()))

    print("\nWrote:")
    for path, what in written:
        print(f"  {path}  {what}")
    ok = report.ok and comparison.ok
    print("All gradients agree." if ok else "SOME GRADIENTS DISAGREE.")
    return EXIT_OK if ok else EXIT_FAILED


def _train_demo(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """micrograd's demo exactly: 1e-4 L2 and the learning rate 1.0 − 0.9·k/100."""
    from . import optim
    from .data import make_moons
    from .layers import MLP
    from .train import fit

    X, y = make_moons(100, noise=0.1, seed=args.seed)
    model = MLP(2, [16, 16, 1], seed=args.seed)
    history = fit(model, X, y, loss="hinge", optimizer=optim.SGD(model.parameters(), lr=1.0),
                  epochs=args.epochs, l2=1e-4, lr_schedule=lambda k: 1.0 - 0.9 * k / 100,
                  progress=args.progress)
    return model, X, y, history


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())


# ---- deltagrad check ---------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    import random

    from autograd import check_ops
    from autograd.check import check_all_ops

    from . import delta
    from .layers import MLP

    ops_report = check_all_ops(count=args.points)
    print(ops_report.table() if args.verbose else _summary(ops_report))
    graph_report = check_ops(_every_op_graph())
    print(graph_report.table() if args.verbose else _summary(graph_report))
    rng = random.Random(args.seed)
    ok = ops_report.ok and graph_report.ok
    for k in range(args.models):
        sizes = [rng.randint(1, 4) for _ in range(rng.randint(1, 3))]
        activation = rng.choice(["sigmoid", "tanh", "linear", "leaky_relu", "relu"])
        out_activation = rng.choice(["sigmoid", "linear", "tanh"])
        nin = rng.randint(1, 4)
        model = MLP(nin, sizes, activation=activation, out_activation=out_activation, seed=args.seed + k)
        x = [rng.uniform(-1, 1) for _ in range(nin)]
        y = [rng.uniform(-1, 1) for _ in range(sizes[-1])]
        report = delta.compare(model, x, y)
        ok = ok and report.ok
        print(f"Δ rules on MLP({nin}, {sizes}, activation={activation!r}, out_activation={out_activation!r}): "
              f"{'ok' if report.ok else 'FAILED'}, "
              f"largest disagreement {report.max_disagreement:.2e}")
        if args.verbose or not report.ok:
            print(report.table())
    print("all checks agree" if ok else "SOME CHECKS DISAGREE")
    return EXIT_OK if ok else EXIT_FAILED


def _summary(report: Any) -> str:
    failed = report.failures
    lines = [f"{report.title}: {len(report.rows) - len(failed)}/{len(report.rows)} ok, "
             f"largest abs error {report.max_abs_error:.2e}"]
    lines += [f"  FAIL {r.where}: analytic {r.analytic:.10g}, numeric {r.numeric:.10g}" for r in failed]
    return "\n".join(lines)


def _every_op_graph() -> Any:
    """One graph that applies every registered op once, at a point of its
    domain, for the per-op check."""
    from autograd import REGISTRY, Value
    from autograd.check import sample_points
    from autograd.ops import sum_values

    terms = []
    for op in list(REGISTRY.values()):
        (point,) = sample_points(op, 1)
        terms.append(op(*[x if i in op.nondiff else Value(x) for i, x in enumerate(point)]))
    return sum_values(terms)


# ---- the parser ----------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deltagrad",
        description="A scalar autodiff engine for learning backpropagation: train, draw and check.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{demo,train,graph,check}")

    demo = sub.add_parser("demo", help="train micrograd's demo, check gradients, write pictures")
    demo.add_argument("--out", default="deltagrad-demo", help="the folder to write into (default ./deltagrad-demo/)")
    demo.add_argument("--seed", type=int, default=1337, help="random seed (micrograd's demo uses 1337)")
    _progress_flags(demo)
    demo.set_defaults(run=cmd_demo)

    train = sub.add_parser("train", help="train an MLP on a toy dataset")
    train.add_argument("--dataset", choices=["moons", "circles", "spiral", "xor"], default="moons")
    train.add_argument("--hidden", type=_hidden, default=[16, 16], help="hidden layer sizes (default 16,16)")
    train.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "leaky_relu", "linear"], default="relu")
    train.add_argument("--loss", choices=list(_LOSSES), default="hinge")
    train.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    train.add_argument("--lr", type=_positive_float, default=None, help="learning rate (default: sgd 0.1, adam 0.01)")
    train.add_argument("--epochs", type=_positive_int, default=50)
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help="1 for online learning, k for mini-batches, none for full batch (default)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--save", metavar="MODEL.json", help="write the trained parameters as JSON")
    train.add_argument("--plot", metavar="BOUNDARY.png", help="draw the decision boundary")
    train.add_argument("--compiled", action="store_true",
                       help="record the model's graph once and replay it over each batch in NumPy (same history)")
    _progress_flags(train)
    train.set_defaults(run=cmd_train)

    graph = sub.add_parser("graph", help="evaluate an expression, print its gradients, draw its graph")
    graph.add_argument("expression", help='e.g. "tanh(x*w + b)"')
    graph.add_argument("--var", action="append", type=_variable, default=[], metavar="NAME=VALUE",
                       help="a variable and its value (repeat for each)")
    graph.add_argument("-o", "--output", default="graph.svg",
                       help="the picture to write: .svg, .png, .pdf or .dot (default: graph.svg)")
    graph.set_defaults(run=cmd_graph)

    check = sub.add_parser("check", help="check every op and the Δ rules against finite differences")
    check.add_argument("--points", type=_positive_int, default=5, help="points per op (default 5)")
    check.add_argument("--models", type=_positive_int, default=5, help="random MLPs for the Δ rules (default 5)")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("-v", "--verbose", action="store_true", help="print every row")
    check.set_defaults(run=cmd_check)
    return parser


def _progress_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="always show the progress bar (default: only on a terminal)")
    group.add_argument("--no-progress", dest="progress", action="store_false")


def _positive_float(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not x > 0 or x == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return x


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n}")
    return n


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CommandError as err:
        print(err, file=sys.stderr)
        return err.status
    except KeyboardInterrupt:
        print("deltagrad: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
