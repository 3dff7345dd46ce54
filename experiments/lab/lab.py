"""Research harness: K attempts of one setting trained side by side in one vmapped step.

Each attempt is one seed's first attempt of `nram train` (same init, data, curriculum, entropy
schedule and solved check), minus restarts, checkpoints and resume.

  python x/lab.py OUT.json --task swap --seeds 0-15 --steps 1500 --set machine.repeat=2 ...
      [--program FILE --margin 3 --perturb 0.1]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from nram import config as C
from nram import discrete, evaluate, machine, program, tasks, train
from nram.curriculum import Curriculum


def parse_seeds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    return out


def program_model(cfg, path: str, margin: float, key, perturb: float):
    model = machine.init(cfg.machine, key)
    text = open(path).read()
    table = program.parse(text, model.modules, cfg.machine.registers)
    built = discrete.mlp_model(table, cfg.machine, margin)
    if perturb:
        leaves, tree = jax.tree_util.tree_flatten(eqx.filter(built, eqx.is_array))
        keys = jax.random.split(key, len(leaves))
        noise = [perturb * jax.random.normal(k, x.shape) for x, k in zip(leaves, keys, strict=True)]
        leaves = [x + n for x, n in zip(leaves, noise, strict=True)]
        built = eqx.combine(jax.tree_util.tree_unflatten(tree, leaves), built)
    return built


def seed_model(params, static, k: int):
    """Seed k's model out of the stacked parameters."""
    return eqx.combine(jax.tree_util.tree_map(lambda x: x[k], params), static)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--task", default="swap")
    parser.add_argument("--seeds", default="0-7")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--set", action="append", default=[], dest="assignments")
    parser.add_argument("--program")
    parser.add_argument("--margin", type=float, default=3.0)
    parser.add_argument("--perturb", type=float, default=0.0)
    parser.add_argument("--log", type=int, default=100)
    parser.add_argument("--t0", type=float, default=1.0, help="selector temperature at step 0")
    parser.add_argument("--t1", type=float, default=1.0, help="... at the last step (geometric)")
    parser.add_argument("--sharpen-after", type=int, default=0)
    parser.add_argument("--init-seed", type=int, help="every attempt starts from this seed's init")
    parser.add_argument("--data-seed", type=int, help="every attempt trains on this seed's data")
    parser.add_argument(
        "--harden-after",
        type=int,
        default=0,
        help="from this step on, the controller sees rounded zero-probabilities",
    )
    parser.add_argument(
        "--trace",
        action="store_true",
        help="print the first fuzzily-right unsolved attempt's trace at n = 2",
    )
    parser.add_argument(
        "--score-q-until",
        type=int,
        default=0,
        help="swap: score only cell q (A[p]'s destination) up to this step",
    )
    args = parser.parse_args()

    seeds = parse_seeds(args.seeds)
    K = len(seeds)
    cfg = C.resolve(args.task, assignments=args.assignments)
    task = tasks.get(cfg.task)
    settings = train.StepSettings.of(cfg)
    timesteps = cfg.horizon(cfg.max_difficulty)
    models, opts = [], []
    for seed in seeds:
        key = jax.random.key(seed if args.init_seed is None else args.init_seed)
        if args.program:
            model = program_model(cfg, args.program, args.margin, key, args.perturb)
        else:
            model = machine.init(cfg.machine, key)
        models.append(model)
        optimizer = train.make_optimizer(settings, seed=seed + 1)
        opts.append(optimizer.init(eqx.filter(model, eqx.is_array)))
    static = eqx.filter(models[0], lambda x: not eqx.is_array(x))
    stack = lambda xs: jax.tree_util.tree_map(lambda *a: jnp.stack(a), *xs)
    params = stack([eqx.filter(m, eqx.is_array) for m in models])
    opt_state = stack(opts)

    def make_step(settings):
        def one(p, o, mem, tgt, mask, hz, weight, key, temperature):
            return train.train_step(
                eqx.combine(p, static),
                o,
                mem,
                tgt,
                mask,
                hz,
                weight,
                timesteps,
                settings,
                key,
                temperature,
            )

        @eqx.filter_jit
        def step(p, o, mem, tgt, mask, hz, weight, t, temperature):
            keys = jax.vmap(lambda k: jax.random.fold_in(k, t))(base_keys)
            temps = jnp.full((K,), temperature)
            models, o, metrics = jax.vmap(one)(p, o, mem, tgt, mask, hz, weight, keys, temps)
            return eqx.filter(models, eqx.is_array), o, metrics

        return step

    soft_step = make_step(settings)
    # after --harden-after: the controller sees round(P(r_i = 0)), as the discretised one does
    hard_settings = dataclasses.replace(
        settings, numerics=dataclasses.replace(settings.numerics, hard_inputs=True)
    )
    hard_step = make_step(hard_settings) if args.harden_after else None

    base_keys = jnp.stack([jax.random.key(s + 1000) for s in seeds])
    rngs = [
        np.random.default_rng([s if args.data_seed is None else args.data_seed, 1]) for s in seeds
    ]
    curricula = [Curriculum(cfg.curriculum, task.min_difficulty, cfg.max_difficulty) for _ in seeds]
    recent = [[] for _ in seeds]
    solved = [None] * K
    best_level = [task.min_difficulty] * K
    level_steps: list[dict[int, int]] = [{} for _ in seeds]
    started = time.perf_counter()
    ent = cfg.entropy
    history = []
    for t in range(1, args.steps + 1):
        batches, horizons, weights = [], [], []
        for k in range(K):
            d = curricula[k].sample(rngs[k], cfg.batch_size)
            batch = task.sample_batch(rngs[k], d, cfg.memory_size)
            if t <= args.score_q_until:  # the value that must be saved first, alone
                only_q = np.arange(batch.mask.shape[1]) == batch.memory[:, 1:2]
                batch = tasks.Batch(batch.memory, batch.target, only_q, batch.difficulty)
            batches.append(batch)
            horizons.append([cfg.horizon(int(x)) for x in d])
            at_top = curricula[k].at_max or not cfg.curriculum.enabled
            err = float(np.mean(recent[k])) if recent[k] else math.inf
            if args.sharpen_after and t > args.sharpen_after:
                weights.append(-ent.sharpen)
            elif ent.sharpen and at_top and err < cfg.curriculum.threshold:
                weights.append(-ent.sharpen)
            else:
                weights.append(ent.weight * 0.5 ** (t / ent.half_life))
        arr = lambda xs: jnp.asarray(np.stack(xs))
        step = hard_step if args.harden_after and t > args.harden_after else soft_step
        params, opt_state, metrics = step(
            params,
            opt_state,
            arr([b.memory for b in batches]),
            arr([b.target for b in batches]),
            arr([b.mask for b in batches]),
            jnp.asarray(np.array(horizons, np.int32)),
            jnp.asarray(np.array(weights, np.float32)),
            jnp.asarray(t),
            jnp.asarray(
                args.t0 * (args.t1 / args.t0) ** ((t - 1) / max(args.steps - 1, 1)), jnp.float32
            ),
        )
        wrong = np.asarray(metrics.wrong)
        nll = np.asarray(metrics.nll)
        batch_error = np.array([wrong[k].sum() / batches[k].mask.sum() for k in range(K)])
        if (t - 1) % args.log == 0:
            error_sum = np.zeros(K)
        error_sum = error_sum + batch_error
        for k in range(K):
            if solved[k] is not None:
                continue
            b = batches[k]
            errors = wrong[k] / np.maximum(b.mask.sum(1), 1)
            if curricula[k].record(b.difficulty, errors):
                recent[k] = []
                level_steps[k][curricula[k].level] = t
            # Without the curriculum every example is at the level (nram's Curriculum.at_level).
            at = (
                b.difficulty == curricula[k].level
                if cfg.curriculum.enabled
                else np.ones(b.difficulty.shape, dtype=bool)
            )
            if at.any():
                recent[k] = (recent[k] + [float(errors[at].mean())])[-10:]
            best_level[k] = max(best_level[k], curricula[k].level)
            at_top = curricula[k].at_max or not cfg.curriculum.enabled
            if at_top and t % cfg.evaluation.every == 0 and recent[k] and np.mean(recent[k]) == 0.0:
                model = seed_model(params, static, k)
                rng = np.random.default_rng([seeds[k], t, 2])
                done, worst = evaluate.solved(model, cfg, rng, cfg.evaluation.examples)
                if done:
                    solved[k] = t
                    print(f"seed {seeds[k]} SOLVED at step {t}", flush=True)
        if t % args.log == 0 or t == args.steps:
            levels = [c.level for c in curricula]
            errs = [round(float(np.mean(r)), 3) if r else None for r in recent]
            line = {
                "step": t,
                "s": round(time.perf_counter() - started, 1),
                "levels": levels,
                "err": errs,
                "batch_err": [round(float(x), 3) for x in error_sum / args.log],
                "nll": [round(float(x), 2) for x in nll],
                "ent": round(float(np.mean(np.asarray(metrics.entropy))), 1),
            }
            history.append(line)
            print(json.dumps(line), flush=True)
    result = {
        "args": vars(args),
        "seeds": seeds,
        "solved": solved,
        "best_level": best_level,
        "level_steps": level_steps,
        "final_err": [float(np.mean(r)) if r else None for r in recent],
        "seconds": time.perf_counter() - started,
        "history": history,
    }
    with open(args.out, "w") as handle:
        json.dump(result, handle)
    print(f"solved {sum(s is not None for s in solved)}/{K}; best levels {best_level}", flush=True)
    # the attempts right on the training data but not solved: which check fails
    stretch = cfg.evaluation.stretch
    checks = [(list(range(task.min_difficulty, cfg.max_difficulty + 1)), cfg.memory_size)] + [
        ([f * cfg.max_difficulty], None)
        for f in sorted({2, math.ceil(stretch / 2), stretch} & set(range(2, stretch + 1)))
    ]
    for k in range(K):
        if solved[k] is None and recent[k] and np.mean(recent[k]) == 0.0:
            model = seed_model(params, static, k)
            for difficulties, memory_size in checks:
                for discrete_run in (False, True):
                    results = evaluate.evaluate(
                        model,
                        cfg,
                        difficulties,
                        examples=cfg.evaluation.examples,
                        discrete=discrete_run,
                        rng=np.random.default_rng(seeds[k]),
                        memory_size=memory_size,
                    )
                    worst = max(r.error for r in results)
                    kind = "discrete" if discrete_run else "fuzzy"
                    print(
                        f"seed {seeds[k]} unsolved: {kind} at {difficulties[-1]}"
                        f" (M {memory_size}): error {worst:.4f}",
                        flush=True,
                    )
    # a trace, fuzzy beside discretised, of the first attempt right only fuzzily
    for k in range(K):
        if args.trace and solved[k] is None and recent[k] and np.mean(recent[k]) == 0.0:
            model = seed_model(params, static, k)
            example = task.sample(np.random.default_rng(0), 2, cfg.memory_size)
            horizon = cfg.horizon(2)
            for discrete_run in (False, True):
                out = machine.run(
                    model,
                    jnp.asarray(example.memory),
                    jnp.asarray(example.target),
                    jnp.asarray(horizon),
                    timesteps=horizon,
                    discrete=discrete_run,
                    record=True,
                )
                rec = out.record
                print(
                    f"seed {seeds[k]} {'discrete' if discrete_run else 'fuzzy'}: memory "
                    f"{example.memory.tolist()} target {example.target.tolist()}"
                )
                for t in range(horizon):
                    regs = np.asarray(rec.registers[t])
                    mem = np.asarray(rec.memory[t])
                    print(
                        f"  t{t} f={float(out.finish[t]):.2f} regs "
                        + " ".join(f"{int(r.argmax())}:{r.max():.2f}/P0={r[0]:.2f}" for r in regs)
                        + " mem "
                        + " ".join(
                            f"{int(c.argmax())}" + ("" if c.max() > 0.9 else f"({c.max():.2f})")
                            for c in mem[:6]
                        )
                    )
                print("  readout", np.asarray(out.readout_values)[:6].tolist())
            break
    # the programs of the attempts, discretised
    for k in range(min(K, 4)):
        model = seed_model(params, static, k)
        if cfg.machine.controller == "mlp" and not getattr(cfg.machine, "step_inputs", 0):
            table = discrete.compile_mlp(model)
            print(f"--- seed {seeds[k]}")
            for p, c in enumerate(table.circuits):
                condition = program.condition(p, cfg.machine.registers)
                print(f"  {condition}: {program.format_circuit(c, model.modules)}")


if __name__ == "__main__":
    sys.exit(main())
