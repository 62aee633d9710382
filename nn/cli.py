"""The `deltagrad` command: `demo`, `train`, `graph` and `check`.

Exit status: 0 on success, 1 when a check disagrees, training diverges or an
output cannot be written, 2 for a bad argument, expression or `--ops` file
(argparse's convention). Output paths are checked before any work is done.
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
    """argparse type of `--var name=value` (`autograd.expr.parse_variable`: a
    name an expression can use, a finite float); `cmd_graph` normalises the names."""
    from autograd.expr import ExpressionError, parse_variable

    try:
        return parse_variable(text)
    except ExpressionError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def cmd_graph(args: argparse.Namespace) -> int:
    from autograd import Value, render
    from autograd.expr import ExpressionError, evaluate, normalise_variables
    from autograd.viz import GRAPH_FORMATS

    if args.steps:
        args.output = args.output or "backward.html"
        if Path(args.output).suffix.lower() not in ANIMATION_FORMATS:
            raise CommandError(f"deltagrad graph: --steps writes an animation: give -o a .html or .gif file, "
                               f"got {args.output!r}", EXIT_USAGE)
        _check_output(args.output)
    else:
        args.output = args.output or "graph.svg"
        _check_output(args.output, GRAPH_FORMATS)
    try:
        variables = {name: Value(x, label=name) for name, x in normalise_variables(args.var).items()}
        out = evaluate(args.expression, variables)
    except ExpressionError as err:
        raise CommandError(f"deltagrad graph: {err}", EXIT_USAGE) from None
    except (ArithmeticError, ValueError) as err:
        raise CommandError(f"deltagrad graph: the expression cannot be evaluated: {err}", EXIT_USAGE) from None
    try:
        out.backward()
    except (ArithmeticError, ValueError) as err:
        raise CommandError(f"deltagrad graph: the gradients cannot be computed: {err}", EXIT_USAGE) from None
    print(f"{args.expression} = {out.data:.6g}")
    for name, leaf in variables.items():
        print(f"  d/d{name} = {leaf.grad:.6g}")  # 0 for a variable the expression does not use
    if args.steps:
        path = _write_steps(out, args.output)
    else:
        path = _write(lambda p: render(out, p), args.output)
    print(f"wrote {path}")
    return EXIT_OK


ANIMATION_FORMATS = {".html": "html", ".gif": "gif"}  # what `graph --steps -o` writes


def _write_steps(out: Any, output: str) -> Path:
    """`--steps`: the forward and backward pass as an animation, .html (a player) or .gif."""
    from autograd import animate, topological_order

    for v in topological_order(out):  # the pass is shown from the start: no gradient is known yet
        if v.is_leaf():
            v.grad = 0.0
    try:
        animation = animate(out)
    except ValueError as err:  # more steps than an animation holds
        raise CommandError(f"deltagrad graph: {err}", EXIT_USAGE) from None
    return _write(animation.save, output)


# ---- output paths: checked before the work, written atomically -----------------------

def _check_output(path: str | Path, formats: dict[str, str] | None = None) -> None:
    """Fails now, before any work, when `path` could not be written later: an
    extension not among `formats` (a usage error), or a place that cannot be
    written (a missing folder, no permission, a folder in the file's place)."""
    from autograd.files import check_writable, picture_format

    try:
        if formats is not None:
            picture_format(path, "deltagrad", formats)
        check_writable(path, "deltagrad")
    except ValueError as err:
        raise CommandError(str(err), EXIT_USAGE) from None
    except OSError as err:
        raise CommandError(f"deltagrad: cannot write {path}: {_reason(err)}") from None


def _reason(err: OSError) -> str:
    return os.strerror(err.errno) if err.errno else str(err)


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
        raise CommandError(f"deltagrad: cannot write {path}: {_reason(err)}") from None
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
    """argparse type of `--hidden 16,16`; `none` for no hidden layer (a linear
    model). An empty string is refused: it is what an unset shell variable
    gives (`--hidden "$SIZES"`), more often than a wish for no hidden layer."""
    if text.strip().lower() == "none":
        return []
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected layer sizes such as 16,16 (or none for no hidden layer), "
                                         f"got {text!r}") from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be at least 1, got {text!r}")
    return sizes


def train_model(args: argparse.Namespace) -> Any:
    """Trains the model `args` describe (`nn.demo.train_toy`); a loss that cannot
    fit the data set is a usage error."""
    from . import demo

    try:
        return demo.train_toy(args.dataset, args.hidden, args.activation, _LOSSES[args.loss], args.optimizer,
                              args.lr, args.epochs, args.batch_size, args.seed, args.progress,
                              compiled=args.compiled)
    except demo.UnsuitableLoss as err:
        from .losses import LOSS_INFO

        usable = [name for name, loss in _LOSSES.items() if LOSS_INFO[loss].multiclass]
        raise CommandError(f"deltagrad train: --loss {err} (use {', '.join(usable[:-1])} or {usable[-1]})",
                           EXIT_USAGE) from None


def cmd_train(args: argparse.Namespace) -> int:
    from autograd.files import PICTURE_FORMATS

    from . import plot
    from .train import DivergenceError

    if args.save:
        _check_output(args.save)
    if args.plot:
        _check_output(args.plot, PICTURE_FORMATS)
    try:
        run = train_model(args)
    except DivergenceError as err:
        raise CommandError(f"deltagrad train: {err}") from None
    print(run.summary())
    if args.save:
        print(f"wrote {_write(run.model.save, args.save)}")
    if args.plot:
        path = _write(lambda p: plot.decision_boundary(run.model, run.X, run.y, p, threshold=run.threshold),
                      args.plot)
        print(f"wrote {path}")
    return EXIT_OK


# ---- deltagrad demo ----------------------------------------------------------

DEMO_FILES = ("loss.png", "boundary.png", "model.json", "model_graph.svg", "expression.svg")

def cmd_demo(args: argparse.Namespace) -> int:
    from autograd import render

    from . import demo, plot

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CommandError(f"deltagrad demo: cannot create {out}: {err.strerror or err}") from None
    for name in DEMO_FILES:
        _check_output(out / name)
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
    if args.engine:
        return _check_engine(args.engine)

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


def _check_engine(path: str) -> int:
    """`deltagrad check --engine my_micrograd.py`: one verdict per op of a learner's Value class."""
    from autograd.learner import EngineLoadError, grade_engine

    try:
        report = grade_engine(path)
    except EngineLoadError as err:
        raise CommandError(f"deltagrad check --engine: {err}") from None
    print(report.table())
    return EXIT_OK if report.ok else EXIT_FAILED


# ---- the parser ----------------------------------------------------------------

class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's help with every default shown, except where there is none to
    show (None, a flag's False) or the help text says it already."""

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        nothing = action.default is None or action.default is False or action.default in ([], argparse.SUPPRESS)
        if nothing or "default" in help_text:
            return help_text
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deltagrad", formatter_class=_HelpFormatter,
        description="A scalar autodiff engine for learning backpropagation: train, draw and check.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{demo,train,graph,check}")

    def command(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return sub.add_parser(name, formatter_class=_HelpFormatter, **kwargs)

    demo = command("demo", help="train micrograd's demo, check gradients, write pictures")
    demo.add_argument("--out", default="deltagrad-demo", help="the folder to write into")
    demo.add_argument("--seed", type=int, default=1337, help="random seed (micrograd's demo uses 1337)")
    _progress_flags(demo)
    demo.set_defaults(run=cmd_demo)

    train = command("train", help="train an MLP on a toy dataset")
    train.add_argument("--dataset", choices=["moons", "circles", "spiral", "xor"], default="moons",
                       help="the toy data set")
    train.add_argument("--hidden", type=_hidden, default="16,16",
                       help="hidden layer sizes, comma-separated; none for no hidden layer (a linear model)")
    train.add_argument("--activation", choices=["relu", "tanh", "sigmoid", "leaky_relu", "linear"], default="relu",
                       help="the hidden layers' activation")
    train.add_argument("--loss", choices=list(_LOSSES), default="hinge", help="the loss to minimise")
    train.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd", help="the optimizer")
    train.add_argument("--lr", type=_positive_float, default=None, help="learning rate (default: sgd 0.1, adam 0.01)")
    train.add_argument("--epochs", type=_positive_int, default=50, help="passes over the data set")
    train.add_argument("--batch-size", type=_positive_int, default=None,
                       help="1 for online learning, k for mini-batches (default: the full batch)")
    train.add_argument("--seed", type=int, default=0, help="seeds the data, the weights and the batch order")
    train.add_argument("--save", metavar="MODEL.json", help="write the trained parameters as JSON")
    train.add_argument("--plot", metavar="BOUNDARY.png",
                       help="draw the decision boundary (.svg, .png or .pdf, as for graph -o)")
    train.add_argument("--compiled", action="store_true",
                       help="record the model's graph once and replay it over each batch in NumPy (same history)")
    _progress_flags(train)
    train.set_defaults(run=cmd_train)

    graph = command("graph", help="evaluate an expression, print its gradients, draw its graph",
                    epilog='An expression that starts with a minus sign goes after --: '
                           'deltagrad graph -- "-x*y" --var x=1 --var y=2. The constants pi and e are known; '
                           'a --var of the same name takes their place.')
    graph.add_argument("expression", help='e.g. "tanh(x*w + b)" or "(x*w + b).tanh()"')
    graph.add_argument("--var", action="append", type=_variable, default=[], metavar="NAME=VALUE",
                       help="a variable and its value, a finite number (repeat for each; a name once)")
    graph.add_argument("-o", "--output", default=None,
                       help="the picture to write: .svg, .png, .pdf or .dot (default: graph.svg); with --steps "
                            ".html or .gif (default: backward.html)")
    graph.add_argument("--steps", action="store_true",
                       help="write the forward and backward pass step by step, as an animation (.html or .gif)")
    _ops_option(graph)
    graph.set_defaults(run=cmd_graph)

    check = command("check", help="check every op and the Δ rules against finite differences")
    check.add_argument("--points", type=_positive_int, default=5, help="points per op")
    check.add_argument("--models", type=_positive_int, default=5, help="random MLPs for the Δ rules")
    check.add_argument("--seed", type=int, default=0, help="seeds the points and the random MLPs")
    check.add_argument("-v", "--verbose", action="store_true", help="print every row")
    check.add_argument("--engine", metavar="MY_MICROGRAD.py",
                       help="grade the Value class of your own micrograd instead: one verdict per op")
    _ops_option(check)
    check.set_defaults(run=cmd_check)
    return parser


def _ops_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ops", action="append", default=[], metavar="FILE.py",
                        help="a Python file that registers ops with autograd.defop, loaded first "
                             "(repeat for several files)")


def _load_ops(paths: Sequence[str]) -> None:
    """Runs each `--ops` file (`autograd.userfile.load_ops`); a broken one is one line, exit status 2."""
    from autograd.userfile import UserFileError, load_ops

    for path in paths:
        try:
            load_ops(path)
        except UserFileError as err:
            raise CommandError(f"deltagrad: --ops {err}", EXIT_USAGE) from None


def _progress_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--progress", dest="progress", action="store_true", default=None,
                       help="always show the progress bar (default: only on a terminal)")
    group.add_argument("--no-progress", dest="progress", action="store_false", help="never show the progress bar")


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


def _expression_after_double_dash(argv: list[str]) -> list[str]:
    """`graph -- "-x*y" --var x=1`: argparse reads everything after `--` as
    positional, so the one argument right after `--` (an expression starting
    with a minus sign) is moved to the end, after the options."""
    if "--" not in argv:
        return argv
    i = argv.index("--")
    return argv[:i] + argv[i + 2:] + argv[i:i + 2]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(_expression_after_double_dash(argv))
    try:
        _load_ops(getattr(args, "ops", []))
        return args.run(args)
    except CommandError as err:
        print(err, file=sys.stderr)
        return err.status
    except KeyboardInterrupt:
        print("deltagrad: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
