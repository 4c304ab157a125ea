"""PGD (L-inf, final-exit cross-entropy) in PyTorch on the weights of an ONNX fixture, for test/bench/onnx.bench.ts.

Usage: python3 onnx_pgd.py DIR
DIR holds (written by the bench): weights.json {ONNX initializer name: file}, the *.npy initializers (decoded from the
.onnx by the importer), x.npy (NHWC inputs in [0, 1]), y.npy (int32 labels), x0.npy (the random start), params.json
{"fixture", "eps", "step", "steps", "threads"}. The module is the one test/fixtures/onnx/make_fixtures.py exported;
its state_dict keys are the ONNX initializer names (exported with do_constant_folding=False). Writes
DIR/torch_result.json: seconds for the timed run, and the clean final-exit logits for a cross-check.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'fixtures', 'onnx'))
import make_fixtures  # noqa: E402


def main(d):
    params = json.load(open(os.path.join(d, 'params.json')))
    torch.set_num_threads(int(params['threads']))
    model = {'resnet-exits': make_fixtures.ResNetExits, 'mnist-sdn': make_fixtures.MnistSDN}[params['fixture']]()
    names = json.load(open(os.path.join(d, 'weights.json')))
    state = model.state_dict()
    loaded = {k: torch.from_numpy(np.load(os.path.join(d, names[k]))).reshape(state[k].shape) for k in state if k in names}
    missing = [k for k in state if k not in loaded and not k.endswith('num_batches_tracked')]
    if missing:
        raise SystemExit(f'weights missing from the ONNX initializers: {missing}')
    model.load_state_dict(loaded, strict=False)
    model.eval()
    x = torch.from_numpy(np.load(os.path.join(d, 'x.npy'))).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(np.load(os.path.join(d, 'y.npy'))).long()
    x0 = torch.from_numpy(np.load(os.path.join(d, 'x0.npy'))).permute(0, 3, 1, 2).contiguous()
    eps, step, steps = params['eps'], params['step'], params['steps']

    def final(v):
        out = model(v)
        return out[-1] if isinstance(out, tuple) else out

    def pgd(n):
        adv = x0.clone()
        for _ in range(n):
            adv.requires_grad_(True)
            loss = F.cross_entropy(final(adv), y, reduction='sum')
            (g,) = torch.autograd.grad(loss, adv)
            with torch.no_grad():
                adv = torch.min(torch.max(adv + step * g.sign(), x - eps), x + eps).clamp(0, 1)
        return adv.detach()

    pgd(1)
    started = time.perf_counter()
    adv = pgd(steps)
    seconds = time.perf_counter() - started
    with torch.no_grad():
        clean = final(x)
        robust = float((final(adv).argmax(1) == y).float().mean())
    json.dump({'seconds': seconds, 'threads': torch.get_num_threads(), 'robustAccuracy': robust, 'torch': torch.__version__,
               'cleanFinalLogits': clean.tolist()}, open(os.path.join(d, 'torch_result.json'), 'w'))


if __name__ == '__main__':
    main(sys.argv[1])
