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
    if args.steps:
        path = _write_steps(out, args.output or "backward.html")
    else:
        path = _write(lambda p: render(out, p), args.output or "graph.svg")
    print(f"wrote {path}")
    return EXIT_OK


def _write_steps(out: Any, output: str) -> Path:
    """`--steps`: the forward and backward pass as an animation, .html (a player) or .gif."""
    from autograd import animate

    if Path(output).suffix.lower() not in (".html", ".gif"):
        raise CommandError(f"deltagrad graph: --steps writes an animation: give -o a .html or .gif file, "
                           f"got {output!r}", EXIT_USAGE)
    from autograd import topological_order

    for v in topological_order(out):  # the pass is shown from the start: no gradient is known yet
        if v.is_leaf():
            v.grad = 0.0
    try:
        animation = animate(out)
    except ValueError as err:  # more steps than an animation holds
        raise CommandError(f"deltagrad graph: {err}", EXIT_USAGE) from None
    return _write(animation.save, output)


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

# --loss names -> nn.losses names (`nn.losses.LOSS_INFO` knows the rest).
_LOSSES = {
    "hinge": "hinge",
    "bce": "binary_cross_entropy_with_logits",
    "half_sse": "half_sse",
    "mse": "mse",
}


def _hidden(text: str) -> list[int]:
    """argparse type of `--hidden 16,16` (an empty string: no hidden layer)."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 16,16, got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be at least 1, got {text!r}")
    return sizes


def train_model(args: argparse.Namespace) -> Any:
    """Trains the model `args` describe (`nn.demo.train_toy`); a loss that cannot
    fit the data set is a usage error."""
    from . import demo

    try:
        return demo.train_toy(args.dataset, args.hidden, args.activation, _LOSSES[args.loss], args.optimizer,
                              args.lr, args.epochs, args.batch_size, args.seed, args.progress)
    except demo.UnsuitableLoss as err:
        from .losses import LOSS_INFO

        usable = [name for name, loss in _LOSSES.items() if LOSS_INFO[loss].multiclass]
        raise CommandError(f"deltagrad train: --loss {err} (use {', '.join(usable[:-1])} or {usable[-1]})",
                           EXIT_USAGE) from None


def cmd_train(args: argparse.Namespace) -> int:
    from . import plot

    run = train_model(args)
    print(f"final loss {run.history.loss[-1]:.4g}, accuracy {run.history.accuracy[-1]:.1%} "
          f"after {len(run.history.loss)} epochs")
    if args.save:
        print(f"wrote {_write(run.model.save, args.save)}")
    if args.plot:
        path = _write(lambda p: plot.decision_boundary(run.model, run.X, run.y, p, threshold=run.threshold),
                      args.plot)
        print(f"wrote {path}")
    return EXIT_OK


# ---- deltagrad demo ----------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> int:
    from autograd import render

    from . import demo, plot

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CommandError(f"deltagrad demo: cannot create {out}: {err.strerror or err}") from None
    written: list[tuple[Path, str]] = []

    print("1. micrograd's demo: MLP(2, [16, 16, 1]) on 100 moons, hinge loss + 1e-4 L2, SGD, 100 steps")
    run = demo.micrograd_demo(args.seed, progress=args.progress)
    print(f"   final loss {run.history.loss[-1]:.4f}, training accuracy {run.history.accuracy[-1]:.0%}")
    written.append((_write(lambda p: plot.loss_curve(run.history, p, "moons: hinge loss"), out / "loss.png"),
                    "the loss curve"))
    written.append((_write(lambda p: plot.decision_boundary(run.model, run.X, run.y, p), out / "boundary.png"),
                    "the decision boundary"))
    written.append((_write(run.model.save, out / "model.json"), "the trained model's parameters"))
    point_loss = demo.point_loss(run.model, args.seed)
    written.append((_write(lambda p: render(point_loss, p, collapse="neuron"), out / "model_graph.svg"),
                    "the model's graph for the new point it is least sure of, one node per neuron"))

    print("\n2. gradcheck of a small expression: tanh(x*w + b)")
    expression, report = demo.lecture_neuron()
    print(_indent(report.table()))
    written.append((_write(lambda p: render(expression, p), out / "expression.svg"),
                    "the graph of tanh(x*w + b), with data and gradients"))
    backward = demo.neuron_animation()
    written.append((_write(backward.save, out / "backward.html"),
                    "backprop through the neuron tanh(x1*w1 + x2*w2 + b), step by step (a player)"))
    written.append((_write(backward.save, out / "backward.gif"), "the same as an animated GIF"))

    print("\n3. the Monash Δ rules against autodiff and finite differences: sigmoid MLP(2, [3, 1])")
    comparison = demo.delta_rules_example(args.seed)
    print(_indent(comparison.table()))

    print("\nWrote:")
    for path, what in written:
        print(f"  {path}  {what}")
    ok = report.ok and comparison.ok
    print("All gradients agree." if ok else "SOME GRADIENTS DISAGREE.")
    return EXIT_OK if ok else EXIT_FAILED


def _indent(text: str) -> str:
    return "\n".join("   " + line for line in text.splitlines())


# ---- deltagrad check ---------------------------------------------------------

def cmd_check(args: argparse.Namespace) -> int:
    from autograd import check_ops
    from autograd.check import check_all_ops
    from autograd.report import check_summary

    from .selfcheck import every_op_graph, random_model_checks

    ok = True
    for report in (check_all_ops(count=args.points), check_ops(every_op_graph())):
        print(report.table() if args.verbose else check_summary(report))
        ok = ok and report.ok
    for model_check in random_model_checks(args.models, args.seed):
        print(model_check.summary())
        if args.verbose or not model_check.ok:
            print(model_check.report.table())
        ok = ok and model_check.ok
    print("all checks agree" if ok else "SOME CHECKS DISAGREE")
    return EXIT_OK if ok else EXIT_FAILED


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
    _progress_flags(train)
    train.set_defaults(run=cmd_train)

    graph = sub.add_parser("graph", help="evaluate an expression, print its gradients, draw its graph")
    graph.add_argument("expression", help='e.g. "tanh(x*w + b)"')
    graph.add_argument("--var", action="append", type=_variable, default=[], metavar="NAME=VALUE",
                       help="a variable and its value (repeat for each)")
    graph.add_argument("-o", "--output", default=None,
                       help="the picture to write: .svg, .png, .pdf or .dot (default: graph.svg); with --steps "
                            ".html or .gif (default: backward.html)")
    graph.add_argument("--steps", action="store_true",
                       help="write the forward and backward pass step by step, as an animation (.html or .gif)")
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
    """argparse type of a finite number > 0 (`--lr`), checked by `autograd.validate`."""
    from autograd.validate import hyperparameter

    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    try:
        return hyperparameter(x, "value", low=0.0, low_open=True)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _positive_int(text: str) -> int:
    """argparse type of a whole number >= 1 (`--epochs`, `--points`), checked by `autograd.validate`."""
    from autograd.validate import integer

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    try:
        return integer(n, "value", low=1)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


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
